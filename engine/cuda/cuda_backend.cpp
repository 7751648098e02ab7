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
// -> dense dropout) (+ with --ngrams the n-gram logits: kernels/ngram_features.cuh) -> dense +
// the head's loss (sigmoid + BCE: kernels/dense_bce, loss, metrics and dL/dfeatures in one launch;
// softmax or multi-label over K outputs: kernels/dense_softmax_ce) ->
// the same backwards -> embedding gradient (with --embedding-clip-norm sparse also its
// per-position squared norm, a device value clipping reads) (-> data-parallel: the sum of both
// over the ranks, engine/cuda/device_allreduce.h) -> clip scales -> Adam.
// Metrics accumulate on the device; take_metrics() is the only sync. The optimizer step the
// dropout masks are keyed by is a device counter (step_dev_), so no per-step host value enters a
// launch of the step. The Adam step size comes from the same counter (advanced by the step itself,
// kernels/adam.cuh), and the LSTM takes its copy of the new weights at the end
// (enqueue_train_step). With BackendOptions::cuda_graph that sequence is captured once per batch
// shape and slot and replayed as one CUDA graph launch (engine/cuda/step_graph.h); timing and
// profiling run it eagerly.
#include "engine/cuda/cuda_backend.h"

#include "engine/cuda/cuda_backend_impl.h"

