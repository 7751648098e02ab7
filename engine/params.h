#pragma once
// All trainable parameters live in one flat float buffer, in Keras layout, so checkpoints, the
// optimizer state and gradients share one layout:
//
//   embedding         (V, E)    Keras "embedding/embeddings"
//   kernel            (E, 4H)   Keras "lstm/lstm_cell/kernel", gate blocks i|f|c|o along columns
//   recurrent_kernel  (H, 4H)   Keras "lstm/lstm_cell/recurrent_kernel"
//   bias              (4H)      Keras "lstm/lstm_cell/bias"
//   dense_kernel      (H, 1)    Keras "dense/kernel"
//   dense_bias        (1)       Keras "dense/bias"
//
// Each tensor is one Keras variable: `clipnorm` clips each of them on its own.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/model_config.h"

namespace senti {

enum class ParamId : int { Embedding = 0, Kernel, RecurrentKernel, Bias, DenseKernel, DenseBias };
constexpr int kNumParamTensors = 6;

struct TensorInfo {
  const char* name;            // Keras variable path, e.g. "lstm/lstm_cell/kernel"
  std::vector<int64_t> shape;  // row-major
  size_t offset;               // in floats, from the start of the flat buffer
  size_t size;                 // number of floats
};

// Size limits, checked before anything is allocated (flags and checkpoint metadata alike): far
// above any sensible text classifier, low enough that the sizes cannot overflow and a mistyped
// value fails with a message instead of an allocation failure.
constexpr int kMaxVocabSize = 1 << 24;         // V
constexpr int kMaxEmbedDim = 1 << 16;          // E
constexpr int kMaxHidden = 1 << 16;            // H (4H gates must fit an int)
constexpr size_t kMaxParameters = size_t{1} << 30;  // 4 GiB of float32 weights (x4 with Adam, grads)

// The one owner of the model-shape rules: throws InvalidSetting named "vocab_size", "embed_dim",
// "hidden" or "model" (the total) when a dimension is not positive or a limit above is exceeded.
void validate_model_config(const ModelConfig& cfg);

class ParamLayout {
 public:
  explicit ParamLayout(const ModelConfig& cfg);  // validate_model_config(cfg) first
  const ModelConfig& config() const { return cfg_; }
  size_t total() const { return total_; }
  const TensorInfo& operator[](ParamId id) const { return tensors_[static_cast<int>(id)]; }
  const std::array<TensorInfo, kNumParamTensors>& tensors() const { return tensors_; }

 private:
  ModelConfig cfg_;
  std::array<TensorInfo, kNumParamTensors> tensors_;
  size_t total_ = 0;
};

// Named views into a flat buffer laid out by ParamLayout (works for params, grads, m and v alike,
// on the host or the device: only pointer arithmetic).
template <typename T>
struct ParamViews {
  T* embedding;         // (V, E)
  T* kernel;            // (E, 4H)
  T* recurrent_kernel;  // (H, 4H)
  T* bias;              // (4H)
  T* dense_kernel;      // (H, 1)
  T* dense_bias;        // (1)
};

template <typename T>
ParamViews<T> make_views(T* base, const ParamLayout& L) {
  return {base + L[ParamId::Embedding].offset,       base + L[ParamId::Kernel].offset,
          base + L[ParamId::RecurrentKernel].offset, base + L[ParamId::Bias].offset,
          base + L[ParamId::DenseKernel].offset,     base + L[ParamId::DenseBias].offset};
}

// Everything the optimizer needs to continue exactly: parameters, Adam moments, step count.
struct TrainState {
  std::vector<float> params;  // ParamLayout
  std::vector<float> m, v;    // Adam first/second moments, ParamLayout
  int64_t step = 0;           // optimizer iterations done (Keras `iterations`)
};

}  // namespace senti
