#include "engine/params.h"

#include "kernels/common/error.h"

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

ParamLayout::ParamLayout(const ModelConfig& cfg) : cfg_(cfg) {
  SENTI_CHECK(cfg.vocab_size > 0 && cfg.embed_dim > 0 && cfg.hidden > 0, "bad model config");
  const int64_t V = cfg.vocab_size, E = cfg.embed_dim, H = cfg.hidden, G = 4 * H;
  const int64_t F = cfg.features();
  std::vector<std::vector<int64_t>> shapes{{V, E}, {E, G}, {H, G}, {G}, {F, 1}, {1}};
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