namespace senti {
namespace cuda_backend_detail {
namespace {

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

}  // namespace

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

CudaBackend::CudaBackend(const BackendOptions& opts)
    : Backend(opts),
      layout_(opts.model),
      V_(opts.model.vocab_size),
      E_(opts.model.embed_dim),
      H_(opts.model.hidden),
      D_(opts.model.directions()),
      O_(opts.model.outputs()),
      head_(opts.model, opts.seed, opts.max_batch, opts.maxlen),
      lstm_(cuda::make_device_lstm(opts.lstm,
                                   {E_, H_, opts.max_batch, opts.maxlen, D_, opts.model.mask,
                                    head_.sequence_gradient() || opts.model.language_model()},
                                   compute_, opts.deterministic)),
      describe_("cuda (" + describe_device() + "; LSTM: " + lstm_->describe()),
      pipeline_(compute_, opts.max_batch, opts.maxlen, opts.model.mask,
                opts.model.labels_per_row()),
      graphs_(compute_) {
  validate_optimizer_config(opts.optimizer);
  validate_model_config(opts.model);
  SENTI_CUDA_CHECK(cudaGetDevice(&device_));
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
  // The language model has no probabilities (its O is V): no (B, O) buffers.
  lm_ = opts.model.language_model();
  const size_t BO = lm_ ? 1 : maxB * static_cast<size_t>(O_);
  probs_.resize(BO);
  if (lm_) {
    const int64_t rows = static_cast<int64_t>(D_) * static_cast<int64_t>(BT);
    lm_targets_.resize(rows);
    lm_weights_.resize(rows);
    lm_dy_.resize(BT * DH);
    lm_workspace_.resize(std::max(
        kernels::lm_sampled_softmax_workspace_bytes(rows, opts.model.lm_samples, H_, V_),
        kernels::lm_full_softmax_workspace_bytes(rows)));
    lm_objective_.resize(1);
  } else if (opts.model.head != Head::Sigmoid) {
    static_assert(kernels::kDenseSoftmaxCeMaxClasses == kMaxClasses, "the head kernel's K limit");
    head_workspace_.resize(kernels::dense_softmax_ce_workspace_bytes(opts.max_batch, O_));
  }
  if (!opts.class_weights.empty()) {  // uploaded once; pageable: staged at the call
    SENTI_CHECK(opts.model.head != Head::MultiLabel,
                "class weights are not defined for a multi-label head");
    SENTI_CHECK(static_cast<int>(opts.class_weights.size()) == opts.model.classes,
                opts.class_weights.size(), " class weights for ", opts.model.classes, " classes");
    class_weights_.resize(opts.class_weights.size());
    SENTI_CUDA_CHECK(cudaMemcpyAsync(class_weights_.get(), opts.class_weights.data(),
                                     class_weights_.bytes(), cudaMemcpyHostToDevice, compute_));
  }
  embedding_workspace_.resize(
      kernels::embedding_backward_workspace_bytes(static_cast<int64_t>(BT), V_, E_));
  if (opts.model.ngrams > 0) {
    ngram_workspace_.resize(kernels::ngram_workspace_ints(opts.max_batch, opts.maxlen,
                                                          opts.model.ngrams));
    ngram_logits_.resize(BO);
    dlogits_.resize(BO);
  }
  step_dev_.resize(1);
  alpha_dev_.resize(1);
  metrics_.resize(1);
  call_metrics_.resize(1);
  SENTI_CUDA_CHECK(cudaMemsetAsync(metrics_.get(), 0, metrics_.bytes(), compute_));
  metrics_host_ = PinnedBuffer<DeviceMetrics>(1);
  probs_host_ = PinnedBuffer<float>(BO);

  // cuDNN's per-shape cache frees its descriptors and length buffers when it grows past its bound,
  // which a graph captured earlier would still use: graphs only with senti's own LSTM kernels.
  graphs_enabled_ = opts.cuda_graph && cuda::resolve_lstm_kind(opts.lstm) != LstmKind::Cudnn;
  if (opts.cuda_graph && !graphs_enabled_) graph_note_ = " (not with the cuDNN LSTM)";

  // Data-parallel (docs/distributed.md): the gradient's sum over the ranks, on the compute stream.
  // Made here, at the same point on every rank (NCCL's communicator is collective).
  if (opts.collective && opts.collective->distributed()) {
    allreduce_ = std::make_unique<cuda::DeviceAllreduce>(*opts.collective, compute_);
    describe_ += "; data parallel: " + opts.collective->describe() + ", gradient allreduce " +
                 allreduce_->describe();
  }

  set_state(init_train_state(opts.model, 0));  // the CPU backend's starting point
}

std::string CudaBackend::describe() const {
  std::string graph = graphs_enabled_ ? "on" : "off" + graph_note_;
  if (!graphs_.reason().empty()) graph = "on, but new shapes eager: " + graphs_.reason();
  return describe_ + "; CUDA graph: " + graph + ")";
}

HostBuffer CudaBackend::alloc_host(size_t bytes) {
  // The caller may be another thread (the batch stream's), whose current device is 0 until set: a
  // data-parallel rank on GPU k would otherwise open a context on GPU 0 from it.
  SENTI_CUDA_CHECK(cudaSetDevice(device_));
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
  synchronize();  // nothing queued may still use the old values
  SENTI_CUDA_CHECK(cudaMemcpyAsync(params_.get(), s.params.data(), params_.bytes(),
                                   cudaMemcpyHostToDevice, compute_));
  SENTI_CUDA_CHECK(cudaMemcpyAsync(m_.get(), s.m.data(), m_.bytes(), cudaMemcpyHostToDevice, compute_));
  SENTI_CUDA_CHECK(cudaMemcpyAsync(v_.get(), s.v.data(), v_.bytes(), cudaMemcpyHostToDevice, compute_));
  load_lstm_weights();
  // Pageable source: staged at the call, and the synchronisation below outlives it anyway.
  SENTI_CUDA_CHECK(cudaMemcpyAsync(step_dev_.get(), &s.step, sizeof(int64_t),
                                   cudaMemcpyHostToDevice, compute_));
  step_ = s.step;
  synchronize();  // `s` may die after we return
  // The captured graphs stay valid: every buffer they use was written in place, none moved.
}

void CudaBackend::load_lstm_weights() {
  lstm_->load_keras(lstm_block(params_.get()));
  if (D_ == 2) lstm_->load_keras_reverse(lstm_block_back(params_.get()));
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
  synchronize();
  SENTI_CHECK(device_step == step_, "the device counted ", device_step, " Adam steps, the host ",
              step_);
  s.step = step_;
  return s;
}

bool CudaBackend::last_gradient_stats(GradientStats* out) {
  if (!has_clip_) return false;
  const int n = layout_.count();
  SENTI_CUDA_CHECK(cudaMemcpyAsync(clip_sumsq_host_.get(), clip_sumsq_.get(), sizeof(double) * n,
                                   cudaMemcpyDeviceToHost, compute_));
  SENTI_CUDA_CHECK(cudaMemcpyAsync(clip_scales_host_.get(), clip_scales_.get(), sizeof(float) * n,
                                   cudaMemcpyDeviceToHost, compute_));
  synchronize();  // only when asked (the training logs)
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

Metrics CudaBackend::read_metrics(DeviceMetrics* device, bool reset) {
  SENTI_CUDA_CHECK(cudaMemcpyAsync(metrics_host_.get(), device, sizeof(DeviceMetrics),
                                   cudaMemcpyDeviceToHost, compute_));
  if (reset) SENTI_CUDA_CHECK(cudaMemsetAsync(device, 0, sizeof(DeviceMetrics), compute_));
  synchronize();
  return to_metrics(*metrics_host_.get());
}

Metrics CudaBackend::take_metrics() {
  Metrics m = host_metrics_;
  host_metrics_ = Metrics{};
  add(&m, read_metrics(metrics_.get(), /*reset=*/true));
  return m;
}

}  // namespace cuda_backend_detail

using cuda_backend_detail::CudaBackend;

std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& opts) {
  // Before anything is made: the LSTM kind must implement the model's LSTM options.
  if (const std::string why = cuda_unsupported(opts); !why.empty()) SENTI_FAIL(why);
  // A data-parallel rank runs on its own GPU of the machine: chosen before anything is allocated.
  if (opts.collective && opts.collective->distributed())
    select_rank_device(opts.collective->info().local_rank);
  return std::make_unique<CudaBackend>(opts);
}

bool cuda_step_graph_stats(Backend& backend, cuda::StepGraphs::Stats* out) {
  const auto* cuda = dynamic_cast<const CudaBackend*>(&backend);
  if (!cuda) return false;
  if (out) *out = cuda->graph_stats();
  return true;
}

}  // namespace senti
