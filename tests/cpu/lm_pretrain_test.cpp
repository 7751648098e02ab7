// `senti pretrain` and `train --init` (issue 24): the CPU language-model head's objective and every
// gradient element against an independent double-precision reference (central differences), its
// full-softmax evaluation, and the command line: pretraining, fine-tuning from the result (with
// the pretrained tensors frozen: they must come out unchanged), mismatches named by flag, an LM
// checkpoint refused where classes are needed, and --resume of a pretraining run.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "host/run/checkpoint.h"
#include "kernels/common/error.h"
#include "kernels/common/math/lm.h"
#include "test_env.h"
#include "train_cli_util.h"

namespace senti {
namespace {

namespace fs = std::filesystem;

struct LmCase {
  ModelConfig cfg;
  int B = 3, T = 6;
  std::vector<int32_t> ids, lengths;
  std::vector<float> labels;
  uint64_t seed = 7, step = 3;
  Batch batch() const { return Batch{ids.data(), labels.data(), lengths.data(), B, T, PadSide::Post}; }
};

LmCase make_case(bool bidirectional) {
  LmCase c;
  c.cfg.vocab_size = 11;
  c.cfg.embed_dim = 4;
  c.cfg.hidden = 3;
  c.cfg.mask = true;
  c.cfg.bidirectional = bidirectional;
  c.cfg.head = Head::LanguageModel;
  c.cfg.classes = 0;
  c.cfg.lm_samples = 6;  // of 10 ids: some candidates repeat, some hit a target
  c.lengths = {6, 3, 1};
  const std::vector<std::vector<int32_t>> real = {{1, 4, 4, 10, 7, 2}, {1, 7, 3}, {1}};
  c.ids.assign(static_cast<size_t>(c.B) * c.T, 0);
  for (int b = 0; b < c.B; ++b)
    for (int k = 0; k < c.lengths[b]; ++k) c.ids[b * c.T + k] = real[b][k];
  c.labels.assign(c.B, 0.f);
  return c;
}

// The documented objective in double, written from docs/pretraining.md without the CPU code: each
// direction's state before reading a token predicts that token; sampled: the target and the S
// candidates, each minus log(S·Q), hits removed; the row's mean over its tokens, averaged over
// the directions and rows. full: the exact cross-entropy over all V ids, summed over the tokens.
double reference(const LmCase& c, const std::vector<double>& theta, bool sampled, int64_t* tokens) {
  const ModelConfig& m = c.cfg;
  const ParamLayout L(m);
  const int V = m.vocab_size, E = m.embed_dim, H = m.hidden, G = 4 * H, D = m.directions(), S = m.lm_samples;
  auto at = [&](ParamId id) { return &theta[L[id].offset]; };
  const double* emb = at(ParamId::Embedding);
  const double* W = at(ParamId::DenseKernel);  // (H, V)
  const double* bias = at(ParamId::DenseBias);
  std::vector<int32_t> cand(S);
  for (int k = 0; k < S; ++k) cand[k] = math::lm_sample_id(c.seed, c.step, k, V);
  auto logit = [&](const std::vector<double>& h, int id) {
    double s = bias[id];
    for (int j = 0; j < H; ++j) s += h[j] * W[j * V + id];
    return s;
  };
  double total = 0;
  *tokens = 0;
  for (int b = 0; b < c.B; ++b) {
    const int len = c.lengths[b];
    for (int d = 0; d < D; ++d) {
      const double* Wk = at(d ? ParamId::KernelBack : ParamId::Kernel);
      const double* R = at(d ? ParamId::RecurrentKernelBack : ParamId::RecurrentKernel);
      const double* bk = at(d ? ParamId::BiasBack : ParamId::Bias);
      std::vector<double> h(H, 0.0), cs(H, 0.0), z(G);
      double row = 0;
      for (int i = 0; i < len; ++i) {
        const int id = c.ids[b * c.T + (d == 0 ? i : len - 1 - i)];
        if (i > 0) {  // h (the state after i tokens) predicts this token
          double loss;
          if (sampled) {
            std::vector<double> zs{logit(h, id) - math::lm_log_expected_count(id, V, S)};
            for (int k = 0; k < S; ++k)
              if (cand[k] != id) zs.push_back(logit(h, cand[k]) - math::lm_log_expected_count(cand[k], V, S));
            double mx = zs[0], e = 0;
            for (double v : zs) mx = std::max(mx, v);
            for (double v : zs) e += std::exp(v - mx);
            loss = mx + std::log(e) - zs[0];
          } else {
            double mx = logit(h, 0), e = 0;
            for (int v = 1; v < V; ++v) mx = std::max(mx, logit(h, v));
            for (int v = 0; v < V; ++v) e += std::exp(logit(h, v) - mx);
            loss = mx + std::log(e) - logit(h, id);
          }
          row += loss;
          ++*tokens;
        }
        for (int k = 0; k < G; ++k) {
          double s = bk[k];
          for (int e = 0; e < E; ++e) s += emb[id * E + e] * Wk[e * G + k];
          for (int j = 0; j < H; ++j) s += h[j] * R[j * G + k];
          z[k] = s;
        }
        for (int j = 0; j < H; ++j) {
          auto sg = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
          cs[j] = sg(z[H + j]) * cs[j] + sg(z[j]) * std::tanh(z[2 * H + j]);
          h[j] = sg(z[3 * H + j]) * std::tanh(cs[j]);
        }
      }
      total += sampled ? (len > 1 ? row / (len - 1) / (D * c.B) : 0.0) : row;
    }
  }
  return total;
}

std::unique_ptr<Backend> backend_for(const LmCase& c, const TrainState& s) {
  BackendOptions o;
  o.model = c.cfg;
  o.max_batch = c.B;
  o.maxlen = c.T;
  o.seed = c.seed;
  auto be = make_cpu_backend(o);
  be->set_state(s);
  return be;
}

class LmHead : public ::testing::TestWithParam<bool> {};

TEST_P(LmHead, ObjectiveAndEveryGradientMatchTheDoubleReference) {
  const LmCase c = make_case(GetParam());
  TrainState s = init_train_state(c.cfg, 5);
  s.step = static_cast<int64_t>(c.step);  // the candidates are the ones of this step
  for (size_t i = 0; i < s.params.size(); ++i) s.params[i] *= 8.f;  // away from the linear regime
  auto be = backend_for(c, s);
  std::vector<float> grads(s.params.size());
  const double got = be->loss_and_gradients(c.batch(), grads.data());
  std::vector<double> theta(s.params.begin(), s.params.end());
  int64_t tokens = 0;
  const double want = reference(c, theta, true, &tokens);
  EXPECT_EQ(tokens, (5 + 2) * c.cfg.directions());  // per direction: 5 + 2 + 0 predicted tokens
  EXPECT_NEAR(got, want, 1e-5 * std::fabs(want));
  const Metrics m = be->take_metrics();
  EXPECT_EQ(m.count, tokens);
  const ParamLayout L(c.cfg);
  const double h = 1e-5;
  for (const TensorInfo& t : L.tensors()) {
    double max_abs = 0;
    for (size_t k = t.offset; k < t.offset + t.size; ++k) {
      const double saved = theta[k];
      int64_t n;
      theta[k] = saved + h;
      const double up = reference(c, theta, true, &n);
      theta[k] = saved - h;
      const double down = reference(c, theta, true, &n);
      theta[k] = saved;
      const double numeric = (up - down) / (2 * h);
      max_abs = std::max(max_abs, std::fabs(numeric));
      EXPECT_NEAR(grads[k], numeric, 2e-5 + 1e-3 * std::fabs(numeric)) << t.name << " element " << (k - t.offset);
    }
    EXPECT_GT(max_abs, 1e-4) << t.name << " gradient is (nearly) all zeros";
  }
}

TEST_P(LmHead, EvaluationIsTheFullSoftmaxPerToken) {
  const LmCase c = make_case(GetParam());
  const TrainState s = init_train_state(c.cfg, 11);
  auto be = backend_for(c, s);
  be->eval_step(c.batch(), nullptr);
  const Metrics m = be->take_metrics();
  int64_t tokens = 0;
  const double want = reference(c, std::vector<double>(s.params.begin(), s.params.end()), false, &tokens);
  EXPECT_EQ(m.count, tokens);
  EXPECT_NEAR(m.loss_sum, want, 1e-5 * want);
  std::vector<float> probs(c.B);
  EXPECT_THROW(be->eval_step(c.batch(), probs.data()), Error);  // no class probabilities
}

INSTANTIATE_TEST_SUITE_P(Directions, LmHead, ::testing::Values(false, true),
                         [](const auto& i) { return i.param ? "bidirectional" : "forward"; });

// ---- the command line ----------------------------------------------------------------------------

// Labeled CSV and an unlabeled text file (one document a line) of a small made-up language.
std::string write_data(const std::string& dir) {
  fs::create_directories(dir);
  std::ofstream csv(dir + "/train.csv");
  csv << "text,label\n";
  const char* good[] = {"a lovely film with great acting", "great fun and a lovely story", "the acting was great"};
  const char* bad[] = {"a dull film with awful acting", "boring and dull story", "the acting was awful"};
  for (int i = 0; i < 60; ++i) csv << good[i % 3] << " " << i % 7 << ",pos\n" << bad[i % 3] << " " << i % 5 << ",neg\n";
  std::ofstream lines(dir + "/unlabeled.txt");
  for (int i = 0; i < 200; ++i) lines << (i % 2 ? good[i % 3] : bad[i % 3]) << " and then the film ended\n";
  return dir;
}

std::string pretrain_cmd(const std::string& dir, const std::string& out, const std::string& extra = "") {
  return test::senti_bin() + " pretrain --device cpu --no-tensorboard --data " + dir + "/train.csv --unlabeled-data " +
         dir + "/unlabeled.txt --cache-dir " + dir + "/cache --out " + out +
         " --embed 8 --hidden 6 --maxlen 20 --lm-samples 16 --batch 16 " + extra;
}

TEST(PretrainCli, PretrainThenFineTuneFrozenKeepsThePretrainedTensors) {
  const std::string dir = write_data(test::scratch_dir("pretrain-cli"));
  std::string log;
  ASSERT_EQ(test::run_command(pretrain_cmd(dir, dir + "/lm", "--epochs 2"), &log), 0) << log;
  EXPECT_NE(log.find("Pretraining text: 308 documents"), std::string::npos) << log;  // 108 train (of 120) + 200
  const Checkpoint lm = load_checkpoint(dir + "/lm");
  EXPECT_TRUE(lm.model.language_model());
  EXPECT_EQ(lm.vocab.source, "train+unlabeled");
  const auto metrics = test::read_jsonl(dir + "/lm/metrics.jsonl");
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_LT(metrics[1]["val_loss"].get<double>(), metrics[0]["val_loss"].get<double>());
  EXPECT_NEAR(metrics[1]["val_perplexity"].get<double>(), std::exp(metrics[1]["val_loss"].get<double>()), 1e-6);

  // Frozen (--init-lr-scale 0): after training, the embedding and LSTM are the pretrained bits.
  const std::string ft = dir + "/ft";
  ASSERT_EQ(test::run_command(test::senti_bin() + " train --device cpu --no-tensorboard --data " + dir +
                                  "/train.csv --cache-dir " + dir + "/cache --out " + ft +
                                  " --init " + dir + "/lm --init-lr-scale 0 --embed 8 --hidden 6 --maxlen 20 "
                                  "--mask --bidirectional --epochs 2 --batch 16",
                              &log),
            0)
      << log;
  EXPECT_NE(log.find("Embedding and LSTM from the language model"), std::string::npos) << log;
  const Checkpoint c = load_checkpoint(ft);
  EXPECT_EQ(c.vocab.hash(), lm.vocab.hash());
  const ParamLayout a(c.model), b(lm.model);
  for (ParamId id : {ParamId::Embedding, ParamId::Kernel, ParamId::RecurrentKernel, ParamId::Bias,
                     ParamId::KernelBack, ParamId::RecurrentKernelBack, ParamId::BiasBack})
    for (size_t i = 0; i < a[id].size; ++i)
      ASSERT_EQ(c.state.params[a[id].offset + i], lm.state.params[b[id].offset + i]) << a[id].name;
  bool dense_moved = false;  // ... and the Dense layer did learn
  const TrainState fresh = init_train_state(c.model, 1337);
  for (size_t i = 0; i < a[ParamId::DenseKernel].size; ++i)
    dense_moved |= c.state.params[a[ParamId::DenseKernel].offset + i] != fresh.params[a[ParamId::DenseKernel].offset + i];
  EXPECT_TRUE(dense_moved);
  // eval reads the checkpoint's (train+unlabeled) vocabulary.
  ASSERT_EQ(test::run_command(test::senti_bin() + " eval --device cpu --checkpoint " + ft + " --data " + dir +
                                  "/train.csv --cache-dir " + dir + "/cache",
                              &log),
            0)
      << log;

  // A shape that differs is named by its flag; a classifier is not a language model.
  EXPECT_NE(test::run_command(test::senti_bin() + " train --device cpu --data " + dir + "/train.csv --cache-dir " +
                                  dir + "/cache --out " + dir + "/bad1 --init " + dir +
                                  "/lm --embed 8 --hidden 5 --mask --bidirectional --epochs 1",
                              &log),
            0);
  EXPECT_NE(log.find("--hidden"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(dir + "/bad1/latest.safetensors"));
  EXPECT_NE(test::run_command(test::senti_bin() + " train --device cpu --data " + dir + "/train.csv --cache-dir " +
                                  dir + "/cache --out " + dir + "/bad2 --init " + ft + " --epochs 1",
                              &log),
            0);
  EXPECT_NE(log.find("not a language model"), std::string::npos) << log;
  // A path that is no checkpoint: the error names the flag and the path.
  EXPECT_NE(test::run_command(test::senti_bin() + " train --device cpu --data " + dir + "/train.csv --cache-dir " +
                                  dir + "/cache --out " + dir + "/bad3 --init " + dir + "/no-such-lm --epochs 1",
                              &log),
            0);
  EXPECT_NE(log.find("--init: cannot open checkpoint '" + dir + "/no-such-lm"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(dir + "/bad3"));
  // A language model has no classes to predict.
  EXPECT_NE(test::run_command("echo 'a lovely film' | " + test::senti_bin() + " predict --checkpoint " + dir + "/lm", &log), 0);
  EXPECT_NE(log.find("language model"), std::string::npos) << log;
}

TEST(PretrainCli, ResumeContinuesToTheSameWeights) {
  const std::string dir = write_data(test::scratch_dir("pretrain-resume"));
  std::string log;
  ASSERT_EQ(test::run_command(pretrain_cmd(dir, dir + "/full", "--epochs 2"), &log), 0) << log;
  ASSERT_EQ(test::run_command(pretrain_cmd(dir, dir + "/part", "--epochs 1"), &log), 0) << log;
  ASSERT_EQ(test::run_command(pretrain_cmd(dir, dir + "/part", "--epochs 2 --resume"), &log), 0) << log;
  EXPECT_EQ(weights_hash_hex(load_checkpoint(dir + "/part")), weights_hash_hex(load_checkpoint(dir + "/full")));
}

}  // namespace
}  // namespace senti
