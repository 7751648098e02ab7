// TensorBoard event files: CRC-32C against the RFC 3720 vectors, the TFRecord framing and the
// summaries read back with the same schema (the Python test reads them with TensorBoard itself),
// and the CPU backend's gradient norms / clip factors against the optimizer's own formulas.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "engine/cpu/cpu_adam.h"
#include "engine/optimizer.h"
#include "kernels/common/error.h"
#include "host/tensorboard/crc32c.h"
#include "host/tensorboard/event_writer.h"
#include "host/tensorboard/tensorboard.pb.h"
#include "host/tensorboard/training_log.h"
#include "test_env.h"

namespace senti {
namespace {

namespace fs = std::filesystem;

TEST(Crc32c, MatchesRfc3720Vectors) {
  std::vector<unsigned char> zeros(32, 0x00), ones(32, 0xFF), up(32), down(32);
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<unsigned char>(i);
    down[i] = static_cast<unsigned char>(31 - i);
  }
  EXPECT_EQ(tb::crc32c(zeros.data(), 32), 0x8A9136AAu);
  EXPECT_EQ(tb::crc32c(ones.data(), 32), 0x62A8AB43u);
  EXPECT_EQ(tb::crc32c(up.data(), 32), 0x46DD794Eu);
  EXPECT_EQ(tb::crc32c(down.data(), 32), 0x113FDB5Cu);
  EXPECT_EQ(tb::crc32c("123456789", 9), 0xE3069283u);  // the CRC catalogue's check value
  EXPECT_EQ(tb::crc32c("", 0), 0u);
  // Continuing a checksum equals checksumming the whole.
  EXPECT_EQ(tb::crc32c("6789", 4, tb::crc32c("12345", 5)), 0xE3069283u);
}

// Reads every record of a TFRecord file, checking both masked CRCs.
std::vector<tb::Event> read_events(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<tb::Event> events;
  size_t pos = 0;
  auto u32 = [&](size_t at) {
    uint32_t v;
    std::memcpy(&v, bytes.data() + at, 4);
    return v;
  };
  while (pos < bytes.size()) {
    EXPECT_LE(pos + 12, bytes.size());
    uint64_t len;
    std::memcpy(&len, bytes.data() + pos, 8);
    EXPECT_EQ(u32(pos + 8), tb::masked_crc32c(bytes.data() + pos, 8)) << "length CRC at " << pos;
    EXPECT_LE(pos + 12 + len + 4, bytes.size());
    const std::string data = bytes.substr(pos + 12, len);
    EXPECT_EQ(u32(pos + 12 + len), tb::masked_crc32c(data.data(), data.size())) << "data CRC";
    tb::Event e;
    EXPECT_TRUE(e.ParseFromString(data));
    events.push_back(e);
    pos += 12 + len + 4;
  }
  return events;
}

std::string only_file_in(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path().string());
  EXPECT_EQ(files.size(), 1u) << dir;
  return files.empty() ? "" : files[0];
}

