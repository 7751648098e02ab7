#pragma once
// All trainable parameters live in one flat float buffer, in Keras layout, so checkpoints, the
// optimizer state and gradients share one layout:
//
//   embedding         (V, E)    Keras "embedding/embeddings"
//   kernel            (E, 4H)   Keras "lstm/lstm_cell/kernel", gate blocks i|f|c|o along columns
//   recurrent_kernel  (H, 4H)   Keras "lstm/lstm_cell/recurrent_kernel"
//   bias              (4H)      Keras "lstm/lstm_cell/bias"
//   dense_kernel      (F+W, O)  Keras "dense/kernel"; F = ModelConfig::features() (H for the seed),
//                               then W = ngram_width() rows for the n-gram features (0 without);
//                               O = ModelConfig::outputs(): 1 (sigmoid head) or K classes
//   dense_bias        (O)       Keras "dense/bias"
// and for a bidirectional model three more at the end (the forward LSTM's tensors above are then
// named "bidirectional/forward_lstm/lstm_cell/...", these "bidirectional/backward_lstm/..."):
//   kernel_back, recurrent_kernel_back, bias_back   the backward direction's LSTM
//
// Each tensor is one Keras variable: `clipnorm` clips each of them on its own. The first six keep
// their offsets whatever the options, so code written for the seed model (kNumParamTensors
// tensors) sees the same layout for every unidirectional model.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/model_config.h"

namespace senti {

enum class ParamId : int {
  Embedding = 0, Kernel, RecurrentKernel, Bias, DenseKernel, DenseBias,  // every model
  KernelBack, RecurrentKernelBack, BiasBack                             // bidirectional only
};
constexpr int kNumParamTensors = 6;  // tensors of a unidirectional model
constexpr int kMaxParamTensors = 9;  // tensors of a bidirectional model

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
constexpr int kMaxNgramBuckets = 1 << 26;      // hashed n-gram slots
constexpr int kMaxClasses = 1 << 16;           // K
constexpr size_t kMaxParameters = size_t{1} << 30;  // 4 GiB of float32 weights (x4 with Adam, grads)

// The one owner of the model rules: throws InvalidSetting named "vocab_size", "embed_dim",
// "hidden" or "model" (the total) when a dimension is not positive or a limit above is exceeded,
// and "dropout", "dense_dropout", "spatial_dropout" for a rate outside [0, 1) or a spatial
// dropout without a rate, "ngrams" outside 0..3, "ngram_buckets" outside 1..kMaxNgramBuckets,
// "classes" for a sigmoid head without exactly 2 classes, a softmax head with fewer than 2 or a
// multi-label head with fewer than 1 (at most kMaxClasses).
void validate_model_config(const ModelConfig& cfg);

class ParamLayout {
 public:
  explicit ParamLayout(const ModelConfig& cfg);  // validate_model_config(cfg) first
  const ModelConfig& config() const { return cfg_; }
  size_t total() const { return total_; }
  int count() const { return static_cast<int>(tensors_.size()); }  // 6, or 9 when bidirectional
  bool has(ParamId id) const { return static_cast<int>(id) < count(); }
  const TensorInfo& operator[](ParamId id) const;  // SENTI_CHECKs has(id)
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // in ParamId order

 private:
  ModelConfig cfg_;
  std::vector<TensorInfo> tensors_;
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
  T* dense_kernel;      // (F+W, O): the LSTM features' F rows, then the n-gram slots' W
  T* dense_bias;        // (O)
  T* kernel_back = nullptr;            // (E, 4H), bidirectional only
  T* recurrent_kernel_back = nullptr;  // (H, 4H), bidirectional only
  T* bias_back = nullptr;              // (4H), bidirectional only
};

template <typename T>
ParamViews<T> make_views(T* base, const ParamLayout& L) {
  ParamViews<T> v{base + L[ParamId::Embedding].offset,       base + L[ParamId::Kernel].offset,
                  base + L[ParamId::RecurrentKernel].offset, base + L[ParamId::Bias].offset,
                  base + L[ParamId::DenseKernel].offset,     base + L[ParamId::DenseBias].offset};
  if (L.has(ParamId::BiasBack)) {
    v.kernel_back = base + L[ParamId::KernelBack].offset;
    v.recurrent_kernel_back = base + L[ParamId::RecurrentKernelBack].offset;
    v.bias_back = base + L[ParamId::BiasBack].offset;
  }
  return v;
}

// Everything the optimizer needs to continue exactly: parameters, Adam moments, step count.
struct TrainState {
  std::vector<float> params;  // ParamLayout
  std::vector<float> m, v;    // Adam first/second moments, ParamLayout
  int64_t step = 0;           // optimizer iterations done (Keras `iterations`)
};

}  // namespace senti
