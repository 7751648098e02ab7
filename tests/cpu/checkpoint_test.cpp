// Checkpoints: exact round trip, PyTorch-readable layout, and clear errors for bad files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "host/run/checkpoint.h"
#include "kernels/common/error.h"
#include "engine/init.h"
#include "engine/safetensors.h"
#include "test_env.h"

namespace senti {
namespace {

Checkpoint small_checkpoint() {
  Checkpoint c;
  c.model = ModelConfig{20, 6, 5};
  c.optimizer.clipnorm = 0.1f;
  c.state = init_train_state(c.model, 7);
  for (size_t i = 0; i < c.state.m.size(); ++i) {
    c.state.m[i] = 0.001f * static_cast<float>(i);
    c.state.v[i] = 0.5f / static_cast<float>(i + 1);
  }
  c.state.step = 123;
  c.vocab.num_words = 20;
  c.vocab.source = "train-split";
  for (int i = 3; i < 20; ++i) c.vocab.words.push_back("w" + std::to_string(i));
  c.sequence.maxlen = 17;
  c.sequence.padding = data::Side::Pre;
  c.tokenizer_version = 1;
  c.epoch = 4;
  c.seed = 99;
  c.train_config = {{"batch", 8}};
  c.history = nlohmann::json::array({{{"epoch", 1}, {"loss", 0.5}}});
  return c;
}

TEST(Checkpoint, RoundTripIsExact) {
  const std::string path = test::scratch_dir("ckpt") + "/c.safetensors";
  const Checkpoint a = small_checkpoint();
  save_checkpoint(path, a);
  const Checkpoint b = load_checkpoint(path);
  EXPECT_EQ(b.state.params, a.state.params);
  EXPECT_EQ(b.state.m, a.state.m);
  EXPECT_EQ(b.state.v, a.state.v);
  EXPECT_EQ(b.state.step, 123);
  EXPECT_EQ(b.epoch, 4);
  EXPECT_EQ(b.seed, 99u);
  EXPECT_EQ(b.model.vocab_size, 20);
  EXPECT_EQ(b.model.embed_dim, 6);
  EXPECT_EQ(b.model.hidden, 5);
  EXPECT_EQ(b.vocab.words, a.vocab.words);
  EXPECT_EQ(b.vocab.hash(), a.vocab.hash());
  EXPECT_EQ(b.sequence.maxlen, 17);
  EXPECT_EQ(b.sequence.padding, data::Side::Pre);
  EXPECT_EQ(b.sequence.truncating, data::Side::Post);
  EXPECT_FLOAT_EQ(b.optimizer.clipnorm, 0.1f);
  EXPECT_EQ(b.train_config, a.train_config);
  EXPECT_EQ(b.history, a.history);
}

TEST(Checkpoint, DirectoryResolvesToLatest) {
  const std::string dir = test::scratch_dir("ckptdir");
  save_checkpoint(dir + "/latest.safetensors", small_checkpoint());
  EXPECT_EQ(load_checkpoint(dir).state.step, 123);
}

TEST(Checkpoint, TensorsUseKerasNamesAndShapes) {
  const std::string path = test::scratch_dir("ckptnames") + "/c.safetensors";
  save_checkpoint(path, small_checkpoint());
  const auto f = safetensors::read_file(path);
  EXPECT_EQ(f.tensors.at("embedding/embeddings").shape, (std::vector<int64_t>{20, 6}));
  EXPECT_EQ(f.tensors.at("lstm/lstm_cell/kernel").shape, (std::vector<int64_t>{6, 20}));
  EXPECT_EQ(f.tensors.at("lstm/lstm_cell/recurrent_kernel").shape, (std::vector<int64_t>{5, 20}));
  EXPECT_EQ(f.tensors.at("lstm/lstm_cell/bias").shape, (std::vector<int64_t>{20}));
  EXPECT_EQ(f.tensors.at("dense/kernel").shape, (std::vector<int64_t>{5, 1}));
  EXPECT_EQ(f.tensors.at("dense/bias").shape, (std::vector<int64_t>{1}));
  EXPECT_TRUE(f.tensors.count("optimizer/m/dense/bias"));
  EXPECT_EQ(f.metadata.at("format"), kCheckpointFormat);
}

TEST(Checkpoint, TruncatedFileIsAClearError) {
  const std::string dir = test::scratch_dir("ckpttrunc");
  const std::string path = dir + "/c.safetensors";
  save_checkpoint(path, small_checkpoint());
  const auto size = std::filesystem::file_size(path);
  for (auto keep : {size - 1, size / 2, static_cast<uintmax_t>(12), static_cast<uintmax_t>(3)}) {
    std::filesystem::copy_file(path, dir + "/t.safetensors",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(dir + "/t.safetensors", keep);
    try {
      load_checkpoint(dir + "/t.safetensors");
      FAIL() << "a checkpoint truncated to " << keep << " bytes was accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("t.safetensors"), std::string::npos) << e.what();
    }
  }
}

TEST(Checkpoint, NotACheckpointIsAClearError) {
  const std::string dir = test::scratch_dir("ckptbad");
  std::ofstream(dir + "/x.safetensors") << "hello, this is not a checkpoint at all";
  EXPECT_THROW(load_checkpoint(dir + "/x.safetensors"), UsageError);
  EXPECT_THROW(load_checkpoint(dir + "/missing.safetensors"), UsageError);
  // A valid safetensors file that is not a senti checkpoint.
  safetensors::File f;
  f.tensors["w"] = safetensors::Tensor{{2}, {1.f, 2.f}};
  safetensors::write_file(dir + "/other.safetensors", f);
  try {
    load_checkpoint(dir + "/other.safetensors");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("format"), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, WrongShapeForItsModelIsRejected) {
  const std::string dir = test::scratch_dir("ckptshape");
  save_checkpoint(dir + "/c.safetensors", small_checkpoint());
  auto f = safetensors::read_file(dir + "/c.safetensors");
  f.metadata["model"] = R"({"vocab_size":20,"embed_dim":6,"hidden":7})";
  safetensors::write_file(dir + "/c2.safetensors", f);
  EXPECT_THROW(load_checkpoint(dir + "/c2.safetensors"), UsageError);
}

TEST(Checkpoint, FailedWriteKeepsTheOldFile) {
  const std::string dir = test::scratch_dir("ckptkeep");
  const std::string path = dir + "/c.safetensors";
  save_checkpoint(path, small_checkpoint());
  EXPECT_THROW(save_checkpoint(dir + "/no/such/dir/c.safetensors", small_checkpoint()), UsageError);
  EXPECT_EQ(load_checkpoint(path).state.step, 123);
  for (const auto& e : std::filesystem::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

}  // namespace
}  // namespace senti
