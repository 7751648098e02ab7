// The CUDA backend.
//
// Parameters: the master copy is ONE flat device buffer in ParamLayout (Keras) order, with the
// gradient, Adam m and v in the same order. Clipping and Adam therefore run as single launches over
// one buffer, the per-tensor clip norms are the Keras variables' norms by construction, and
// get_state/set_state are plain copies (exact, bit for bit). The LSTM block (kernel,
// recurrent_kernel, bias) is scattered into cuDNN's weight space after every Adam step and after
// set_state, and cuDNN's weight gradient is gathered back into Keras order after BackwardWeights:
// two tiny index-map kernels over ~50k floats (for the seed model), far cheaper than the step,
// instead of keeping a second, GPU-specific master layout that checkpoints would have to translate.
//
// Streams: `copy_` carries the host-to-device batch copies, `compute_` everything else. A batch goes
// into one of two device slots: the copy waits (on the device) until the compute that last read the
// slot has finished (event `consumed`), the compute waits for the copy (event `copied`), and
// train_step returns once the COPY is done, so the caller may refill its host buffer while the
// step's compute still runs. Metrics accumulate on the device; take_metrics() is the only sync.
#include "engine/cuda/cuda_backend.h"

#include <cuda_profiler_api.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/common/error.h"
#include "kernels/common/nvtx.h"
#include "engine/cuda/cudnn_lstm.h"
#include "engine/cuda/cudnn_objects.h"
#include "engine/cuda/device_buffer.h"
#include "engine/cuda/stream.h"
#include "engine/init.h"
#include "engine/optimizer.h"
#include "kernels/adam.cuh"
#include "kernels/clip_norms.cuh"
#include "kernels/dense_bce.cuh"
#include "kernels/embedding_backward.cuh"
#include "kernels/embedding_forward.cuh"
#include "kernels/param_tiles.h"

namespace senti {
namespace {

using cuda::DeviceBuffer;
using cuda::Event;
using cuda::PinnedBuffer;
using cuda::Stream;
using kernels::DeviceMetrics;

std::string version_string(int v) {  // CUDA's 13000 -> "13.0"
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

std::string describe_device(int device) {
  cudaDeviceProp p{};
  SENTI_CUDA_CHECK(cudaGetDeviceProperties(&p, device));
  int driver = 0, runtime = 0;
  SENTI_CUDA_CHECK(cudaDriverGetVersion(&driver));
  SENTI_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  const size_t cudnn = cudnnGetVersion();  // 91900 = 9.19.0
  return "cuda (" + std::string(p.name) + ", sm_" + std::to_string(p.major) +
         std::to_string(p.minor) + ", driver API " + version_string(driver) + ", runtime " +
         version_string(runtime) + ", cuDNN " + std::to_string(cudnn / 10000) + "." +
         std::to_string((cudnn % 10000) / 100) + "." + std::to_string(cudnn % 100) + ")";
}

// cuDNN's RNN calls cuBLAS internally; with this workspace setting cuBLAS picks reproducible
// reduction schemes (NVIDIA's documented recipe). Must be set before the first handle exists.
void request_deterministic_cublas() {
  if (!std::getenv("CUBLAS_WORKSPACE_CONFIG")) setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0);
}

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const BackendOptions& opts);
  ~CudaBackend() override {
    // Queued work may still read buffers that are about to be freed.
    cudaStreamSynchronize(copy_.get());
    cudaStreamSynchronize(compute_.get());
  }

  std::string describe() const override { return describe_; }
  HostBuffer alloc_host(size_t bytes) override;
  void set_state(const TrainState& state) override;
  TrainState get_state() override;
  void train_step(const Batch& batch) override;
  void eval_step(const Batch& batch, float* probs) override;
  Metrics take_metrics() override;
  double loss_and_gradients(const Batch& batch, float* grads) override;
  bool last_step_timings(StepTimings* out) override;
  void set_step_timing(bool on) override { timing_ = on; }
  void profiler_range(bool start) override {
    SENTI_CUDA_CHECK(start ? cudaProfilerStart() : cudaProfilerStop());
  }

