// The CUDA backend: the model step around the batch pipeline (batch_pipeline.h) and the LSTM layer
// (device_lstm.h). Map of the pieces: cuda_backend.h.
//
// Parameters: the master copy is ONE flat device buffer in ParamLayout (Keras) order, with the
// gradient, Adam m and v in the same order. Clipping and Adam therefore run as single launches over
// one buffer, the per-tensor clip norms are the Keras variables' norms by construction, and
// get_state/set_state are plain copies (exact, bit for bit). The LSTM layer takes the Keras block
// (kernel, recurrent_kernel, bias) after every Adam step and after set_state, and gives its weight
// gradient back in Keras order (cuDNN: two tiny index-map kernels over ~50k floats for the seed
// model, far cheaper than the step, instead of a second, GPU-specific master layout that
// checkpoints would have to translate).
//
// One step on the compute stream: embedding gather (-> embedding dropout) -> LSTM forward (masked
// by the batch's lengths with --mask; both directions with --bidirectional) (-> pooling over time
// -> dense dropout) -> dense + sigmoid + BCE (loss, metrics and dL/dfeatures in one launch) ->
// the same backwards -> embedding gradient (with --embedding-clip-norm sparse also its
// per-position squared norm, a device value clipping reads) -> clip scales -> Adam.
// Metrics accumulate on the device; take_metrics() is the only sync. The optimizer step the
// dropout masks are keyed by is a device counter (step_dev_), so no per-step host value enters a
// launch of the step. The Adam step size comes from the same counter (advanced by the step itself,
// kernels/adam.cuh), and the LSTM takes its copy of the new weights at the end
// (enqueue_train_step). With BackendOptions::cuda_graph that sequence is captured once per batch
// shape and slot and replayed as one CUDA graph launch (engine/cuda/step_graph.h); timing and
// profiling run it eagerly.
#include "engine/cuda/cuda_backend.h"

#include <cuda_profiler_api.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "engine/cuda/batch_pipeline.h"
#include "engine/cuda/classifier_input.h"
#include "engine/cuda/device_buffer.h"
#include "engine/cuda/device_lstm.h"
#include "engine/cuda/step_graph.h"
#include "engine/cuda/stream.h"
#include "engine/init.h"
#include "engine/optimizer.h"
#include "kernels/adam.cuh"
#include "kernels/clip_norms.cuh"
#include "kernels/common/error.h"
#include "kernels/common/nvtx.h"
#include "kernels/cuda_check.h"
#include "kernels/dense_bce.cuh"
#include "kernels/dropout.cuh"
#include "kernels/embedding_backward.cuh"
#include "kernels/embedding_forward.cuh"
#include "kernels/param_tiles.h"
#include "kernels/sum_of_squares.cuh"

namespace senti {
namespace {

using cuda::BatchPipeline;
using cuda::DeviceBuffer;
using cuda::Event;
using cuda::PinnedBuffer;
using cuda::Stream;
using kernels::DeviceMetrics;

static_assert(kernels::kMaxParamTensors >= senti::kMaxParamTensors,
              "clipping and Adam launch over every tensor of the largest model");

std::string version_string(int v) {  // CUDA's 13000 -> "13.0"
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

std::string describe_device() {
  int device = 0, driver = 0, runtime = 0;
  SENTI_CUDA_CHECK(cudaGetDevice(&device));
  cudaDeviceProp p{};
  SENTI_CUDA_CHECK(cudaGetDeviceProperties(&p, device));
  SENTI_CUDA_CHECK(cudaDriverGetVersion(&driver));
  SENTI_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  return std::string(p.name) + ", sm_" + std::to_string(p.major) + std::to_string(p.minor) +
         ", driver API " + version_string(driver) + ", runtime " + version_string(runtime);
}

// The one DeviceMetrics -> Metrics conversion.
Metrics to_metrics(const DeviceMetrics& d) {
  Metrics m;
  m.loss_sum = d.loss_sum;
  m.correct = static_cast<int64_t>(d.correct);
  m.count = static_cast<int64_t>(d.count);
  return m;
}

void add(Metrics* into, const Metrics& m) {
  into->loss_sum += m.loss_sum;
  into->correct += m.correct;
  into->count += m.count;
}

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const BackendOptions& opts);
  ~CudaBackend() override {
    // Queued work may still read buffers that are about to be freed.
    cudaStreamSynchronize(compute_.get());
  }