TEST(EventFileWriter, WritesFramedEventsTensorBoardCanParse) {
  const std::string dir = test::scratch_dir("tb-writer") + "/run";
  std::string path;
  {
    tb::EventFileWriter w(dir, "--tensorboard");
    path = w.path();
    EXPECT_NE(fs::path(path).filename().string().find("events.out.tfevents."), std::string::npos);
    w.add_scalars(7, {{"loss", 0.5}, {"acc", 0.25}});
    w.add_text(0, "notes", "| a | b |");
    w.add_hparams({{"lr", 0.001}, {"clipnorm", static_cast<double>(0.1f)}, {"padding", "post"},
                   {"deterministic", true}},
                  12.5);
    w.add_session_start(40);
  }
  const auto events = read_events(path);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].file_version(), "brain.Event:2");
  EXPECT_GT(events[0].wall_time(), 1.6e9);
  ASSERT_TRUE(events[1].has_summary());
  EXPECT_EQ(events[1].step(), 7);
  ASSERT_EQ(events[1].summary().value_size(), 2);
  EXPECT_EQ(events[1].summary().value(0).tag(), "loss");
  EXPECT_FLOAT_EQ(events[1].summary().value(0).simple_value(), 0.5f);
  EXPECT_FLOAT_EQ(events[1].summary().value(1).simple_value(), 0.25f);
  const auto& text = events[2].summary().value(0);
  EXPECT_EQ(text.metadata().plugin_data().plugin_name(), "text");
  EXPECT_EQ(text.tensor().dtype(), tb::DT_STRING);
  EXPECT_EQ(text.tensor().string_val(0), "| a | b |");
  const auto& hp = events[3].summary().value(0);
  EXPECT_EQ(hp.tag(), "_hparams_/session_start_info");
  EXPECT_EQ(hp.metadata().plugin_data().plugin_name(), "hparams");
  tb::HParamsPluginData data;
  ASSERT_TRUE(data.ParseFromString(hp.metadata().plugin_data().content()));
  EXPECT_EQ(data.version(), 0);
  EXPECT_DOUBLE_EQ(data.session_start_info().start_time_secs(), 12.5);
  const auto& h = data.session_start_info().hparams();
  EXPECT_DOUBLE_EQ(h.at("lr").number_value(), 0.001);
  EXPECT_EQ(h.at("clipnorm").number_value(), 0.1);  // as typed, not 0.10000000149011612
  EXPECT_EQ(h.at("padding").string_value(), "post");
  EXPECT_TRUE(h.at("deterministic").bool_value());
  EXPECT_EQ(events[4].session_log().status(), tb::SessionLog::START);
  EXPECT_EQ(events[4].step(), 40);
}

TEST(EventFileWriter, RefusesAFolderThatIsAFile) {
  const std::string dir = test::scratch_dir("tb-bad");
  std::ofstream(dir + "/taken") << "x";
  try {
    tb::EventFileWriter w(dir + "/taken", "--tensorboard");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--tensorboard"), std::string::npos) << e.what();
  }
}

TEST(TrainingLog, LaysOutKerasStyleRunsAndSkipsMissingGradients) {
  const std::string dir = test::scratch_dir("tb-log");
  const ModelConfig cfg{20, 4, 3};
  {
    tb::TrainingLogOptions o;
    o.dir = dir;
    o.step_every = 5;
    o.hparams = {{"batch", 32}, {"lr", 0.001}};
    o.description = "model line";
    tb::TrainingLog log(o, ParamLayout(cfg));
    StepEvent s;
    s.global_step = 5;
    s.epoch = 1;
    s.window = Metrics{3.0, 3, 4};  // loss 0.75, accuracy 0.75
    s.samples_per_s = 100;
    s.has_gradients = true;
    for (int i = 0; i < kNumParamTensors; ++i) {
      s.gradients.norm[i] = 0.5 * (i + 1);
      s.gradients.clip_scale[i] = 1.f / (i + 1);
    }
    log.on_step(s);
    s.global_step = 10;
    s.has_gradients = false;  // e.g. a backend without the hook
    log.on_step(s);
    EXPECT_TRUE(log.gradients_missing());
    EpochEvent e;
    e.epoch = 1;
    e.train = Metrics{6.0, 6, 10};
    e.validation = Metrics{2.0, 1, 4};
    e.learning_rate = 0.001;
    log.on_epoch(e);
    log.on_test(Metrics{1.0, 3, 4}, 1, 10);
  }
  const auto train = read_events(only_file_in(dir + "/train"));
  ASSERT_EQ(train.size(), 4u);  // version, 2 steps, 1 epoch
  std::map<std::string, float> step5;
  for (const auto& v : train[1].summary().value()) step5[v.tag()] = v.simple_value();
  EXPECT_EQ(train[1].step(), 5);
  EXPECT_FLOAT_EQ(step5.at("batch_loss"), 0.75f);
  EXPECT_FLOAT_EQ(step5.at("grad_norm/lstm/lstm_cell/kernel"), 1.0f);  // ParamId::Kernel = 1
  EXPECT_FLOAT_EQ(step5.at("clip_scale/dense/bias"), 1.f / 6);
  double sq = 0;
  for (int i = 0; i < kNumParamTensors; ++i) sq += 0.25 * (i + 1) * (i + 1);
  EXPECT_NEAR(step5.at("grad_norm/global"), std::sqrt(sq), 1e-5);
  for (const auto& v : train[2].summary().value())
    EXPECT_EQ(v.tag().find("grad_norm"), std::string::npos) << "step without gradients";
  std::map<std::string, float> epoch;
  for (const auto& v : train[3].summary().value()) epoch[v.tag()] = v.simple_value();
  EXPECT_EQ(train[3].step(), 1);
  EXPECT_FLOAT_EQ(epoch.at("epoch_loss"), 0.6f);
  EXPECT_FLOAT_EQ(epoch.at("epoch_learning_rate"), 0.001f);
  const auto val = read_events(only_file_in(dir + "/validation"));
  ASSERT_EQ(val.size(), 2u);
  EXPECT_EQ(val[1].summary().value(0).tag(), "epoch_loss");
  EXPECT_FLOAT_EQ(val[1].summary().value(0).simple_value(), 0.5f);
  const auto root = read_events(only_file_in(dir));
  ASSERT_EQ(root.size(), 4u);  // version, hparams, run_config text, test figures
  EXPECT_EQ(root[1].summary().value(0).tag(), "_hparams_/session_start_info");
  const std::string md = root[2].summary().value(0).tensor().string_val(0);
  EXPECT_NE(md.find("model line"), std::string::npos) << md;
  EXPECT_NE(md.find("| batch | 32 |"), std::string::npos) << md;
  EXPECT_EQ(root[3].summary().value(1).tag(), "test_accuracy");
  EXPECT_FLOAT_EQ(root[3].summary().value(1).simple_value(), 0.75f);
}

