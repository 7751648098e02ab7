#include "engine/params.h"

#include "kernels/common/error.h"

namespace senti {

ParamLayout::ParamLayout(const ModelConfig& cfg) : cfg_(cfg) {
  SENTI_CHECK(cfg.vocab_size > 0 && cfg.embed_dim > 0 && cfg.hidden > 0, "bad model config");
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
