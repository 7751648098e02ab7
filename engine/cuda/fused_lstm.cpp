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
      E_(shape.input_size),
      H_(shape.hidden),
      G_(4 * shape.hidden),
      D_(shape.directions),
      BT_(static_cast<size_t>(shape.max_batch) * shape.maxlen),
      gemm_(stream) {
  SENTI_CHECK(D_ == 1 || D_ == 2, "FusedLstm: ", D_, " directions");
  set_padding(padding == kernels::Padding::Pre ? PadSide::Pre : PadSide::Post);
  kernels::FusedLstmBatch probe;
  probe.H = H_;
  probe.path = path;
  path_ = kernels::fused_lstm_resolve(probe);
  pre_.resize(D_ * BT_ * G_);
  gates_.resize(D_ * BT_ * G_);
  dz_.resize(D_ * BT_ * G_);
  c_.resize(D_ * BT_ * H_);
  tc_.resize(D_ * BT_ * H_);
  grad_.resize(static_cast<size_t>(D_) * keras_size());
  if (path_ == FusedLstmPath::Generic) rt_.resize(static_cast<size_t>(D_) * G_ * H_);
  const std::vector<float> ones(BT_, 1.f);
  ones_.resize(BT_);
  SENTI_CUDA_CHECK(cudaMemcpyAsync(ones_.get(), ones.data(), ones_.bytes(), cudaMemcpyHostToDevice,
                                   stream_));
  SENTI_CUDA_CHECK(cudaStreamSynchronize(stream_));  // `ones` dies here
}

std::string FusedLstm::describe() const {
  return std::string("fused (senti kernels, ") + kernels::fused_lstm_path_name(path_) +
         (D_ == 2 ? ", bidirectional" : "") + "; GEMMs: " + Gemm::implementation() + ")";
}

void FusedLstm::load(int d, const float* keras_block) {
  SENTI_CHECK(keras_block != nullptr, "FusedLstm::load_keras: null block");
  keras_[d] = keras_block;
  if (path_ == FusedLstmPath::Generic)
    kernels::fused_lstm_transpose(keras_block + static_cast<size_t>(E_) * G_, H_, G_,
                                  rt_.get() + static_cast<size_t>(d) * G_ * H_, stream_);
}

void FusedLstm::load_keras(const float* keras_block) { load(0, keras_block); }

void FusedLstm::load_keras_reverse(const float* keras_block) {
  SENTI_CHECK(D_ == 2, "FusedLstm::load_keras_reverse on a unidirectional layer");
  load(1, keras_block);
}

void FusedLstm::gradient_to_keras(float* keras_block_grad) {
  SENTI_CHECK(keras_block_grad != nullptr, "FusedLstm::gradient_to_keras: null block");
  SENTI_CUDA_CHECK(cudaMemcpyAsync(keras_block_grad, grad_.get(), sizeof(float) * keras_size(),
                                   cudaMemcpyDeviceToDevice, stream_));
}

void FusedLstm::gradient_to_keras_reverse(float* keras_block_grad) {
  SENTI_CHECK(D_ == 2, "FusedLstm::gradient_to_keras_reverse on a unidirectional layer");
  SENTI_CHECK(keras_block_grad != nullptr, "FusedLstm::gradient_to_keras_reverse: null block");
  SENTI_CUDA_CHECK(cudaMemcpyAsync(keras_block_grad, grad_.get() + keras_size(),
                                   sizeof(float) * keras_size(), cudaMemcpyDeviceToDevice,
                                   stream_));
}

kernels::FusedLstmBatch FusedLstm::batch(int B, int T, const int32_t* lengths) const {
  kernels::FusedLstmBatch bt;
  bt.B = B;
  bt.T = T;
  bt.H = H_;
  bt.lengths = lengths;
  bt.padding = padding() == PadSide::Pre ? kernels::Padding::Pre : kernels::Padding::Post;
  bt.path = path_;
  return bt;
}

