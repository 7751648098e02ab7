#pragma once
// One LSTM layer on the device, the piece of the CUDA backend that has several implementations:
//   CudnnLstm      cuDNN's RNN API (engine/cuda/cudnn_lstm.*; real GPU only)
//   CpuStandInLstm the CPU twin on the device buffers (engine/cuda/cpu_standin_lstm.*; emulated
//                  device only, where device memory is host memory)
//   FusedLstm      senti's own kernels (engine/cuda/fused_lstm.*; both builds, the default)
// make_device_lstm() is the one place that picks one (BackendOptions::lstm).
//
// Keras semantics: gates i, f, c(g), o; h0 = c0 = 0; without lengths every sequence runs all T
// steps; with lengths (masking, docs/model.md) each row runs over its real tokens only (post or
// pre padding, set_padding) and padded positions get zero outputs and no gradient.
// Layouts are sequence-major: x [T, B, E], y [T, B, D·H]; hy [B, D·H] is the state after each
// row's last real step (D = shape().directions; a bidirectional layer is Keras's
// Bidirectional(LSTM(H)), merge concat: the forward direction in columns [0, H), the backward
// direction, which reads the real tokens in reverse, in [H, 2H)).
// Weights: per direction the Keras block, kernel (E, 4H) | recurrent_kernel (H, 4H) | bias (4H),
// adjacent in the flat parameter buffer (ParamLayout; the backward direction's block is a separate
// one after the dense layer). Every call is queued on the stream the layer was made
// for and keeps that stream's order; none synchronises with the host unless it says so.
#include <cstdint>
#include <memory>
#include <string>

#include <cuda_runtime_api.h>

#include "engine/backend.h"

namespace senti::cuda {

struct DeviceLstmShape {
  int input_size = 0;  // E
  int hidden = 0;      // H
  int max_batch = 0;   // largest B
  int maxlen = 0;      // largest T
  // What the calls will use. Only the fused layer implements them (cuda_unsupported in
  // engine/backend.cpp tells the user; make_device_lstm checks).
  int directions = 1;              // 2: bidirectional (--bidirectional)
  bool lengths = false;            // per-row lengths (--mask)
  bool sequence_gradient = false;  // backward() gets dL/dy (pooling over time, --pool)
  int64_t keras_size() const {  // floats in one direction's Keras block: E*4H + H*4H + 4H
    const int64_t G = 4 * static_cast<int64_t>(hidden);
    return (static_cast<int64_t>(input_size) + hidden + 1) * G;
  }
};

class DeviceLstm {
 public:
  virtual ~DeviceLstm() = default;

  // "cuDNN 9.19.0 (STANDARD, FP32 FMA)", "CPU stand-in (...)": for Backend::describe().
  virtual std::string describe() const = 0;
  const DeviceLstmShape& shape() const { return shape_; }
  int64_t keras_size() const { return shape_.keras_size(); }

  // Keras block (device) -> the layer's weights. Call again after every change of the block.
  virtual void load_keras(const float* keras_block) = 0;
  // The weight gradient of the last backward() -> Keras block (device), overwritten.
  virtual void gradient_to_keras(float* keras_block_grad) = 0;
  // The same for the backward direction of a bidirectional layer (its own block); the base
  // versions refuse (unidirectional layers).
  virtual void load_keras_reverse(const float* keras_block);
  virtual void gradient_to_keras_reverse(float* keras_block_grad);

  // Where the padding of the next calls' rows is (Batch::padding); read only with lengths. A
  // backward sees the padding of its forward.
  void set_padding(PadSide padding) { padding_ = padding; }
  PadSide padding() const { return padding_; }

  // x [T,B,E] -> y [T,B,D·H], hy [B,D·H]; training = true keeps what backward() needs.
  // lengths: device [B] true lengths for masking (shape().lengths), or null (all T steps).
  virtual void forward(int B, int T, const int32_t* lengths, const float* x, float* y, float* hy,
                       bool training) = 0;
  // After forward(training) of the same shape and inputs: dx [T,B,E] and the weight gradient from
  // dL/dhy [B,D·H] and dL/dy [T,B,D·H] (dy: shape().sequence_gradient only; null = zero, only hy
  // feeds the loss).
  virtual void backward(int B, int T, const int32_t* lengths, const float* x, const float* y,
                        const float* dy, const float* dhy, float* dx) = 0;

 protected:
  explicit DeviceLstm(const DeviceLstmShape& shape);
  // The checks every implementation makes on a call (B, T within the maxima; lengths and dy only
  // when the shape says so).
  void check_call(const char* what, int B, int T, const int32_t* lengths,
                  const float* dy = nullptr) const;

 private:
  DeviceLstmShape shape_;
  PadSide padding_ = PadSide::Post;
};


// What LstmKind::Auto means: Fused (in both builds).
LstmKind resolve_lstm_kind(LstmKind requested);

// The layer `kind` names (after resolve_lstm_kind), queued on `stream`. A UsageError naming
// --lstm when this build cannot run it (cuDNN on the emulated device, the stand-in on a real GPU,
// fused before it exists). deterministic: ask the library for reproducible results.
std::unique_ptr<DeviceLstm> make_device_lstm(LstmKind kind, const DeviceLstmShape& shape,
                                             cudaStream_t stream, bool deterministic);

}  // namespace senti::cuda