  std::string describe() const override;
  HostBuffer alloc_host(size_t bytes) override;
  void set_state(const TrainState& state) override;
  TrainState get_state() override;
  void train_step(const Batch& batch) override;
  void eval_step(const Batch& batch, float* probs) override;
  Metrics take_metrics() override;
  double loss_and_gradients(const Batch& batch, float* grads) override;
  bool last_step_timings(StepTimings* out) override;
  const cuda::StepGraphs::Stats& graph_stats() const { return graphs_.stats(); }
  void set_step_timing(bool on) override {
    timing_ = on;
    pipeline_.set_timing(on);
  }
  void profiler_range(bool start) override {
    SENTI_CUDA_CHECK(start ? cudaProfilerStart() : cudaProfilerStop());
    profiling_ = start;
  }
  bool last_gradient_stats(GradientStats* out) override;

 private:
  using Slot = BatchPipeline::Slot;
  Slot& upload(const Batch& batch) {
    validate_batch(batch, opts_);
    return pipeline_.upload(batch);
  }
  void forward(const Slot& slot, int B, int T, bool training);
  void dense(const Slot& slot, int B, DeviceMetrics* metrics, float* probs, bool backward);
  void backward(const Slot& slot, int B, int T);
  // The train step's work on the compute stream once the batch is in `slot`, through Adam and
  // the LSTM's load_keras: queued directly or under graph capture (train_step). Only compute-
  // stream work, only buffers that never move, no host value that changes from step to step.
  void enqueue_train_step(const Slot& slot, int B, int T);
  // Graphs for this step: asked for, and nothing needs the step's launches one by one (step
  // timing records events between them, a profiler range wants the per-kernel NVTX ranges).
  bool graph_step() const { return graphs_enabled_ && !timing_ && !profiling_; }
  // Queues the copy of device metrics to the host (resetting them if asked) and waits for it.
  Metrics read_metrics(DeviceMetrics* device, bool reset);
  float* lstm_block(float* base) const { return base + layout_[ParamId::Kernel].offset; }
  float* lstm_block_back(float* base) const { return base + layout_[ParamId::KernelBack].offset; }
  // The LSTM takes the (new) weights: after set_state and every Adam step.
  void load_lstm_weights();
  // The batch's lengths on the device when the model is masked, else null (every step is real).
  const int32_t* lengths(const Slot& slot) const {
    return opts_.model.mask ? slot.lengths.get() : nullptr;
  }
  cuda::SequenceRows rows(const Slot& slot, int B, int T) const {
    return cuda::SequenceRows{B, T, lengths(slot), slot.padding};
  }
  // The embedding dropout's masks applied to x [T,B,E] (forward) or dx (backward).
  void embedding_dropout(const Slot& slot, int B, int T, float* x);

  ParamLayout layout_;
  int V_, E_, H_, D_;
  cuda::ClassifierInput head_;  // pooling and dense dropout (before the LSTM: it sizes its shape)
  Stream compute_;  // declared before everything that queues work on it
  std::unique_ptr<cuda::DeviceLstm> lstm_;
  std::string describe_;
  BatchPipeline pipeline_;

  DeviceBuffer<float> params_, grads_, m_, v_;  // ParamLayout order
  int64_t step_ = 0;                            // Adam iterations done (the host's count)
  // The device's count of Adam iterations done, advanced by the step itself (kernels/adam.cuh),
  // and the step size it gives (the dropout masks are keyed by it too): nothing in a captured step depends on the step number. Equal to
  // step_ whenever the device is idle (set_state writes both; get_state checks).
  DeviceBuffer<int64_t> step_dev_;
  DeviceBuffer<float> alpha_dev_;
  kernels::ParamTiles tiles_;
  DeviceBuffer<char> clip_workspace_;
  DeviceBuffer<float> clip_scales_;    // [tensors] the last clip's factors
  DeviceBuffer<double> clip_sumsq_;    // [tensors] the squared norms clipping used
  DeviceBuffer<double> position_sumsq_;  // [1] the sparse embedding norm's sum (--embedding-clip-norm sparse)
  DeviceBuffer<char> sumsq_workspace_;
  PinnedBuffer<float> clip_scales_host_;
  PinnedBuffer<double> clip_sumsq_host_;
  bool has_clip_ = false;  // a train_step has run: last_gradient_stats has values