 private:
  struct Slot {
    DeviceBuffer<int32_t> ids;  // (max_batch, maxlen)
    DeviceBuffer<float> labels;  // (max_batch)
    Event copied, consumed;
    bool in_use = false;  // `consumed` has been recorded at least once
  };

  void check_batch(const Batch& batch) const;
  Slot& upload(const Batch& batch);
  void release(Slot& slot) {
    slot.consumed.record(compute_);
    slot.in_use = true;
  }
  void forward(const Slot& slot, int B, int T, bool training);
  void dense(const Slot& slot, int B, DeviceMetrics* metrics, float* probs, bool backward);
  void backward(const Slot& slot, int B, int T);
  float* lstm_block(float* base) const { return base + layout_[ParamId::Kernel].offset; }

  ParamLayout layout_;
  int V_, E_, H_;
  std::string describe_;
  Stream compute_, copy_;
  cuda::CudnnHandle cudnn_;
  std::unique_ptr<cuda::CudnnLstm> lstm_;

  DeviceBuffer<float> params_, grads_, m_, v_;  // ParamLayout order
  int64_t step_ = 0;                            // Adam iterations done
  kernels::ParamTiles tiles_;
  DeviceBuffer<char> clip_workspace_;
  DeviceBuffer<float> clip_scales_;

  DeviceBuffer<float> x_, dx_;   // [T, B, E]
  DeviceBuffer<float> y_;        // [T, B, H]
  DeviceBuffer<float> hy_, dhy_; // [B, H]
  DeviceBuffer<float> probs_;    // [B]
  DeviceBuffer<char> embedding_workspace_;

  std::array<Slot, 2> slots_;
  int next_slot_ = 0;

  DeviceBuffer<DeviceMetrics> metrics_, call_metrics_;  // running; one loss_and_gradients call
  PinnedBuffer<DeviceMetrics> metrics_host_;
  PinnedBuffer<float> probs_host_;
  Metrics host_metrics_;  // loss_and_gradients' metrics, added at the next take_metrics

  bool timing_ = false, have_timings_ = false;
  StepTimings last_timings_;
  Event t_copy0_{true}, t_copy1_{true}, t_fwd0_{true}, t_fwd1_{true}, t_bwd1_{true}, t_opt1_{true};
};

CudaBackend::CudaBackend(const BackendOptions& opts)
    : Backend(opts),
      layout_(opts.model),
      V_(opts.model.vocab_size),
      E_(opts.model.embed_dim),
      H_(opts.model.hidden),
      describe_([&] {
        if (opts.deterministic) request_deterministic_cublas();
        int device = 0;
        SENTI_CUDA_CHECK(cudaGetDevice(&device));
        return describe_device(device);
      }()) {
  validate_optimizer_config(opts.optimizer);
  SENTI_CHECK(opts.max_batch >= 1 && opts.max_batch <= kernels::kDenseBceMaxBatch,
              "cuda backend: max_batch ", opts.max_batch, " outside 1..", kernels::kDenseBceMaxBatch);
  SENTI_CHECK(opts.maxlen >= 1, "cuda backend: maxlen ", opts.maxlen);
  const TensorInfo &K = layout_[ParamId::Kernel], &R = layout_[ParamId::RecurrentKernel],
                   &Bi = layout_[ParamId::Bias];
  SENTI_CHECK(R.offset == K.offset + K.size && Bi.offset == R.offset + R.size,
              "cuda backend expects kernel, recurrent_kernel and bias adjacent in ParamLayout");

  SENTI_CUDNN_CHECK(cudnnSetStream(cudnn_, compute_));
  lstm_ = std::make_unique<cuda::CudnnLstm>(cudnn_, compute_, E_, H_, opts.max_batch,
                                            opts.maxlen);
  SENTI_CHECK(lstm_->keras_size() == static_cast<int64_t>(K.size + R.size + Bi.size),
              "LSTM weight map size mismatch");

  const size_t P = layout_.total();
  params_.resize(P);
  grads_.resize(P);
  m_.resize(P);
  v_.resize(P);
  SENTI_CUDA_CHECK(cudaMemsetAsync(grads_.get(), 0, grads_.bytes(), compute_));
  std::array<int64_t, kNumParamTensors> offsets{}, sizes{};
  for (int k = 0; k < kNumParamTensors; ++k) {
    offsets[k] = static_cast<int64_t>(layout_.tensors()[k].offset);
    sizes[k] = static_cast<int64_t>(layout_.tensors()[k].size);
  }
  tiles_ = kernels::ParamTiles::make(offsets.data(), sizes.data(), kNumParamTensors);
  clip_workspace_.resize(kernels::clip_workspace_bytes(tiles_));
  SENTI_CUDA_CHECK(cudaMemsetAsync(clip_workspace_.get(), 0, clip_workspace_.bytes(), compute_));
  clip_scales_.resize(kNumParamTensors);

  const size_t BT = static_cast<size_t>(opts.max_batch) * opts.maxlen;
  x_.resize(BT * E_);
  dx_.resize(BT * E_);
  y_.resize(BT * H_);
  hy_.resize(static_cast<size_t>(opts.max_batch) * H_);
  dhy_.resize(static_cast<size_t>(opts.max_batch) * H_);
  probs_.resize(opts.max_batch);
  embedding_workspace_.resize(
      kernels::embedding_backward_workspace_bytes(static_cast<int64_t>(BT), V_, E_));
  for (Slot& s : slots_) {
    s.ids.resize(BT);
    s.labels.resize(opts.max_batch);
  }
  metrics_.resize(1);
  call_metrics_.resize(1);
  SENTI_CUDA_CHECK(cudaMemsetAsync(metrics_.get(), 0, metrics_.bytes(), compute_));
  metrics_host_ = PinnedBuffer<DeviceMetrics>(1);
  probs_host_ = PinnedBuffer<float>(opts.max_batch);

  set_state(init_train_state(opts.model, 0));  // the CPU backend's starting point
}

