#pragma once
// The DeviceLstm of the emulated CUDA device (tests): the CPU twin of the LSTM layer, run on the
// device buffers. It exists because cuDNN is not emulated; on the emulated device, device memory
// is host memory, so the layer can read x and write y, hy, dx in place. Never built for a GPU.
//
// Every call is queued on the layer's stream as one device operation (senti::emu::enqueue_standin,
// counted in the emulator's usage report as a CPU stand-in), so it runs in stream order after the
// kernels that produce its inputs and before those that read its outputs, exactly where cuDNN's
// launches would run.
//
// The math is the CPU backend's: the per-element cell of kernels/common/math/lstm_cell.h (which
// the CUDA kernels share) between OpenBLAS GEMMs, sums in a fixed order (deterministic). It works
// on activations (x, y) rather than on token ids, which is why it is not engine/cpu's LstmCpu
// (that one runs the whole model from ids, with the distinct-id projection).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <cuda_runtime_api.h>

#include "engine/cuda/device_lstm.h"

namespace senti::cuda {

class CpuStandInLstm final : public DeviceLstm {
 public:
  CpuStandInLstm(const DeviceLstmShape& shape, cudaStream_t stream);
  ~CpuStandInLstm() override;  // waits for the queued tasks: they use this object's buffers

  std::string describe() const override;
  void load_keras(const float* keras_block) override;
  void gradient_to_keras(float* keras_block_grad) override;
  void forward(int B, int T, const int32_t* lengths, const float* x, float* y, float* hy,
               bool training) override;
  void backward(int B, int T, const int32_t* lengths, const float* x, const float* y,
                const float* dy, const float* dhy, float* dx) override;

 private:
  void enqueue(const char* what, std::function<void()> task);
  void run_forward(int B, int T, const float* x, float* y, float* hy);
  void run_backward(int B, int T, const float* x, const float* y, const float* dhy, float* dx);

  cudaStream_t stream_;
  int E_, H_;
  std::vector<float> keras_;       // W (E,4H) | R (H,4H) | bias (4H): the loaded weights
  std::vector<float> grad_;        // the same layout: the last backward's weight gradient
  std::vector<float> gates_;       // (T*B, 4H) activated gates i,f,g,o; dZ during backward
  std::vector<float> c_;           // ((T+1)*B, H) cell states; rows [0, B) are c_0 = 0
  std::vector<float> tc_;          // (T*B, H) tanh(c_t)
  std::vector<float> dh_, dc_;     // (B, H) while walking back
  std::vector<double> dbias_;      // (4H)
  int trained_B_ = 0, trained_T_ = 0;  // host-side record of the last forward(training)
};

}  // namespace senti::cuda
