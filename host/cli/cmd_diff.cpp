// `senti diff A B`: do two checkpoints hold the same model? Compares what determines the model and
// its training (shapes, settings, preprocessing, vocabulary, seed, step, every tensor element by
// element, the history's losses and accuracies) and ignores the wall-clock fields (seconds,
// samples/s) that make two identical runs differ byte for byte. Exit 0: same; 1: different (each
// difference listed); 2: a file could not be read.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/cli/commands.h"
#include "host/cli/flag_names.h"
#include "host/run/checkpoint.h"

namespace senti::cli {
namespace {

// History records without their timing fields.
nlohmann::json without_timing(nlohmann::json history) {
  for (auto& rec : history)
    if (rec.is_object())
      for (const char* k : {"seconds", "train_seconds", "samples_per_s", "real_tokens_per_s"}) rec.erase(k);
  return history;
}

class Differences {
 public:
  template <typename T>
  void compare(const std::string& what, const T& a, const T& b) {
    if (a == b) return;
    lines_.push_back(what + ": " + nlohmann::json(a).dump() + " vs " + nlohmann::json(b).dump());
  }
  void tensors(const std::string& kind, const ParamLayout& layout, const std::vector<float>& a,
               const std::vector<float>& b) {
    for (const TensorInfo& t : layout.tensors()) {
      size_t differing = 0;
      double max_abs = 0;
      for (size_t i = t.offset; i < t.offset + t.size; ++i)
        if (a[i] != b[i]) {
          ++differing;
          max_abs = std::max(max_abs, std::fabs(static_cast<double>(a[i]) - b[i]));
        }
      if (differing == 0) continue;
      char line[256];
      std::snprintf(line, sizeof line, "%s%s: %zu of %zu elements differ (max |a - b| %.6g)",
                    kind.c_str(), t.name, differing, t.size, max_abs);
      lines_.push_back(line);
    }
  }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::vector<std::string> lines_;
};

void run_diff(const std::string& path_a, const std::string& path_b) {
  const std::string file_a = checkpoint_file(path_a), file_b = checkpoint_file(path_b);
  const Checkpoint a = load_checkpoint(file_a), b = load_checkpoint(file_b);
  Differences d;
  const nlohmann::json ma = model_metadata(a.model), mb = model_metadata(b.model);
  for (const auto& [key, value] : ma.items()) d.compare("model." + key, value, mb.value(key, nlohmann::json()));
  d.compare("optimizer.learning_rate", a.optimizer.adam.lr, b.optimizer.adam.lr);
  d.compare("optimizer.beta_1", a.optimizer.adam.beta1, b.optimizer.adam.beta1);
  d.compare("optimizer.beta_2", a.optimizer.adam.beta2, b.optimizer.adam.beta2);
  d.compare("optimizer.epsilon", a.optimizer.adam.epsilon, b.optimizer.adam.epsilon);
  d.compare("optimizer.clipnorm", a.optimizer.clipnorm, b.optimizer.clipnorm);
  d.compare("optimizer.global_clipnorm", a.optimizer.global_clipnorm, b.optimizer.global_clipnorm);
  d.compare("optimizer.embedding_clip_norm", std::string(embedding_clip_norm_name(a.optimizer.embedding_clip_norm)),
            std::string(embedding_clip_norm_name(b.optimizer.embedding_clip_norm)));
  d.compare("preprocessing.num_words", a.vocab.num_words, b.vocab.num_words);
  d.compare("preprocessing.maxlen", a.sequence.maxlen, b.sequence.maxlen);
  d.compare("preprocessing.padding", static_cast<int>(a.sequence.padding),
            static_cast<int>(b.sequence.padding));
  d.compare("preprocessing.truncating", static_cast<int>(a.sequence.truncating),
            static_cast<int>(b.sequence.truncating));
  d.compare("preprocessing.tokenizer", std::string(text::tokenizer_name(a.tokenizer)),
            std::string(text::tokenizer_name(b.tokenizer)));
  d.compare("preprocessing.tokenizer_version", a.tokenizer_version, b.tokenizer_version);
  d.compare("preprocessing.tokenizer_icu", a.tokenizer_icu, b.tokenizer_icu);
  d.compare("vocabulary.hash", a.vocab.hash(), b.vocab.hash());
  d.compare("vocabulary.source", a.vocab.source, b.vocab.source);
  d.compare("seed", a.seed, b.seed);
  d.compare("epoch", a.epoch, b.epoch);
  d.compare("step", a.state.step, b.state.step);
  d.compare("train_config", a.train_config, b.train_config);
  d.compare("history (without timings)", without_timing(a.history), without_timing(b.history));
  // Element by element only when both hold the same tensors (names and shapes): models that differ
  // in an option that changes the layout (bidirectional, pooling, n-grams) differ above already.
  const ParamLayout layout(a.model), layout_b(b.model);
  bool same_layout = layout.count() == layout_b.count();
  for (int i = 0; same_layout && i < layout.count(); ++i)
    same_layout = std::string(layout.tensors()[i].name) == layout_b.tensors()[i].name &&
                  layout.tensors()[i].shape == layout_b.tensors()[i].shape;
  if (same_layout) {
    d.tensors("", layout, a.state.params, b.state.params);
    d.compare("optimizer state present", !a.state.m.empty(), !b.state.m.empty());
    if (!a.state.m.empty() && !b.state.m.empty()) {
      d.tensors("optimizer/m/", layout, a.state.m, b.state.m);
      d.tensors("optimizer/v/", layout, a.state.v, b.state.v);
    }
  }
  if (d.lines().empty()) {
    std::printf("same model content: %s and %s (weights_xxh64 %s; wall-clock fields ignored)\n",
                file_a.c_str(), file_b.c_str(), weights_hash_hex(a).c_str());
    return;
  }
  std::printf("%s and %s differ in %zu places:\n", file_a.c_str(), file_b.c_str(), d.lines().size());
  for (const std::string& line : d.lines()) std::printf("  %s\n", line.c_str());
  throw CLI::RuntimeError(1);  // like diff(1): exit 1, no error message
}

}  // namespace

void register_diff(CLI::App& app) {
  auto a = std::make_shared<std::string>(), b = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "diff", "Compare the model content of two checkpoints, ignoring wall-clock fields (exit 0 same, "
              "1 different)");
  cmd->add_option("a", *a, "First checkpoint (file or training folder)")
      ->required()
      ->check(non_empty_path());
  cmd->add_option("b", *b, "Second checkpoint (file or training folder)")
      ->required()
      ->check(non_empty_path());
  cmd->callback([a, b] { run_diff(*a, *b); });
}

}  // namespace senti::cli