void FusedLstm::forward(int B, int T, const int32_t* lengths, const float* x, float* y, float* hy,
                        bool training) {
  check_call("FusedLstm::forward", B, T, nullptr);
  SENTI_CHECK(keras_[0] != nullptr && (D_ == 1 || keras_[1] != nullptr),
              "FusedLstm::forward before load_keras", D_ == 2 ? " / load_keras_reverse" : "");
  const int BT = B * T, ld = D_ * H_;
  kernels::FusedLstmForwardDir dirs[2];
  for (int d = 0; d < D_; ++d) {
    const float* W = keras_[d];
    const float* R = W + static_cast<size_t>(E_) * G_;
    float* pre = dir_part(pre_, d, BT_ * G_);
    gemm_(false, false, BT, G_, E_, x, E_, W, G_, 0.f, pre, G_);  // P = x·W
    kernels::FusedLstmForwardDir& f = dirs[d];
    f.recurrent = R;
    f.bias = R + static_cast<size_t>(H_) * G_;
    f.pre = pre;
    f.reverse = d == 1;
    f.y = y ? y + static_cast<size_t>(d) * H_ : nullptr;
    f.ldy = ld;
    f.hy = hy ? hy + static_cast<size_t>(d) * H_ : nullptr;
    f.ldh = ld;
    if (training) {
      f.gates = dir_part(gates_, d, BT_ * G_);
      f.c = dir_part(c_, d, BT_ * H_);
      f.tc = dir_part(tc_, d, BT_ * H_);
    }
  }
  kernels::fused_lstm_forward(batch(B, T, lengths), dirs, D_, stream_);
  // An inference forward leaves the stored activations alone, but y changed: no backward after it.
  trained_B_ = training ? B : 0;
  trained_T_ = training ? T : 0;
  trained_lengths_ = lengths;
}

void FusedLstm::backward(int B, int T, const int32_t* lengths, const float* x, const float* y,
                         const float* dy, const float* dhy, float* dx) {
  check_call("FusedLstm::backward", B, T, nullptr);
  SENTI_CHECK(B == trained_B_ && T == trained_T_ && lengths == trained_lengths_,
              "FusedLstm::backward: no forward(training) of this shape and these lengths before it");
  const int ld = D_ * H_;
  kernels::FusedLstmBackwardDir dirs[2];
  for (int d = 0; d < D_; ++d) {
    kernels::FusedLstmBackwardDir& b = dirs[d];
    b.recurrent = keras_[d] + static_cast<size_t>(E_) * G_;
    b.recurrent_t = path_ == FusedLstmPath::Generic ? rt_.get() + static_cast<size_t>(d) * G_ * H_
                                                    : nullptr;
    b.reverse = d == 1;
    b.gates = dir_part(gates_, d, BT_ * G_);
    b.c = dir_part(c_, d, BT_ * H_);
    b.tc = dir_part(tc_, d, BT_ * H_);
    b.dhy = dhy ? dhy + static_cast<size_t>(d) * H_ : nullptr;
    b.ldh = ld;
    b.dy = dy ? dy + static_cast<size_t>(d) * H_ : nullptr;
    b.ldy = ld;
    b.dz = dir_part(dz_, d, BT_ * G_);
  }
  kernels::fused_lstm_backward(batch(B, T, lengths), dirs, D_, stream_);

  const int BT = B * T;
  const size_t rowB = static_cast<size_t>(B);
  for (int d = 0; d < D_; ++d) {
    const float* W = keras_[d];
    const float* dz = dir_part(dz_, d, BT_ * G_);
    const float* yd = y + static_cast<size_t>(d) * H_;  // this direction's h, row stride ld
    float* gW = grad_.get() + static_cast<size_t>(d) * keras_size();
    float* gR = gW + static_cast<size_t>(E_) * G_;
    float* gb = gR + static_cast<size_t>(H_) * G_;
    gemm_(true, false, E_, G_, BT, x, E_, dz, G_, 0.f, gW, G_);  // dW = x^T·dZ
    // dR = sum_t h_prev(t)^T·dZ_t. Forward: h_prev(t) = h_{t-1}, y rows [0, (T-1)B) against dZ
    // rows [B, TB). Reverse (reads t = T-1 .. 0): h_prev(t) = h_{t+1}, y rows [B, TB) against dZ
    // rows [0, (T-1)B). The first step's h_prev is 0 and the padded rows of y and dZ are zero, so
    // nothing is masked. (T = 1: no pairs, dR = 0.)
    const float* hprev = d == 0 ? yd : yd + rowB * ld;
    const float* dz_next = d == 0 ? dz + rowB * G_ : dz;
    gemm_(true, false, H_, G_, (T - 1) * B, hprev, ld, dz_next, G_, 0.f, gR, G_);
    gemm_(false, false, 1, G_, BT, ones_.get(), BT, dz, G_, 0.f, gb, G_);  // db = 1^T·dZ
    gemm_(false, true, BT, E_, G_, dz, G_, W, G_, d == 0 ? 0.f : 1.f, dx, E_);  // dx += dZ·W^T
  }
}

}  // namespace senti::cuda