HostBuffer CudaBackend::alloc_host(size_t bytes) {
  void* p = nullptr;
  SENTI_CUDA_CHECK(cudaHostAlloc(&p, std::max<size_t>(bytes, 1), cudaHostAllocPortable));
  return HostBuffer(p, [](void* q) { cudaFreeHost(q); });
}

void CudaBackend::set_state(const TrainState& s) {
  const size_t n = layout_.total();
  SENTI_CHECK(s.params.size() == n && s.m.size() == n && s.v.size() == n, "state sizes (",
              s.params.size(), ", ", s.m.size(), ", ", s.v.size(), ") do not match the model's ",
              n, " parameters");
  SENTI_CHECK(s.step >= 0, "negative optimizer step ", s.step);
  compute_.synchronize();  // nothing queued may still use the old values
  SENTI_CUDA_CHECK(cudaMemcpyAsync(params_.get(), s.params.data(), params_.bytes(),
                                   cudaMemcpyHostToDevice, compute_));
  SENTI_CUDA_CHECK(cudaMemcpyAsync(m_.get(), s.m.data(), m_.bytes(), cudaMemcpyHostToDevice, compute_));
  SENTI_CUDA_CHECK(cudaMemcpyAsync(v_.get(), s.v.data(), v_.bytes(), cudaMemcpyHostToDevice, compute_));
  lstm_->load_keras(lstm_block(params_.get()));
  step_ = s.step;
  compute_.synchronize();  // `s` may die after we return
}

TrainState CudaBackend::get_state() {
  TrainState s;
  const size_t n = layout_.total();
  s.params.resize(n);
  s.m.resize(n);
  s.v.resize(n);
  SENTI_CUDA_CHECK(cudaMemcpyAsync(s.params.data(), params_.get(), params_.bytes(),
                                   cudaMemcpyDeviceToHost, compute_));
  SENTI_CUDA_CHECK(cudaMemcpyAsync(s.m.data(), m_.get(), m_.bytes(), cudaMemcpyDeviceToHost, compute_));
  SENTI_CUDA_CHECK(cudaMemcpyAsync(s.v.data(), v_.get(), v_.bytes(), cudaMemcpyDeviceToHost, compute_));
  compute_.synchronize();
  s.step = step_;
  return s;
}