// The CPU backend's hook reports the norms and clip factors its optimizer step used: the same as
// the optimizer's functions on the gradient loss_and_gradients gives for that batch.
TEST(CpuBackendGradientStats, MatchTheOptimizersNormsAndClipFactors) {
  BackendOptions o;
  o.model = ModelConfig{30, 6, 5};
  o.max_batch = 4;
  o.maxlen = 7;
  o.optimizer.clipnorm = 0.01f;  // small: some tensors are clipped, some may not be
  auto be = make_cpu_backend(o);
  Backend::GradientStats stats;
  EXPECT_FALSE(be->last_gradient_stats(&stats)) << "no step yet";
  be->set_state(init_train_state(o.model, 5));
  std::mt19937 rng(3);
  std::vector<int32_t> ids(4 * 7), lengths(4, 7);
  for (auto& id : ids) id = static_cast<int32_t>(rng() % 30);
  std::vector<float> labels = {1, 0, 1, 0};
  const Batch batch{ids.data(), labels.data(), lengths.data(), 4, 7};
  const ParamLayout layout(o.model);
  std::vector<float> grads(layout.total());
  be->loss_and_gradients(batch, grads.data());
  const TensorSums sums = grad_sums_of_squares(layout, grads.data());
  const TensorScales scales = clip_scales(sums, o.optimizer);
  be->take_metrics();
  be->train_step(batch);
  ASSERT_TRUE(be->last_gradient_stats(&stats));
  bool some_clipped = false;
  for (int i = 0; i < kNumParamTensors; ++i) {
    EXPECT_DOUBLE_EQ(stats.norm[i], std::sqrt(sums[i])) << layout.tensors()[i].name;
    EXPECT_FLOAT_EQ(stats.clip_scale[i], scales[i]) << layout.tensors()[i].name;
    EXPECT_GT(stats.norm[i], 0.0) << layout.tensors()[i].name;
    some_clipped |= stats.clip_scale[i] < 1.f;
  }
  EXPECT_TRUE(some_clipped);
}

}  // namespace
}  // namespace senti
