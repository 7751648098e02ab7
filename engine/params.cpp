#include "engine/params.h"

#include "kernels/common/error.h"

namespace senti {

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
  const uint64_t total = V * E + E * 4 * H + H * 4 * H + 4 * H + H + 1;
  if (total > kMaxParameters)
    SENTI_FAIL_SETTING("model", "has ", total, " parameters (vocabulary ", V, " x embedding ", E,
                       ", LSTM ", H, "), more than the ", kMaxParameters, " this senti supports");
}

ParamLayout::ParamLayout(const ModelConfig& cfg) : cfg_(cfg) {
  validate_model_config(cfg);
  const int64_t V = cfg.vocab_size, E = cfg.embed_dim, H = cfg.hidden, G = 4 * H;
  const std::array<std::pair<const char*, std::vector<int64_t>>, kNumParamTensors> spec{{
      {"embedding/embeddings", {V, E}},
      {"lstm/lstm_cell/kernel", {E, G}},
      {"lstm/lstm_cell/recurrent_kernel", {H, G}},
      {"lstm/lstm_cell/bias", {G}},
      {"dense/kernel", {H, 1}},
      {"dense/bias", {1}},
  }};
  for (int i = 0; i < kNumParamTensors; ++i) {
    size_t n = 1;
    for (int64_t d : spec[i].second) n *= static_cast<size_t>(d);
    tensors_[i] = TensorInfo{spec[i].first, spec[i].second, total_, n};
    total_ += n;
  }
}

}  // namespace senti