  DeviceBuffer<float> x_, dx_;   // [T, B, E]
  DeviceBuffer<float> y_;        // [T, B, D·H]
  DeviceBuffer<float> hy_, dhy_; // [B, D·H]
  const float* features_ = nullptr;  // the dense layer's input of the last forward
  DeviceBuffer<float> probs_;    // [B]
  DeviceBuffer<char> embedding_workspace_;

  DeviceBuffer<DeviceMetrics> metrics_, call_metrics_;  // running; one loss_and_gradients call
  PinnedBuffer<DeviceMetrics> metrics_host_;
  PinnedBuffer<float> probs_host_;
  Metrics host_metrics_;  // loss_and_gradients' metrics, added at the next take_metrics

  bool graphs_enabled_ = false;  // opts.cuda_graph and an LSTM layer whose graphs stay valid
  std::string graph_note_;       // why graphs are off although asked for ("" otherwise)
  cuda::StepGraphs graphs_;
  bool timing_ = false, have_timings_ = false, profiling_ = false;
  StepTimings last_timings_;
  Event t_fwd0_{true}, t_fwd1_{true}, t_bwd1_{true}, t_opt1_{true};
};

CudaBackend::CudaBackend(const BackendOptions& opts)
    : Backend(opts),
      layout_(opts.model),
      V_(opts.model.vocab_size),
      E_(opts.model.embed_dim),
      H_(opts.model.hidden),
      D_(opts.model.directions()),
      head_(opts.model, opts.seed, opts.max_batch, opts.maxlen),
      lstm_(cuda::make_device_lstm(opts.lstm,
                                   {E_, H_, opts.max_batch, opts.maxlen, D_, opts.model.mask,
                                    head_.sequence_gradient()},
                                   compute_, opts.deterministic)),
      describe_("cuda (" + describe_device() + "; LSTM: " + lstm_->describe()),
      pipeline_(compute_, opts.max_batch, opts.maxlen, opts.model.mask),
      graphs_(compute_) {
  validate_optimizer_config(opts.optimizer);
  validate_model_config(opts.model);
  SENTI_CHECK(opts.max_batch >= 1 && opts.max_batch <= kernels::kDenseBceMaxBatch,
              "cuda backend: max_batch ", opts.max_batch, " outside 1..", kernels::kDenseBceMaxBatch);
  SENTI_CHECK(opts.maxlen >= 1, "cuda backend: maxlen ", opts.maxlen);
  const TensorInfo &K = layout_[ParamId::Kernel], &R = layout_[ParamId::RecurrentKernel],
                   &Bi = layout_[ParamId::Bias];
  SENTI_CHECK(R.offset == K.offset + K.size && Bi.offset == R.offset + R.size,
              "cuda backend expects kernel, recurrent_kernel and bias adjacent in ParamLayout");
  SENTI_CHECK(lstm_->keras_size() == static_cast<int64_t>(K.size + R.size + Bi.size),
              "LSTM weight block size mismatch");
  if (D_ == 2) {
    const TensorInfo &KB = layout_[ParamId::KernelBack], &RB = layout_[ParamId::RecurrentKernelBack],
                     &BB = layout_[ParamId::BiasBack];
    SENTI_CHECK(RB.offset == KB.offset + KB.size && BB.offset == RB.offset + RB.size &&
                    KB.size == K.size && BB.size == Bi.size,
                "cuda backend expects the backward LSTM's kernel, recurrent_kernel and bias "
                "adjacent in ParamLayout");
  }

  const size_t P = layout_.total();
  params_.resize(P);
  grads_.resize(P);
  m_.resize(P);
  v_.resize(P);
  SENTI_CUDA_CHECK(cudaMemsetAsync(grads_.get(), 0, grads_.bytes(), compute_));
  tiles_ = kernels::ParamTiles::of(layout_.tensors());
  clip_workspace_.resize(kernels::clip_workspace_bytes(tiles_));
  SENTI_CUDA_CHECK(cudaMemsetAsync(clip_workspace_.get(), 0, clip_workspace_.bytes(), compute_));
  clip_scales_.resize(layout_.count());
  clip_sumsq_.resize(layout_.count());
  clip_scales_host_ = PinnedBuffer<float>(layout_.count());
  clip_sumsq_host_ = PinnedBuffer<double>(layout_.count());
  position_sumsq_.resize(1);
  sumsq_workspace_.resize(kernels::sum_of_squares_workspace_bytes());

  const size_t BT = static_cast<size_t>(opts.max_batch) * opts.maxlen;
  const size_t DH = static_cast<size_t>(D_) * H_, maxB = opts.max_batch;
  x_.resize(BT * E_);
  dx_.resize(BT * E_);
  y_.resize(BT * DH);
  hy_.resize(maxB * DH);
  dhy_.resize(maxB * DH);
  probs_.resize(opts.max_batch);
  embedding_workspace_.resize(
      kernels::embedding_backward_workspace_bytes(static_cast<int64_t>(BT), V_, E_));
  step_dev_.resize(1);
  alpha_dev_.resize(1);
  metrics_.resize(1);
  call_metrics_.resize(1);
  SENTI_CUDA_CHECK(cudaMemsetAsync(metrics_.get(), 0, metrics_.bytes(), compute_));
  metrics_host_ = PinnedBuffer<DeviceMetrics>(1);
  probs_host_ = PinnedBuffer<float>(opts.max_batch);

  // cuDNN's per-shape cache frees its descriptors and length buffers when it grows past its bound,
  // which a graph captured earlier would still use: graphs only with senti's own LSTM kernels.
  graphs_enabled_ = opts.cuda_graph && cuda::resolve_lstm_kind(opts.lstm) != LstmKind::Cudnn;
  if (opts.cuda_graph && !graphs_enabled_) graph_note_ = " (not with the cuDNN LSTM)";

  set_state(init_train_state(opts.model, 0));  // the CPU backend's starting point
}

std::string CudaBackend::describe() const {
  std::string graph = graphs_enabled_ ? "on" : "off" + graph_note_;
  if (!graphs_.reason().empty()) graph = "on, but new shapes eager: " + graphs_.reason();
  return describe_ + "; CUDA graph: " + graph + ")";
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
  load_lstm_weights();
  // Pageable source: staged at the call, and the synchronisation below outlives it anyway.
  SENTI_CUDA_CHECK(cudaMemcpyAsync(step_dev_.get(), &s.step, sizeof(int64_t),
                                   cudaMemcpyHostToDevice, compute_));
  step_ = s.step;
  compute_.synchronize();  // `s` may die after we return
  // The captured graphs stay valid: every buffer they use was written in place, none moved.
}

void CudaBackend::load_lstm_weights() {
  lstm_->load_keras(lstm_block(params_.get()));
  if (D_ == 2) lstm_->load_keras_reverse(lstm_block_back(params_.get()));
}

void CudaBackend::embedding_dropout(const Slot& slot, int B, int T, float* x) {
  kernels::embedding_dropout(x, B, T, E_, lengths(slot),
                             slot.padding == PadSide::Pre ? kernels::Padding::Pre
                                                          : kernels::Padding::Post,
                             opts_.model.spatial_dropout,
                             {opts_.seed, step_dev_.get(), opts_.model.dropout}, compute_);
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
  int64_t device_step = -1;
  SENTI_CUDA_CHECK(cudaMemcpyAsync(&device_step, step_dev_.get(), sizeof(int64_t),
                                   cudaMemcpyDeviceToHost, compute_));
  compute_.synchronize();
  SENTI_CHECK(device_step == step_, "the device counted ", device_step, " Adam steps, the host ",
              step_);
  s.step = step_;
  return s;
}

void CudaBackend::forward(const Slot& slot, int B, int T, bool training) {
  const ModelConfig& cfg = opts_.model;
  const ParamViews<float> p = make_views(params_.get(), layout_);
  kernels::embedding_forward(slot.ids.get(), B, T, p.embedding, V_, E_, x_.get(), compute_);
  if (training && cfg.dropout > 0.f) embedding_dropout(slot, B, T, x_.get());
  lstm_->set_padding(slot.padding);
  lstm_->forward(B, T, lengths(slot), x_.get(), y_.get(), hy_.get(), training);
  features_ = head_.forward(rows(slot, B, T), y_.get(), hy_.get(), step_dev_.get(), training,
                            compute_);
}

void CudaBackend::dense(const Slot& slot, int B, DeviceMetrics* metrics, float* probs,
                        bool backward) {
  const ParamViews<float> p = make_views(params_.get(), layout_);
  const ParamViews<float> g = make_views(grads_.get(), layout_);
  kernels::dense_bce(features_, B, head_.features(), p.dense_kernel, p.dense_bias,
                     slot.labels.get(), metrics, probs,
                     backward ? head_.input_gradient(dhy_.get()) : nullptr,
                     backward ? g.dense_kernel : nullptr,
                     backward ? g.dense_bias : nullptr, compute_);
}

// After a training forward (dropout on) and dense(backward) of the same batch.
void CudaBackend::backward(const Slot& slot, int B, int T) {
  const ModelConfig& cfg = opts_.model;
  const ParamViews<float> g = make_views(grads_.get(), layout_);
  const float* dy = head_.backward(rows(slot, B, T), dhy_.get(), step_dev_.get(), compute_);
  lstm_->backward(B, T, lengths(slot), x_.get(), y_.get(), dy, dhy_.get(), dx_.get());
  lstm_->gradient_to_keras(lstm_block(grads_.get()));
  if (D_ == 2) lstm_->gradient_to_keras_reverse(lstm_block_back(grads_.get()));
  // dL/d(embedding output) = dL/dx ⊙ mask; padded positions of a masked batch are zero already.
  if (cfg.dropout > 0.f) embedding_dropout(slot, B, T, dx_.get());
  if (opts_.optimizer.embedding_clip_norm == EmbeddingClipNorm::Sparse)
    kernels::sum_of_squares(dx_.get(), static_cast<int64_t>(T) * B * E_, position_sumsq_.get(),
                            sumsq_workspace_.get(), sumsq_workspace_.bytes(), compute_);
  kernels::embedding_backward(slot.ids.get(), B, T, dx_.get(), V_, E_, g.embedding,
                              embedding_workspace_.get(), embedding_workspace_.bytes(), compute_);
}

void CudaBackend::enqueue_train_step(const Slot& slot, int B, int T) {
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
    if (timing_) t_bwd1_.record(compute_);
  }
  {
    SENTI_NVTX_RANGE("clip");
    const bool sparse = opts_.optimizer.embedding_clip_norm == EmbeddingClipNorm::Sparse;
    kernels::clip_scales(grads_.get(), tiles_, opts_.optimizer.clipnorm,
                         opts_.optimizer.global_clipnorm, clip_workspace_.get(),
                         clip_workspace_.bytes(), clip_scales_.get(), clip_sumsq_.get(), compute_,
                         sparse ? position_sumsq_.get() : nullptr);
    has_clip_ = true;
  }
  {
    SENTI_NVTX_RANGE("Adam");
    kernels::adam_next_step(step_dev_.get(), opts_.optimizer.adam, alpha_dev_.get(), compute_);
    kernels::adam(params_.get(), m_.get(), v_.get(), grads_.get(), clip_scales_.get(), tiles_,
                  alpha_dev_.get(), opts_.optimizer.adam, compute_);
    load_lstm_weights();  // the next forward reads the new weights
    if (timing_) t_opt1_.record(compute_);
  }
}

