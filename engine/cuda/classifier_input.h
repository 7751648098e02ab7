#pragma once
// The CUDA backend's piece between the LSTM and the dense layer: pooling over time
// (kernels/sequence_pool, `--pool`) and the dense dropout (kernels/dropout, `--dense-dropout`),
// forward and backward, with their buffers. Semantics: docs/model.md. For the seed model (pool
// last, no dense dropout) the classifier input is hy itself and this piece queues nothing.
#include <cstdint>

#include <cuda_runtime_api.h>

#include "engine/batch.h"
#include "engine/cuda/device_buffer.h"
#include "engine/model_config.h"
#include "kernels/sequence_pool.cuh"

namespace senti::cuda {

// The rows of one call: shape, device lengths (null: all T steps real), padding side, and the
// global row of row 0 (Batch::row_offset: the dense dropout's keys).
struct SequenceRows {
  int B = 0, T = 0;
  const int32_t* lengths = nullptr;
  PadSide padding = PadSide::Post;
  uint64_t first_row = 0;
};

class ClassifierInput {
 public:
  // seed: the run's seed (dropout keys); max_batch, maxlen: the largest call.
  ClassifierInput(const ModelConfig& cfg, uint64_t seed, int max_batch, int maxlen);

  int features() const { return F_; }  // F = ModelConfig::features()
  // Backward produces dL/dy (max or mean pooling): the LSTM must take a sequence gradient.
  bool sequence_gradient() const { return sequence_gradient_; }

  // After the LSTM forward, y [T,B,D·H] and hy [B,D·H] -> the dense layer's input [B, F]
  // (returned: hy itself for the seed model). training: dense dropout keyed by *step (device).
  const float* forward(const SequenceRows& rows, const float* y, const float* hy,
                       const int64_t* step, bool training, cudaStream_t stream);
  // Where dense_bce writes dL/d(input) [B, F]: dhy itself for the seed model.
  float* input_gradient(float* dhy) { return pooled_ ? dfeat_.get() : dhy; }
  // After dense_bce's backward into input_gradient(dhy): dL/dhy into dhy [B,D·H]; returns dL/dy
  // [T,B,D·H] (null without max or mean pooling: the LSTM gets none).
  const float* backward(const SequenceRows& rows, float* dhy, const int64_t* step,
                        cudaStream_t stream);

 private:
  kernels::SequencePoolShape shape(const SequenceRows& rows) const;

  Pool pool_;
  int H_, D_, F_;
  float dense_dropout_;
  uint64_t seed_;
  bool pooled_;             // a features buffer (pooling other than last, or dense dropout)
  bool sequence_gradient_;  // max or mean pooling
  DeviceBuffer<float> feat_, dfeat_;  // [B, F]
  DeviceBuffer<int32_t> argmax_;      // [B, D·H] max pooling's positions
  DeviceBuffer<float> dy_;            // [T, B, D·H]
};

}  // namespace senti::cuda
