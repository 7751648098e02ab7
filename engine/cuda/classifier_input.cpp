// Pooling over time and dense dropout around the dense layer. See classifier_input.h.
#include "engine/cuda/classifier_input.h"

#include "kernels/common/error.h"
#include "kernels/dropout.cuh"

namespace senti::cuda {

ClassifierInput::ClassifierInput(const ModelConfig& cfg, uint64_t seed, int max_batch, int maxlen)
    : pool_(cfg.pool),
      H_(cfg.hidden),
      D_(cfg.directions()),
      F_(cfg.features()),
      dense_dropout_(cfg.dense_dropout),
      seed_(seed),
      pooled_(cfg.pool != Pool::Last || cfg.dense_dropout > 0.f),
      sequence_gradient_(cfg.pool != Pool::Last) {
  SENTI_CHECK(max_batch > 0 && maxlen > 0, "ClassifierInput: max_batch ", max_batch, " maxlen ",
              maxlen);
  const size_t B = max_batch, DH = static_cast<size_t>(D_) * H_;
  if (pooled_) {
    feat_.resize(B * F_);
    dfeat_.resize(B * F_);
  }
  if (pool_ == Pool::Max || pool_ == Pool::Concat) argmax_.resize(B * DH);
  if (sequence_gradient_) dy_.resize(static_cast<size_t>(maxlen) * B * DH);
}

kernels::SequencePoolShape ClassifierInput::shape(const SequenceRows& rows) const {
  kernels::SequencePoolShape s;
  s.B = rows.B;
  s.T = rows.T;
  s.H = H_;
  s.directions = D_;
  s.lengths = rows.lengths;
  s.padding = rows.padding == PadSide::Pre ? kernels::Padding::Pre : kernels::Padding::Post;
  s.last = pool_ == Pool::Last || pool_ == Pool::Concat;
  s.max = pool_ == Pool::Max || pool_ == Pool::Concat;
  s.mean = pool_ == Pool::Mean || pool_ == Pool::Concat;
  return s;
}

const float* ClassifierInput::forward(const SequenceRows& rows, const float* y, const float* hy,
                                      const int64_t* step, bool training, cudaStream_t stream) {
  if (!pooled_) return hy;
  kernels::sequence_pool_forward(shape(rows), y, hy, feat_.get(), argmax_.get(), stream);
  if (training && dense_dropout_ > 0.f)
    kernels::feature_dropout(feat_.get(), rows.B, F_, {seed_, step, dense_dropout_, rows.first_row}, stream);
  return feat_.get();
}

const float* ClassifierInput::backward(const SequenceRows& rows, float* dhy, const int64_t* step,
                                       cudaStream_t stream) {
  if (!pooled_) return nullptr;  // dense_bce wrote dL/dhy itself
  if (dense_dropout_ > 0.f)  // dL/dpooled = dL/dfeatures ⊙ mask (backward follows a training forward)
    kernels::feature_dropout(dfeat_.get(), rows.B, F_, {seed_, step, dense_dropout_, rows.first_row}, stream);
  float* dy = sequence_gradient_ ? dy_.get() : nullptr;
  kernels::sequence_pool_backward(shape(rows), dfeat_.get(), argmax_.get(), dy, dhy, stream);
  return dy;
}

}  // namespace senti::cuda