void CudaBackend::check_batch(const Batch& b) const {
  SENTI_CHECK(b.ids && b.labels, "batch without ids or labels");
  SENTI_CHECK(b.batch >= 1 && b.batch <= opts_.max_batch, "batch size ", b.batch, " outside 1..",
              opts_.max_batch);
  SENTI_CHECK(b.maxlen >= 1 && b.maxlen <= opts_.maxlen, "sequence length ", b.maxlen,
              " outside 1..", opts_.maxlen);
  // A bad id would make the gather read outside the table: check here, on the host, while the
  // batch is still in cache (B*T ints).
  const int64_t n = static_cast<int64_t>(b.batch) * b.maxlen;
  for (int64_t i = 0; i < n; ++i)
    SENTI_CHECK(b.ids[i] >= 0 && b.ids[i] < V_, "token id ", b.ids[i], " at position ", i,
                " outside [0, ", V_, ")");
}

CudaBackend::Slot& CudaBackend::upload(const Batch& b) {
  check_batch(b);
  Slot& slot = slots_[next_slot_];
  next_slot_ = (next_slot_ + 1) % static_cast<int>(slots_.size());
  SENTI_NVTX_RANGE("H2D copy");
  // Refill the slot only after the compute that last read it has finished.
  if (slot.in_use) slot.consumed.wait_on(copy_);
  if (timing_) t_copy0_.record(copy_);
  SENTI_CUDA_CHECK(cudaMemcpyAsync(slot.ids.get(), b.ids,
                                   sizeof(int32_t) * static_cast<size_t>(b.batch) * b.maxlen,
                                   cudaMemcpyHostToDevice, copy_));
  SENTI_CUDA_CHECK(cudaMemcpyAsync(slot.labels.get(), b.labels, sizeof(float) * b.batch,
                                   cudaMemcpyHostToDevice, copy_));
  slot.copied.record(copy_);
  if (timing_) t_copy1_.record(copy_);
  slot.copied.wait_on(compute_);
  return slot;
}

void CudaBackend::forward(const Slot& slot, int B, int T, bool training) {
  const ParamViews<float> p = make_views(params_.get(), layout_);
  kernels::embedding_forward(slot.ids.get(), B, T, p.embedding, V_, E_, x_.get(), compute_);
  lstm_->forward(B, T, x_.get(), y_.get(), hy_.get(), training);
}

void CudaBackend::dense(const Slot& slot, int B, DeviceMetrics* metrics, float* probs,
                        bool backward) {
  const ParamViews<float> p = make_views(params_.get(), layout_);
  const ParamViews<float> g = make_views(grads_.get(), layout_);
  kernels::dense_bce(hy_.get(), B, H_, p.dense_kernel, p.dense_bias, slot.labels.get(), metrics,
                     probs, backward ? dhy_.get() : nullptr, backward ? g.dense_kernel : nullptr,
                     backward ? g.dense_bias : nullptr, compute_);
}

void CudaBackend::backward(const Slot& slot, int B, int T) {
  const ParamViews<float> g = make_views(grads_.get(), layout_);
  lstm_->backward(B, T, x_.get(), y_.get(), dhy_.get(), dx_.get());
  lstm_->gradient_to_keras(lstm_block(grads_.get()));
  kernels::embedding_backward(slot.ids.get(), B, T, dx_.get(), V_, E_, g.embedding,
                              embedding_workspace_.get(), embedding_workspace_.bytes(), compute_);
}

void CudaBackend::train_step(const Batch& b) {
  Slot& slot = upload(b);
  const int B = b.batch, T = b.maxlen;
  {
    SENTI_NVTX_RANGE("forward");
    if (timing_) t_fwd0_.record(compute_);
    forward(slot, B, T, /*training=*/true);
    dense(slot, B, metrics_.get(), nullptr, /*backward=*/true);  // loss, metrics, dL/dhy
    if (timing_) t_fwd1_.record(compute_);
  }
  {
    SENTI_NVTX_RANGE("backward");
    backward(slot, B, T);
    release(slot);  // the last reader of the slot's ids and labels is queued
    if (timing_) t_bwd1_.record(compute_);
  }
  {
    SENTI_NVTX_RANGE("clip");
    kernels::clip_scales(grads_.get(), tiles_, opts_.optimizer.clipnorm,
                         opts_.optimizer.global_clipnorm, clip_workspace_.get(),
                         clip_workspace_.bytes(), clip_scales_.get(), nullptr, compute_);
  }
  {
    SENTI_NVTX_RANGE("Adam");
    ++step_;
    const float alpha = math::adam_alpha(opts_.optimizer.adam, step_);
    kernels::adam(params_.get(), m_.get(), v_.get(), grads_.get(), clip_scales_.get(), tiles_,
                  alpha, opts_.optimizer.adam, compute_);
    lstm_->load_keras(lstm_block(params_.get()));  // the next forward reads the new weights
    if (timing_) t_opt1_.record(compute_);
  }
  slot.copied.synchronize();  // contract: the caller may reuse the batch's host memory now
  have_timings_ = false;
  if (timing_) {
    t_opt1_.synchronize();
    t_copy1_.synchronize();
    last_timings_.copy_ms = Event::elapsed_ms(t_copy0_, t_copy1_);
    last_timings_.forward_ms = Event::elapsed_ms(t_fwd0_, t_fwd1_);
    last_timings_.backward_ms = Event::elapsed_ms(t_fwd1_, t_bwd1_);
    last_timings_.optimizer_ms = Event::elapsed_ms(t_bwd1_, t_opt1_);
    have_timings_ = true;
  }
}

