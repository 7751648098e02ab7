#pragma once
// The DeviceLstm on cuDNN 9's v8-style RNN API (FP32, CUDNN_FMA_MATH, algorithm STANDARD), real
// GPU only (cuDNN is not emulated). Semantics and layouts as in device_lstm.h. x and y use
// CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED with padded IO, as PyTorch's non-packed path: without
// lengths every sequence runs all T steps; with lengths (--mask) they go to cuDNN as the data
// descriptors' seqLengthArray (host) and devSeqLengths (device), so hy is each row's state after its
// last real token and y is zero past it. cuDNN's padded layout keeps each row's real tokens first,
// so masking needs post padding (pre padding is a UsageError: use the fused LSTM), every length
// must be in 1..T (cuDNN refuses empty sequences), and the lengths are read back to the host at
// each forward (one synchronisation a step: cuDNN is the reference path, the fused LSTM the fast
// one). dx at padded positions is zeroed after backward (cuDNN documents its fill for outputs
// only), so the embedding gradient and the sparse clip norm see exactly the real tokens.
// Unidirectional only.
//
// Weights: cuDNN's opaque weight space. The Keras block (kernel (E,4H), recurrent_kernel (H,4H),
// bias (4H), adjacent in ParamLayout) maps into it through an index map built once from
// cudnnGetRNNWeightParams and checked at construction (every Keras element lands on a distinct
// weight-space element; the only elements left over are cuDNN's input-side biases, which stay
// zero as in TensorFlow's cuDNN path, so the Keras bias is cuDNN's recurrent-side bias).
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include <string>

#include <cuda_runtime_api.h>

#include "engine/cuda/cudnn_objects.h"
#include "engine/cuda/device_buffer.h"
#include "engine/cuda/device_lstm.h"

namespace senti::cuda {

class CudnnLstm final : public DeviceLstm {
 public:
  // Owns its cuDNN handle, bound to `stream`; all work is queued there. deterministic: cuBLAS
  // (which cuDNN's RNN calls) picks reproducible reductions (CUBLAS_WORKSPACE_CONFIG, set before
  // the first handle exists unless the environment already sets it).
  CudnnLstm(const DeviceLstmShape& shape, cudaStream_t stream, bool deterministic);

  std::string describe() const override;

  // map[k] = weight-space float index of Keras-block element k (host copy, for tests).
  const std::vector<int32_t>& keras_to_weight_space() const { return map_host_; }
  size_t weight_space_floats() const { return weights_.size(); }
  float* weights() const { return weights_.get(); }
  float* dweights() const { return dweights_.get(); }

  // Keras block (device) -> weight space, and weight-space gradient -> Keras block (device).
  void load_keras(const float* keras_block) override;
  void gradient_to_keras(float* keras_block_grad) override;
  // The inverse of load_keras, for tests: weight space -> Keras block (device).
  void store_keras(float* keras_block) const;

  // training = true keeps the reserve space for backward().
  void forward(int B, int T, const int32_t* lengths, const float* x, float* y, float* hy,
               bool training) override;
  // The weight gradient is zeroed first (BackwardWeights only adds) and kept in dweights().
  void backward(int B, int T, const int32_t* lengths, const float* x, const float* y,
                const float* dy, const float* dhy, float* dx) override;

 private:
  struct Shape {
    RnnDataDesc x, y;
    TensorDesc h;  // {1, B, H}, used for hx/hy and cx/cy
    DeviceBuffer<int32_t> seq_lengths;  // the lengths the descriptors hold, on the device
    bool all_steps = true;              // the descriptors hold B copies of T (no lengths)
    size_t train_workspace = 0, reserve = 0, infer_workspace = 0;
  };
  Shape& shape_for(int B, int T);
  // Points the shape's descriptors and devSeqLengths at this call's lengths (null: all T).
  void set_lengths(Shape& s, int B, int T, const int32_t* lengths);
  void ensure_capacity(size_t workspace, size_t reserve);
  void build_weight_map();

  cudaStream_t stream_;
  int E_, H_, max_batch_, maxlen_;
  CudnnHandle handle_;
  DropoutDesc dropout_;
  RnnDesc rnn_;
  size_t weight_bytes_ = 0;
  DeviceBuffer<float> weights_, dweights_;
  std::vector<int32_t> map_host_;
  DeviceBuffer<int32_t> map_;
  DeviceBuffer<float> dy_zero_;  // [maxlen, max_batch, H] of zeros, never written
  DeviceBuffer<char> workspace_, reserve_;
  std::map<std::pair<int, int>, std::unique_ptr<Shape>> shapes_;
  PinnedBuffer<int32_t> host_lengths_;  // [max_batch] the lengths read back for the descriptors
  const Shape* trained_ = nullptr;  // shape of the last forward(training), for backward()
  const int32_t* trained_lengths_ = nullptr;
  bool last_forward_trained_ = false;  // an inference forward resets the descriptors' lengths
  int trained_B_ = 0, trained_T_ = 0;
};

}  // namespace senti::cuda
