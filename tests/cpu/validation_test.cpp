// Each setting's rule has one owner in the library, which refuses a bad value with the setting's
// name (InvalidSetting); the CLI only maps that name to its flag. Non-finite values included:
// NaN fails every comparison, so a rule written as `x < 0` would let it through.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "engine/optimizer.h"
#include "engine/params.h"
#include "host/data/corpus_builder.h"
#include "host/data/dataset.h"
#include "host/run/trainer.h"
#include "kernels/common/error.h"

namespace senti {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// The setting named by the InvalidSetting `fn` throws ("" when it throws none).
std::string refused_setting(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const InvalidSetting& e) {
    return e.setting();
  }
  return "";
}

TEST(Validation, OptimizerRefusesNonFiniteAndAbsurdValues) {
  auto with = [](const std::function<void(OptimizerConfig*)>& edit) {
    OptimizerConfig o;
    edit(&o);
    return refused_setting([&] { validate_optimizer_config(o); });
  };
  EXPECT_EQ(with([](OptimizerConfig*) {}), "");
  for (float bad : {kNaN, kInf, -1.f}) {
    EXPECT_EQ(with([&](OptimizerConfig* o) { o->clipnorm = bad; }), "clipnorm") << bad;
    EXPECT_EQ(with([&](OptimizerConfig* o) { o->clipnorm = 0, o->global_clipnorm = bad; }),
              "global_clipnorm") << bad;
    EXPECT_EQ(with([&](OptimizerConfig* o) { o->adam.lr = bad; }), "lr") << bad;
    EXPECT_EQ(with([&](OptimizerConfig* o) { o->adam.epsilon = bad; }), "epsilon") << bad;
    EXPECT_EQ(with([&](OptimizerConfig* o) { o->adam.beta1 = bad; }), "beta1") << bad;
    EXPECT_EQ(with([&](OptimizerConfig* o) { o->adam.beta2 = bad; }), "beta2") << bad;
  }
  EXPECT_EQ(with([](OptimizerConfig* o) { o->adam.lr = 3.4e38f; }), "lr");
  EXPECT_EQ(with([](OptimizerConfig* o) { o->adam.lr = kMaxLearningRate; }), "");
  EXPECT_EQ(with([](OptimizerConfig* o) { o->adam.lr = 1e10f; }), "");  // left to the divergence guard
  EXPECT_EQ(with([](OptimizerConfig* o) { o->global_clipnorm = 1; }), "clipnorm+global_clipnorm");
}

TEST(Validation, ModelShapeIsBoundedBeforeAnythingIsAllocated) {
  EXPECT_EQ(refused_setting([] { validate_model_config({10000, 128, 64}); }), "");
  EXPECT_EQ(refused_setting([] { validate_model_config({0, 128, 64}); }), "vocab_size");
  EXPECT_EQ(refused_setting([] { validate_model_config({2000000000, 128, 64}); }), "vocab_size");
  EXPECT_EQ(refused_setting([] { validate_model_config({10000, 2000000000, 64}); }), "embed_dim");
  EXPECT_EQ(refused_setting([] { validate_model_config({10000, 128, 100000000}); }), "hidden");
  EXPECT_EQ(refused_setting([] { validate_model_config({10000, 128, -1}); }), "hidden");
  EXPECT_EQ(refused_setting([] { validate_model_config({kMaxVocabSize, kMaxEmbedDim, 64}); }), "model");
  EXPECT_EQ(refused_setting([] { ParamLayout layout({kMaxVocabSize, kMaxEmbedDim, 64}); }), "model");
}

TEST(Validation, TrainOptionsSequenceAndVocabulary) {
  auto with = [](const std::function<void(TrainOptions*)>& edit) {
    TrainOptions o;
    edit(&o);
    return refused_setting([&] { validate_train_options(o); });
  };
  EXPECT_EQ(with([](TrainOptions*) {}), "");
  EXPECT_EQ(with([](TrainOptions* o) { o->batch_size = 0; }), "batch_size");
  EXPECT_EQ(with([](TrainOptions* o) { o->batch_size = 1000000000; }), "batch_size");
  EXPECT_EQ(with([](TrainOptions* o) { o->epochs = 0; }), "epochs");
  EXPECT_EQ(with([](TrainOptions* o) { o->validation_split = std::nan(""); }), "validation_split");
  EXPECT_EQ(with([](TrainOptions* o) { o->validation_split = 1; }), "validation_split");
  EXPECT_EQ(with([](TrainOptions* o) { o->validation_split_by = "film"; }), "validation_split_by");
  EXPECT_EQ(with([](TrainOptions* o) { o->validation_split_by = "movie"; }), "");
  EXPECT_EQ(with([](TrainOptions* o) { o->limit = -1; }), "limit");
  EXPECT_EQ(with([](TrainOptions* o) { o->test_limit = -2; }), "test_limit");
  EXPECT_EQ(with([](TrainOptions* o) { o->log_every = -1; }), "log_every");
  EXPECT_EQ(with([](TrainOptions* o) { o->max_loss = -1; }), "max_loss");
  EXPECT_EQ(with([](TrainOptions* o) { o->max_loss = std::nan(""); }), "max_loss");
  EXPECT_EQ(with([](TrainOptions* o) { o->max_loss = 0; }), "");  // off
  // split_rows applies the same rules (it is reached without the CLI too).
  TrainOptions nan_split;
  nan_split.validation_split = std::nan("");
  EXPECT_EQ(refused_setting([&] { split_rows(100, nan_split); }), "validation_split");

  data::SequenceOptions seq;
  EXPECT_EQ(refused_setting([&] { data::validate_sequence_options(seq); }), "");
  for (int bad : {0, -5, 2000000000}) {
    seq.maxlen = bad;
    EXPECT_EQ(refused_setting([&] { data::validate_sequence_options(seq); }), "maxlen") << bad;
  }
  EXPECT_EQ(refused_setting([] { data::check_num_words(3); }), "num_words");
  EXPECT_EQ(refused_setting([] { data::check_num_words(2000000000); }), "num_words");
  EXPECT_EQ(refused_setting([] { data::check_num_words(10000); }), "");
}

}  // namespace
}  // namespace senti