bool CudaBackend::last_step_timings(StepTimings* out) {
  if (!have_timings_) return false;
  if (out) *out = last_timings_;
  return true;
}

void CudaBackend::eval_step(const Batch& b, float* probs) {
  SENTI_NVTX_RANGE("evaluation");
  Slot& slot = upload(b);
  forward(slot, b.batch, b.maxlen, /*training=*/false);
  dense(slot, b.batch, metrics_.get(), probs ? probs_.get() : nullptr, /*backward=*/false);
  release(slot);
  if (probs) {
    SENTI_CUDA_CHECK(cudaMemcpyAsync(probs_host_.get(), probs_.get(), sizeof(float) * b.batch,
                                     cudaMemcpyDeviceToHost, compute_));
    compute_.synchronize();
    std::memcpy(probs, probs_host_.get(), sizeof(float) * b.batch);
  }
  slot.copied.synchronize();
}

Metrics CudaBackend::take_metrics() {
  SENTI_CUDA_CHECK(cudaMemcpyAsync(metrics_host_.get(), metrics_.get(), sizeof(DeviceMetrics),
                                   cudaMemcpyDeviceToHost, compute_));
  SENTI_CUDA_CHECK(cudaMemsetAsync(metrics_.get(), 0, sizeof(DeviceMetrics), compute_));
  compute_.synchronize();
  const DeviceMetrics& d = *metrics_host_.get();
  Metrics m = host_metrics_;
  host_metrics_ = Metrics{};
  m.loss_sum += d.loss_sum;
  m.correct += static_cast<int64_t>(d.correct);
  m.count += static_cast<int64_t>(d.count);
  return m;
}

double CudaBackend::loss_and_gradients(const Batch& b, float* grads) {
  SENTI_CHECK(grads != nullptr, "loss_and_gradients: null gradient buffer");
  Slot& slot = upload(b);
  SENTI_CUDA_CHECK(cudaMemsetAsync(call_metrics_.get(), 0, sizeof(DeviceMetrics), compute_));
  forward(slot, b.batch, b.maxlen, /*training=*/true);
  dense(slot, b.batch, call_metrics_.get(), nullptr, /*backward=*/true);
  backward(slot, b.batch, b.maxlen);
  release(slot);
  SENTI_CUDA_CHECK(cudaMemcpyAsync(grads, grads_.get(), grads_.bytes(), cudaMemcpyDeviceToHost,
                                   compute_));
  DeviceMetrics d{};
  SENTI_CUDA_CHECK(cudaMemcpyAsync(metrics_host_.get(), call_metrics_.get(), sizeof(DeviceMetrics),
                                   cudaMemcpyDeviceToHost, compute_));
  compute_.synchronize();
  d = *metrics_host_.get();
  // Like the CPU backend, the batch also counts towards the running metrics.
  host_metrics_.loss_sum += d.loss_sum;
  host_metrics_.correct += static_cast<int64_t>(d.correct);
  host_metrics_.count += static_cast<int64_t>(d.count);
  return d.loss_sum / b.batch;
}

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& opts) {
  return std::make_unique<CudaBackend>(opts);
}

}  // namespace senti