void CudaBackend::train_step(const Batch& b) {
  // The pipeline's events stay outside the captured region: upload() queues the compute stream's
  // wait on the slot's `copied` event before the step (the graph launch is ordered after it), and
  // release() records `consumed` after the whole step (after the graph launch). Captured, they
  // would have to become external event nodes, with nothing gained: the step is one launch either
  // way, and the copy of the batch after next (the only waiter on `consumed`) cannot start before
  // this step's compute is done anyway.
  Slot& slot = upload(b);
  const int B = b.batch, T = b.maxlen;
  if (graph_step()) {
    graphs_.run({B, T, slot.ids.get(), slot.labels.get()}, [&] { enqueue_train_step(slot, B, T); });
  } else {
    enqueue_train_step(slot, B, T);
  }
  pipeline_.release(slot);  // the last reader of the slot's ids and labels is queued
  ++step_;
  pipeline_.wait_copied(slot);  // contract: the caller may reuse the batch's host memory now
  have_timings_ = false;
  if (timing_) {
    t_opt1_.synchronize();
    last_timings_.copy_ms = pipeline_.last_copy_ms();
    last_timings_.forward_ms = Event::elapsed_ms(t_fwd0_, t_fwd1_);
    last_timings_.backward_ms = Event::elapsed_ms(t_fwd1_, t_bwd1_);
    last_timings_.optimizer_ms = Event::elapsed_ms(t_bwd1_, t_opt1_);
    have_timings_ = true;
  }
}

