// The CPU stand-in LSTM of the emulated CUDA device. See cpu_standin_lstm.h.
#include "engine/cuda/cpu_standin_lstm.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include <senti_emu/control.h>  // enqueue_standin: the emulator's queue for CPU stand-ins

#include "kernels/common/error.h"
#include "kernels/common/math/lstm_cell.h"
#include "kernels/cuda_check.h"

namespace senti::cuda {
namespace {

// C (m, n) = alpha · op(A) · op(B) + beta · C, all row-major.
void gemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda, const float* b,
          int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, m, n, k, 1.f, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace

CpuStandInLstm::CpuStandInLstm(const DeviceLstmShape& shape, cudaStream_t stream)
    : DeviceLstm(shape), stream_(stream), E_(shape.input_size), H_(shape.hidden) {
  const size_t BT = static_cast<size_t>(shape.max_batch) * shape.maxlen;
  const size_t H = H_, G = 4 * H;
  keras_.assign(static_cast<size_t>(keras_size()), 0.f);
  grad_.assign(keras_.size(), 0.f);
  gates_.resize(BT * G);
  c_.resize((BT + shape.max_batch) * H);
  tc_.resize(BT * H);
  dh_.resize(static_cast<size_t>(shape.max_batch) * H);
  dc_.resize(static_cast<size_t>(shape.max_batch) * H);
  dbias_.resize(G);
}

CpuStandInLstm::~CpuStandInLstm() { cudaStreamSynchronize(stream_); }

std::string CpuStandInLstm::describe() const {
  return "CPU stand-in (kernels/common/math LSTM cell + OpenBLAS, queued on the stream)";
}

void CpuStandInLstm::enqueue(const char* what, std::function<void()> task) {
  SENTI_CUDA_CHECK(emu::enqueue_standin(stream_, what, std::move(task)));
}

void CpuStandInLstm::load_keras(const float* keras_block) {
  enqueue("LSTM load_keras", [this, keras_block] {
    std::memcpy(keras_.data(), keras_block, sizeof(float) * keras_.size());
  });
}

void CpuStandInLstm::gradient_to_keras(float* keras_block_grad) {
  enqueue("LSTM gradient_to_keras", [this, keras_block_grad] {
    std::memcpy(keras_block_grad, grad_.data(), sizeof(float) * grad_.size());
  });
}

void CpuStandInLstm::forward(int B, int T, const int32_t* lengths, const float* x, float* y,
                             float* hy, bool training) {
  check_call("CpuStandInLstm::forward", B, T, lengths);
  // An inference forward overwrites the stored activations too: no backward after it.
  trained_B_ = training ? B : 0;
  trained_T_ = training ? T : 0;
  enqueue("LSTM forward", [=] { run_forward(B, T, x, y, hy); });
}

void CpuStandInLstm::backward(int B, int T, const int32_t* lengths, const float* x,
                              const float* y, const float* dy, const float* dhy, float* dx) {
  check_call("CpuStandInLstm::backward", B, T, lengths, dy);
  SENTI_CHECK(trained_B_ == B && trained_T_ == T, "CpuStandInLstm::backward: no forward(training)",
              " of shape B=", B, " T=", T, " before it");
  enqueue("LSTM backward", [=] { run_backward(B, T, x, y, dhy, dx); });
}

// Z (T·B, 4H) = x · W + bias, then per step Z_t += h_{t-1} · R and the cell; y_t = h_t.
void CpuStandInLstm::run_forward(int B, int T, const float* x, float* y, float* hy) {
  const int E = E_, H = H_, G = 4 * H;
  const size_t BT = static_cast<size_t>(B) * T;
  const float* W = keras_.data();
  const float* R = W + static_cast<size_t>(E) * G;
  const float* bias = R + static_cast<size_t>(H) * G;
  for (size_t r = 0; r < BT; ++r) std::memcpy(&gates_[r * G], bias, sizeof(float) * G);
  gemm(false, false, static_cast<int>(BT), G, E, x, E, W, G, 1.f, gates_.data(), G);
  std::fill(c_.begin(), c_.begin() + static_cast<size_t>(B) * H, 0.f);  // c_0
  for (int t = 0; t < T; ++t) {
    const size_t row = static_cast<size_t>(t) * B;
    float* z = &gates_[row * G];
    if (t > 0) gemm(false, false, B, G, H, y + (row - B) * H, H, R, G, 1.f, z, G);
    for (int b = 0; b < B; ++b) {
      float* zb = z + static_cast<size_t>(b) * G;
      const size_t o = (row + b) * H;  // (t, b) in y, tc_; c_prev is c_[o], c_t is c_[o + B*H]
      for (int j = 0; j < H; ++j) {
        float c = 0.f, h = 0.f;
        const math::LstmGates a = math::lstm_cell_forward(zb[j], zb[H + j], zb[2 * H + j],
                                                          zb[3 * H + j], c_[o + j], &c, &h);
        zb[j] = a.i, zb[H + j] = a.f, zb[2 * H + j] = a.g, zb[3 * H + j] = a.o;
        c_[o + static_cast<size_t>(B) * H + j] = c;
        tc_[o + j] = tanhf(c);  // what lstm_cell_forward used for h
        y[o + j] = h;
      }
    }
  }
  std::memcpy(hy, y + (BT - B) * H, sizeof(float) * static_cast<size_t>(B) * H);
}

// Walks back through time turning the stored gates into dZ_t, then dx = dZ · W^T,
// dW = x^T · dZ, dR = [h_0 .. h_{T-1}]^T · dZ (h_0 = 0 adds nothing), db = Σ dZ (in double).
void CpuStandInLstm::run_backward(int B, int T, const float* x, const float* y, const float* dhy,
                                  float* dx) {
  const int E = E_, H = H_, G = 4 * H;
  const size_t BT = static_cast<size_t>(B) * T, BH = static_cast<size_t>(B) * H;
  const float* W = keras_.data();
  const float* R = W + static_cast<size_t>(E) * G;
  float* dW = grad_.data();
  float* dR = dW + static_cast<size_t>(E) * G;
  float* db = dR + static_cast<size_t>(H) * G;
  std::memcpy(dh_.data(), dhy, sizeof(float) * BH);
  std::fill(dc_.begin(), dc_.begin() + BH, 0.f);
  for (int t = T - 1; t >= 0; --t) {
    const size_t row = static_cast<size_t>(t) * B;
    float* z = &gates_[row * G];
    for (int b = 0; b < B; ++b) {
      float* zb = z + static_cast<size_t>(b) * G;
      const size_t o = (row + b) * H, s = static_cast<size_t>(b) * H;
      for (int j = 0; j < H; ++j) {
        const math::LstmCellGrad g = math::lstm_cell_backward(
            {zb[j], zb[H + j], zb[2 * H + j], zb[3 * H + j]}, c_[o + j], tc_[o + j], dh_[s + j],
            dc_[s + j]);
        zb[j] = g.dzi, zb[H + j] = g.dzf, zb[2 * H + j] = g.dzg, zb[3 * H + j] = g.dzo;
        dc_[s + j] = g.dc_prev;
      }
    }
    // dL/dh_{t-1} = dZ_t · R^T; h_0 is a constant, so stop at t = 0.
    if (t > 0) gemm(false, true, B, H, G, z, G, R, G, 0.f, dh_.data(), H);
  }
  const float* dz = gates_.data();
  gemm(false, true, static_cast<int>(BT), E, G, dz, G, W, G, 0.f, dx, E);
  gemm(true, false, E, G, static_cast<int>(BT), x, E, dz, G, 0.f, dW, G);
  if (T > 1)
    gemm(true, false, H, G, static_cast<int>(BT - B), y, H, dz + BH * 4, G, 0.f, dR, G);
  else
    std::fill(dR, dR + static_cast<size_t>(H) * G, 0.f);
  std::fill(dbias_.begin(), dbias_.end(), 0.0);
  for (size_t r = 0; r < BT; ++r)
    for (int k = 0; k < G; ++k) dbias_[k] += dz[r * G + k];
  for (int k = 0; k < G; ++k) db[k] = static_cast<float>(dbias_[k]);
}

}  // namespace senti::cuda
