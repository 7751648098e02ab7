#include "engine/params.h"

#include "kernels/common/error.h"
#include "kernels/common/math/ngram.h"

namespace senti {
namespace {

// Keras variable paths, in ParamId order (string literals: TensorInfo::name points at them).
constexpr const char* kUnidirectionalNames[kNumParamTensors] = {
    "embedding/embeddings", "lstm/lstm_cell/kernel", "lstm/lstm_cell/recurrent_kernel",
    "lstm/lstm_cell/bias",  "dense/kernel",          "dense/bias"};
constexpr const char* kBidirectionalNames[kMaxParamTensors] = {
    "embedding/embeddings",
    "bidirectional/forward_lstm/lstm_cell/kernel",
    "bidirectional/forward_lstm/lstm_cell/recurrent_kernel",
    "bidirectional/forward_lstm/lstm_cell/bias",
    "dense/kernel",
    "dense/bias",
    "bidirectional/backward_lstm/lstm_cell/kernel",
    "bidirectional/backward_lstm/lstm_cell/recurrent_kernel",
    "bidirectional/backward_lstm/lstm_cell/bias"};

}  // namespace

void validate_model_config(const ModelConfig& cfg) {
  auto in_range = [](const char* name, int v, int max) {
    if (v < 1 || v > max) SENTI_FAIL_SETTING(name, "must be in 1..", max, ", got ", v);
  };
  in_range("vocab_size", cfg.vocab_size, kMaxVocabSize);
  in_range("embed_dim", cfg.embed_dim, kMaxEmbedDim);
  in_range("hidden", cfg.hidden, kMaxHidden);
  // No overflow: each factor is below 2^24, so every product below fits in 64 bits.
  const uint64_t V = static_cast<uint64_t>(cfg.vocab_size), E = static_cast<uint64_t>(cfg.embed_dim),
                 H = static_cast<uint64_t>(cfg.hidden);
  const uint64_t directions = cfg.bidirectional ? 2 : 1;
  if (cfg.ngrams < 0 || cfg.ngrams > math::kMaxNgram)
    SENTI_FAIL_SETTING("ngrams", "must be in 0..", math::kMaxNgram, " (0 = off), got ", cfg.ngrams);
  if (cfg.ngram_buckets < 1 || cfg.ngram_buckets > kMaxNgramBuckets)
    SENTI_FAIL_SETTING("ngram_buckets", "must be in 1..", kMaxNgramBuckets, ", got ", cfg.ngram_buckets);
  switch (cfg.head) {
    case Head::Sigmoid:
      if (cfg.classes != 2)
        SENTI_FAIL_SETTING("classes", "a sigmoid head has 2 classes, got ", cfg.classes);
      break;
    case Head::Softmax: in_range("classes", cfg.classes, kMaxClasses);
      if (cfg.classes < 2) SENTI_FAIL_SETTING("classes", "a softmax head needs at least 2 classes, got ", cfg.classes);
      break;
    case Head::MultiLabel: in_range("classes", cfg.classes, kMaxClasses); break;
    case Head::LanguageModel:
      // Masked: its targets are the real tokens; the state at every step, not a pooled one.
      if (!cfg.mask) SENTI_FAIL_SETTING("mask", "a language model reads real tokens only: it needs the mask");
      if (cfg.pool != Pool::Last || cfg.ngrams != 0 || cfg.dense_dropout != 0.f)
        SENTI_FAIL_SETTING("model", "a language model has no pooling, n-gram features or dense dropout");
      if (cfg.vocab_size < 4) SENTI_FAIL_SETTING("vocab_size", "a language model needs words: V >= 4, got ", cfg.vocab_size);
      in_range("lm_samples", cfg.lm_samples, 1 << 16);
      break;
  }
  const uint64_t O = static_cast<uint64_t>(cfg.outputs());
  // dense_inputs() < 2^27 and O <= 2^16: the product fits.
  const uint64_t total = V * E + directions * (E * 4 * H + H * 4 * H + 4 * H) +
                         static_cast<uint64_t>(cfg.dense_inputs()) * O + O;
  if (total > kMaxParameters)
    SENTI_FAIL_SETTING("model", "has ", total, " parameters (vocabulary ", V, " x embedding ", E,
                       ", LSTM ", H, "), more than the ", kMaxParameters, " this senti supports");
  if (!(cfg.dropout >= 0.f && cfg.dropout < 1.f))
    SENTI_FAIL_SETTING("dropout", "must be in [0, 1), got ", cfg.dropout);
  if (!(cfg.dense_dropout >= 0.f && cfg.dense_dropout < 1.f))
    SENTI_FAIL_SETTING("dense_dropout", "must be in [0, 1), got ", cfg.dense_dropout);
  if (cfg.spatial_dropout && cfg.dropout == 0.f)
    SENTI_FAIL_SETTING("spatial_dropout", "makes the embedding dropout spatial; give it a rate with --dropout");
}

ParamLayout::ParamLayout(const ModelConfig& cfg) : cfg_(cfg) {
  validate_model_config(cfg);
  const int64_t V = cfg.vocab_size, E = cfg.embed_dim, H = cfg.hidden, G = 4 * H;
  const int64_t F = cfg.dense_inputs();  // the LSTM features, then the n-gram slots
  const int64_t O = cfg.outputs();       // 1, or K classes
  std::vector<std::vector<int64_t>> shapes{{V, E}, {E, G}, {H, G}, {G}, {F, O}, {O}};
  if (cfg.bidirectional) shapes.insert(shapes.end(), {{E, G}, {H, G}, {G}});
  const char* const* names = cfg.bidirectional ? kBidirectionalNames : kUnidirectionalNames;
  for (size_t i = 0; i < shapes.size(); ++i) {
    size_t n = 1;
    for (int64_t d : shapes[i]) n *= static_cast<size_t>(d);
    tensors_.push_back(TensorInfo{names[i], shapes[i], total_, n});
    total_ += n;
  }
}

const TensorInfo& ParamLayout::operator[](ParamId id) const {
  SENTI_CHECK(has(id), "parameter tensor ", static_cast<int>(id), " is not in this model (",
              count(), " tensors)");
  return tensors_[static_cast<int>(id)];
}

}  // namespace senti