bool CudaBackend::last_gradient_stats(GradientStats* out) {
  if (!has_clip_) return false;
  const int n = layout_.count();
  SENTI_CUDA_CHECK(cudaMemcpyAsync(clip_sumsq_host_.get(), clip_sumsq_.get(), sizeof(double) * n,
                                   cudaMemcpyDeviceToHost, compute_));
  SENTI_CUDA_CHECK(cudaMemcpyAsync(clip_scales_host_.get(), clip_scales_.get(), sizeof(float) * n,
                                   cudaMemcpyDeviceToHost, compute_));
  compute_.synchronize();  // only when asked (the training logs)
  out->count = n;
  for (int i = 0; i < n; ++i) {
    out->norm[i] = std::sqrt(clip_sumsq_host_.get()[i]);
    out->clip_scale[i] = clip_scales_host_.get()[i];
  }
  return true;
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
  pipeline_.release(slot);
  if (probs) {
    SENTI_CUDA_CHECK(cudaMemcpyAsync(probs_host_.get(), probs_.get(), sizeof(float) * b.batch,
                                     cudaMemcpyDeviceToHost, compute_));
    compute_.synchronize();
    std::memcpy(probs, probs_host_.get(), sizeof(float) * b.batch);
  }
  pipeline_.wait_copied(slot);
}

