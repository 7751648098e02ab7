// `senti train` with the options beyond the seed recipe, end to end through the binary on the real
// IMDB data: a masked model learns from the first epochs, a masked, bucketed, dropout BiLSTM
// resumes bit for bit, checkpoints record the options, and bad combinations are clear errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/backend.h"
#include "engine/safetensors.h"
#include "host/run/checkpoint.h"
#include "test_env.h"
#include "train_cli_util.h"

namespace senti {
namespace {

using test::read_jsonl;
using test::train_cmd;

// Issue 12's target: 4,000 reviews, maxlen 200, *post* padding, 2 epochs. Without the mask the
// LSTM must first learn to carry its state through the trailing padding (val_acc ~0.69 after 2
// epochs); with it the classifier reads the state after the last real token at once.
TEST(TrainOptionsCli, MaskedModelLearnsWithPostPaddingInTwoEpochs) {
  const std::string out = test::scratch_dir("train-mask");
  std::string log;
  ASSERT_EQ(test::run_command(train_cmd(out, "--limit 4000 --maxlen 200 --padding post --epochs 2 "
                                             "--mask --test-limit 2000"),
                              &log),
            0)
      << log;
  const auto recs = read_jsonl(out + "/metrics.jsonl");
  ASSERT_EQ(recs.size(), 3u) << log;
  EXPECT_GE(recs[1]["val_acc"].get<double>(), 0.75) << log;
  // Token accounting: every batch is padded to its longest review (at most 200), the real tokens
  // are what the LSTM reads.
  const int64_t real = recs[0]["real_tokens"], padded = recs[0]["padded_tokens"];
  EXPECT_GT(real, 3200 * 100);
  EXPECT_LT(real, padded);
  EXPECT_LE(padded, 3200 * 200);
  EXPECT_NE(log.find("real tokens/s"), std::string::npos) << log;
  EXPECT_NE(log.find("mask_zero"), std::string::npos) << log;

  const Checkpoint c = load_checkpoint(out);
  EXPECT_TRUE(c.model.mask);
  EXPECT_EQ(safetensors::read_file(checkpoint_file(out)).metadata.at("format"), kCheckpointFormatV2);
  // eval applies the mask from the checkpoint and reproduces the trainer's test figures.
  std::string eval_log;
  ASSERT_EQ(test::run_command(test::senti_bin() + " eval --device cpu --json --batch 32 --limit 2000 " +
                                  "--checkpoint " + out + " --data " + test::imdb_archive(),
                              &eval_log),
            0)
      << eval_log;
  const auto j = nlohmann::json::parse(eval_log.substr(eval_log.find('{')));
  EXPECT_NEAR(j["test_acc"].get<double>(), recs[2]["test_acc"].get<double>(), 1e-12);
}

// Dropout masks are keyed by the step and bucketed orders by the epoch: a resumed run equals an
// uninterrupted one bit for bit, also with every option on; early stopping resumes from its state.
TEST(TrainOptionsCli, EveryOptionResumesExactly) {
  const std::string a = test::scratch_dir("opt-full"), b = test::scratch_dir("opt-resumed");
  const std::string common =
      "--limit 600 --maxlen 60 --batch 16 --test-limit 0 --seed 5 --mask --bucket --bidirectional "
      "--pool concat --dropout 0.2 --spatial-dropout --dense-dropout 0.3 --hidden 8 --embed 16 "
      "--padding pre --embedding-clip-norm sparse --early-stopping 5 --validation-split-by movie";
  std::string log;
  ASSERT_EQ(test::run_command(train_cmd(a, common + " --epochs 3"), &log), 0) << log;
  ASSERT_EQ(test::run_command(train_cmd(b, common + " --epochs 1"), &log), 0) << log;
  ASSERT_EQ(test::run_command(train_cmd(b, common + " --epochs 3 --resume"), &log), 0) << log;
  const Checkpoint ca = load_checkpoint(a), cb = load_checkpoint(b);
  EXPECT_EQ(ca.state.params, cb.state.params);
  EXPECT_EQ(ca.state.m, cb.state.m);
  EXPECT_TRUE(ca.model.bidirectional && ca.model.mask && ca.model.spatial_dropout);
  EXPECT_EQ(ca.model.pool, Pool::Concat);
  EXPECT_FLOAT_EQ(ca.model.dense_dropout, 0.3f);
  EXPECT_EQ(ca.optimizer.embedding_clip_norm, EmbeddingClipNorm::Sparse);
  EXPECT_EQ(ca.train_config["bucket"], true);
  EXPECT_EQ(ca.train_config["validation_split_by"], "movie");
  // Resuming with another model option is refused, naming it.
  ASSERT_NE(test::run_command(train_cmd(b, common + " --epochs 4 --resume --no-bidirectional"), &log), 0);
  EXPECT_NE(log.find("bidirectional"), std::string::npos) << log;
}

// --preset best sets the recipe of docs/benchmarks.md; explicit flags still win.
TEST(TrainOptionsCli, BestPresetSetsItsRecipe) {
  const std::string out = test::scratch_dir("opt-best");
  std::string log;
  ASSERT_EQ(test::run_command(train_cmd(out, "--preset best --limit 300 --maxlen 40 --embed 8 "
                                             "--hidden 4 --epochs 1 --test-limit 0 --lr 0.003"),
                              &log),
            0)
      << log;
  const Checkpoint c = load_checkpoint(out);
  EXPECT_TRUE(c.model.mask && c.model.bidirectional && c.model.spatial_dropout);
  EXPECT_EQ(c.model.pool, Pool::Concat);
  EXPECT_FLOAT_EQ(c.model.dropout, 0.5f);
  EXPECT_FLOAT_EQ(c.model.dense_dropout, 0.5f);
  EXPECT_EQ(c.model.vocab_size, 10000);
  EXPECT_EQ(c.model.ngrams, 2);
  EXPECT_EQ(c.model.ngram_buckets, 1 << 20);
  EXPECT_EQ(c.model.embed_dim, 8);  // explicit
  EXPECT_FLOAT_EQ(c.optimizer.clipnorm, 1.0f);
  EXPECT_FLOAT_EQ(c.optimizer.adam.lr, 0.003f);  // explicit
  EXPECT_EQ(c.optimizer.embedding_clip_norm, EmbeddingClipNorm::Dense);
  EXPECT_EQ(c.train_config["batch"], 64);
  EXPECT_EQ(c.train_config["bucket"], true);
  EXPECT_EQ(c.train_config["validation_split_by"], "movie");
  EXPECT_EQ(c.train_config["truncating"], "pre");
  // --dropout 0 drops the preset's spatial flag with it instead of refusing the combination.
  const std::string out0 = test::scratch_dir("opt-best-nodrop");
  ASSERT_EQ(test::run_command(train_cmd(out0, "--preset best --limit 200 --maxlen 20 --embed 4 "
                                              "--hidden 2 --epochs 1 --test-limit 0 --dropout 0"),
                              &log),
            0)
      << log;
  EXPECT_FALSE(load_checkpoint(out0).model.spatial_dropout);
}

TEST(TrainOptionsCli, BadCombinationsAreClearErrors) {
  const std::string out = test::scratch_dir("opt-bad");
  const std::string data = " --data " + test::imdb_archive() + " --device cpu --out " + out + "/run";
  const std::pair<std::string, const char*> cases[] = {
      {"--bucket", "--bucket needs --mask"},
      {"--dropout 1", "--dropout"},
      {"--dense-dropout -0.1", "--dense-dropout"},
      {"--spatial-dropout", "--spatial-dropout"},
      {"--pool median", "--pool"},
      {"--embedding-clip-norm l1", "--embedding-clip-norm"},
      {"--early-stopping 2 --validation-split 0", "--early-stopping"},
      {"--monitor accuracy", "--monitor"},
      {"--validation-split-by film", "--validation-split-by"},
      {"--preset fastest", "--preset"},
  };
  for (const auto& [args, expect] : cases) {
    std::string log;
    EXPECT_NE(test::run_command(test::senti_bin() + " train " + args + data, &log), 0) << args;
    EXPECT_NE(log.find(expect), std::string::npos) << args << ": " << log;
    EXPECT_FALSE(std::filesystem::exists(out + "/run")) << args;
  }
}

// The CUDA backend runs every model option with the fused LSTM (the default); cuDNN and the CPU
// stand-in refuse the LSTM options they do not implement (cuDNN: the bidirectional layer; the
// stand-in: everything beyond the seed's LSTM), naming --lstm and the flag.
TEST(CudaUnsupported, NamesTheFlag) {
  BackendOptions o;
  EXPECT_EQ(cuda_unsupported(o), "");  // the seed model
  o.optimizer.embedding_clip_norm = EmbeddingClipNorm::Sparse;
  o.model.bidirectional = o.model.mask = true;
  o.model.pool = Pool::Concat;
  o.model.dropout = o.model.dense_dropout = 0.2f;
  EXPECT_EQ(cuda_unsupported(o), "");  // --lstm auto = fused: everything
  o.lstm = LstmKind::Fused;
  EXPECT_EQ(cuda_unsupported(o), "");
  o.lstm = LstmKind::Cudnn;
  EXPECT_EQ(cuda_unsupported(o), "--lstm cudnn does not implement --bidirectional yet (use --lstm "
                                 "fused, the default, or --device cpu)");
  o.model.bidirectional = false;
  EXPECT_EQ(cuda_unsupported(o), "");  // cuDNN: lengths (seqLengthArray) and dL/dy for pooling
  o.lstm = LstmKind::StandIn;
  EXPECT_NE(cuda_unsupported(o).find("--lstm stand-in does not implement --mask"), std::string::npos);
  o.model.mask = false;
  EXPECT_NE(cuda_unsupported(o).find("--pool"), std::string::npos);
  o.model.pool = Pool::Last;
  EXPECT_EQ(cuda_unsupported(o), "");  // dropout and the sparse clip norm work with any LSTM
}

}  // namespace
}  // namespace senti
