// The DeviceLstm on senti's fused kernels. See fused_lstm.h.
#include "engine/cuda/fused_lstm.h"

#include <vector>

#include "kernels/common/error.h"
#include "kernels/cuda_check.h"

namespace senti::cuda {

using kernels::FusedLstmPath;

FusedLstm::FusedLstm(const DeviceLstmShape& shape, cudaStream_t stream, kernels::Padding padding,
                     FusedLstmPath path)
    : DeviceLstm(shape),
      stream_(stream),
      padding_(padding),
      E_(shape.input_size),
      H_(shape.hidden),
      G_(4 * shape.hidden),
      gemm_(stream) {
  kernels::FusedLstmBatch probe;
  probe.H = H_;
  probe.path = path;
  path_ = kernels::fused_lstm_resolve(probe);
  const size_t BT = static_cast<size_t>(shape.max_batch) * shape.maxlen;
  pre_.resize(BT * G_);
  gates_.resize(BT * G_);
  dz_.resize(BT * G_);
  c_.resize(BT * H_);
  tc_.resize(BT * H_);
  grad_.resize(static_cast<size_t>(keras_size()));
  if (path_ == FusedLstmPath::Generic) rt_.resize(static_cast<size_t>(G_) * H_);
  const std::vector<float> ones(BT, 1.f);
  ones_.resize(BT);
  SENTI_CUDA_CHECK(cudaMemcpyAsync(ones_.get(), ones.data(), ones_.bytes(), cudaMemcpyHostToDevice,
                                   stream_));
  SENTI_CUDA_CHECK(cudaStreamSynchronize(stream_));  // `ones` dies here
}

std::string FusedLstm::describe() const {
  return std::string("fused (senti kernels, ") + kernels::fused_lstm_path_name(path_) + "; GEMMs: " +
         Gemm::implementation() + ")";
}

void FusedLstm::load_keras(const float* keras_block) {
  SENTI_CHECK(keras_block != nullptr, "FusedLstm::load_keras: null block");
  keras_ = keras_block;
  if (path_ == FusedLstmPath::Generic)
    kernels::fused_lstm_transpose(keras_ + static_cast<size_t>(E_) * G_, H_, G_, rt_.get(), stream_);
}

void FusedLstm::gradient_to_keras(float* keras_block_grad) {
  SENTI_CHECK(keras_block_grad != nullptr, "FusedLstm::gradient_to_keras: null block");
  SENTI_CUDA_CHECK(cudaMemcpyAsync(keras_block_grad, grad_.get(), grad_.bytes(),
                                   cudaMemcpyDeviceToDevice, stream_));
}

kernels::FusedLstmBatch FusedLstm::batch(int B, int T, const int32_t* lengths) const {
  kernels::FusedLstmBatch bt;
  bt.B = B;
  bt.T = T;
  bt.H = H_;
  bt.lengths = lengths;
  bt.padding = padding_;
  bt.path = path_;
  return bt;
}

void FusedLstm::forward(int B, int T, const int32_t* lengths, const float* x, float* y, float* hy,
                        bool training) {
  check_call("FusedLstm::forward", B, T, nullptr);
  SENTI_CHECK(keras_ != nullptr, "FusedLstm::forward before load_keras");
  const float* W = keras_;
  const float* R = keras_ + static_cast<size_t>(E_) * G_;
  const float* bias = R + static_cast<size_t>(H_) * G_;
  const int BT = B * T;
  gemm_(false, false, BT, G_, E_, x, E_, W, G_, 0.f, pre_.get(), G_);  // P = x·W
  kernels::FusedLstmForwardDir d;
  d.recurrent = R;
  d.bias = bias;
  d.pre = pre_.get();
  d.y = y;
  d.hy = hy;
  if (training) {
    d.gates = gates_.get();
    d.c = c_.get();
    d.tc = tc_.get();
  }
  kernels::fused_lstm_forward(batch(B, T, lengths), &d, 1, stream_);
  // An inference forward leaves the stored activations alone, but y changed: no backward after it.
  trained_B_ = training ? B : 0;
  trained_T_ = training ? T : 0;
  trained_lengths_ = lengths;
}

void FusedLstm::backward(int B, int T, const int32_t* lengths, const float* x, const float* y,
                         const float* dhy, float* dx) {
  check_call("FusedLstm::backward", B, T, nullptr);
  SENTI_CHECK(B == trained_B_ && T == trained_T_ && lengths == trained_lengths_,
              "FusedLstm::backward: no forward(training) of this shape and these lengths before it");
  const float* W = keras_;
  const float* R = keras_ + static_cast<size_t>(E_) * G_;
  kernels::FusedLstmBackwardDir d;
  d.recurrent = R;
  d.recurrent_t = rt_.get();
  d.gates = gates_.get();
  d.c = c_.get();
  d.tc = tc_.get();
  d.dhy = dhy;
  d.dz = dz_.get();
  kernels::fused_lstm_backward(batch(B, T, lengths), &d, 1, stream_);

  const int BT = B * T;
  const float* dz = dz_.get();
  float* gW = grad_.get();
  float* gR = gW + static_cast<size_t>(E_) * G_;
  float* gb = gR + static_cast<size_t>(H_) * G_;
  gemm_(true, false, E_, G_, BT, x, E_, dz, G_, 0.f, gW, G_);  // dW = x^T·dZ
  // dR = sum_t h_{t-1}^T·dZ_t: y rows [0, (T-1)B) against dZ rows [B, TB) (the step before in
  // the forward direction). h_0 = 0 and the padded rows of y and dZ are zero, so nothing is masked.
  gemm_(true, false, H_, G_, (T - 1) * B, y, H_, dz + static_cast<size_t>(B) * G_, G_, 0.f, gR, G_);
  gemm_(false, false, 1, G_, BT, ones_.get(), BT, dz, G_, 0.f, gb, G_);  // db = 1^T·dZ
  gemm_(false, true, BT, E_, G_, dz, G_, W, G_, 0.f, dx, E_);           // dx = dZ·W^T
}

}  // namespace senti::cuda