Metrics CudaBackend::read_metrics(DeviceMetrics* device, bool reset) {
  SENTI_CUDA_CHECK(cudaMemcpyAsync(metrics_host_.get(), device, sizeof(DeviceMetrics),
                                   cudaMemcpyDeviceToHost, compute_));
  if (reset) SENTI_CUDA_CHECK(cudaMemsetAsync(device, 0, sizeof(DeviceMetrics), compute_));
  compute_.synchronize();
  return to_metrics(*metrics_host_.get());
}

Metrics CudaBackend::take_metrics() {
  Metrics m = host_metrics_;
  host_metrics_ = Metrics{};
  add(&m, read_metrics(metrics_.get(), /*reset=*/true));
  return m;
}

double CudaBackend::loss_and_gradients(const Batch& b, float* grads) {
  SENTI_CHECK(grads != nullptr, "loss_and_gradients: null gradient buffer");
  Slot& slot = upload(b);
  SENTI_CUDA_CHECK(cudaMemsetAsync(call_metrics_.get(), 0, sizeof(DeviceMetrics), compute_));
  forward(slot, b.batch, b.maxlen, /*training=*/true);
  dense(slot, b.batch, call_metrics_.get(), nullptr, /*backward=*/true);
  backward(slot, b.batch, b.maxlen);
  pipeline_.release(slot);
  SENTI_CUDA_CHECK(cudaMemcpyAsync(grads, grads_.get(), grads_.bytes(), cudaMemcpyDeviceToHost,
                                   compute_));
  const Metrics m = read_metrics(call_metrics_.get(), /*reset=*/false);
  add(&host_metrics_, m);  // like the CPU backend, the batch also counts towards the running metrics
  return m.loss_sum / b.batch;
}

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& opts) {
  // Before anything is made: the LSTM kind must implement the model's LSTM options.
  if (const std::string why = cuda_unsupported(opts); !why.empty()) SENTI_FAIL(why);
  return std::make_unique<CudaBackend>(opts);
}

bool cuda_step_graph_stats(Backend& backend, cuda::StepGraphs::Stats* out) {
  const auto* cuda = dynamic_cast<const CudaBackend*>(&backend);
  if (!cuda) return false;
  if (out) *out = cuda->graph_stats();
  return true;
}

}  // namespace senti
