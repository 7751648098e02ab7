// CudaBackend's step: forward, dense, backward, clip and Adam (eager or captured as a CUDA graph,
// engine/cuda/step_graph.h), evaluation and loss_and_gradients. The overview of the backend is at
// the top of cuda_backend.cpp; the class is in cuda_backend_impl.h.
#include "engine/cuda/cuda_backend_impl.h"

namespace senti::cuda_backend_detail {

void CudaBackend::embedding_dropout(const Slot& slot, const Rows& r, float* x) {
  kernels::embedding_dropout(x, r.B, r.T, E_, lengths(slot),
                             slot.padding == PadSide::Pre ? kernels::Padding::Pre
                                                          : kernels::Padding::Post,
                             opts_.model.spatial_dropout,
                             {opts_.seed, step_dev_.get(), opts_.model.dropout,
                              static_cast<uint64_t>(r.first_row)},
                             compute_);
}

void CudaBackend::forward(const Slot& slot, const Rows& r, bool training) {
  const ModelConfig& cfg = opts_.model;
  const int B = r.B, T = r.T;
  const ParamViews<float> p = make_views(params_.get(), layout_);
  kernels::embedding_forward(slot.ids.get(), B, T, p.embedding, V_, E_, x_.get(), compute_);
  if (training && cfg.dropout > 0.f) embedding_dropout(slot, r, x_.get());
  lstm_->set_padding(slot.padding);
  lstm_->forward(B, T, lengths(slot), x_.get(), y_.get(), hy_.get(), training);
  features_ = head_.forward(rows(slot, r), y_.get(), hy_.get(), step_dev_.get(), training,
                            compute_);
  if (cfg.ngrams > 0) {  // the n-gram part of the logits, which dense() adds
    const kernels::NgramRows ngrams = ngram_rows(B, T);
    kernels::ngram_collect(slot.ids.get(), T, cfg.ngrams, V_, cfg.ngram_buckets, ngrams, compute_);
    kernels::ngram_logits(ngrams, p.dense_kernel + static_cast<int64_t>(cfg.features()) * O_, O_,
                          ngram_logits_.get(), compute_);
  }
}

void CudaBackend::lm_head(const Slot& slot, const Rows& r, DeviceMetrics* metrics, bool training,
                          double* objective) {
  const ParamViews<float> p = make_views(params_.get(), layout_);
  const ParamViews<float> g = make_views(grads_.get(), layout_);
  kernels::lm_targets(slot.ids.get(), r.B, r.T, D_, lengths(slot),
                      slot.padding == PadSide::Pre ? kernels::Padding::Pre : kernels::Padding::Post,
                      r.mean_rows, lm_targets_.get(), lm_weights_.get(), compute_);
  const int64_t M = static_cast<int64_t>(r.T) * r.B;
  if (!training) {
    kernels::LmFullSoftmaxArgs a;
    a.D = D_;
    a.M = M;
    a.H = H_;
    a.V = V_;
    a.x = y_.get();
    a.targets = lm_targets_.get();
    a.weights = lm_weights_.get();
    a.w = p.dense_kernel;
    a.bias = p.dense_bias;
    a.metrics = metrics;
    a.workspace = lm_workspace_.get();
    a.workspace_bytes = lm_workspace_.bytes();
    kernels::lm_full_softmax(a, compute_);
    return;
  }
  kernels::LmSampledSoftmaxArgs a;
  a.D = D_;
  a.M = M;
  a.H = H_;
  a.V = V_;
  a.S = opts_.model.lm_samples;
  a.x = y_.get();
  a.targets = lm_targets_.get();
  a.weights = lm_weights_.get();
  a.w = p.dense_kernel;
  a.bias = p.dense_bias;
  a.seed = opts_.seed;
  a.step = step_dev_.get();  // Adam steps done: the CPU's state.step before the update
  a.metrics = metrics;
  a.objective = objective;
  a.dx = lm_dy_.get();
  a.dw = g.dense_kernel;
  a.dbias = g.dense_bias;
  a.workspace = lm_workspace_.get();
  a.workspace_bytes = lm_workspace_.bytes();
  kernels::lm_sampled_softmax(a, compute_);
}

void CudaBackend::dense(const Slot& slot, const Rows& r, DeviceMetrics* metrics, float* probs,
                        bool backward) {
  if (lm_) {
    SENTI_CHECK(probs == nullptr, "a language model has no class probabilities");
    lm_head(slot, r, metrics, backward, nullptr);
    return;
  }
  const int B = r.B;
  const ParamViews<float> p = make_views(params_.get(), layout_);
  const ParamViews<float> g = make_views(grads_.get(), layout_);
  const ModelConfig& cfg = opts_.model;
  const bool ngrams = cfg.ngrams > 0;
  // Keras applies class_weight to training only: evaluation's loss is unweighted.
  const float* weights = backward && class_weights_.size() > 0 ? class_weights_.get() : nullptr;
  // The first F rows of the kernel (and of its gradient) read the features, the n-gram rows after.
  if (cfg.head == Head::Sigmoid) {
    kernels::dense_bce(features_, B, head_.features(), p.dense_kernel, p.dense_bias,
                       slot.labels.get(), metrics, probs,
                       backward ? head_.input_gradient(dhy_.get()) : nullptr,
                       backward ? g.dense_kernel : nullptr,
                       backward ? g.dense_bias : nullptr, compute_,
                       ngrams ? ngram_logits_.get() : nullptr,
                       ngrams && backward ? dlogits_.get() : nullptr, weights, r.mean_rows);
    return;
  }
  kernels::DenseSoftmaxCeArgs a;
  a.head = cfg.head == Head::Softmax ? kernels::DenseHead::Softmax : kernels::DenseHead::MultiLabel;
  a.B = B;
  a.mean_rows = r.mean_rows;  // the loss is the (global) batch's mean
  a.F = head_.features();
  a.K = O_;
  a.h = features_;
  a.w = p.dense_kernel;
  a.bias = p.dense_bias;
  a.labels = slot.labels.get();
  a.class_weights = weights;
  a.extra_logits = ngrams ? ngram_logits_.get() : nullptr;
  a.metrics = metrics;
  a.probs = probs;
  if (backward) {
    a.dh = head_.input_gradient(dhy_.get());
    a.dw = g.dense_kernel;
    a.dbias = g.dense_bias;
    a.dz = ngrams ? dlogits_.get() : nullptr;  // the n-gram gradient's input
  }
  a.workspace = head_workspace_.get();
  a.workspace_bytes = head_workspace_.bytes();
  kernels::dense_softmax_ce(a, compute_);
}

// After a training forward (dropout on) and dense(backward) of the same batch.
void CudaBackend::backward(const Slot& slot, const Rows& r) {
  const ModelConfig& cfg = opts_.model;
  const int B = r.B, T = r.T;
  const ParamViews<float> g = make_views(grads_.get(), layout_);
  if (cfg.ngrams > 0)  // the n-gram rows of the dense kernel's gradient, from dense()'s dL/dlogit
    kernels::ngram_gradient(ngram_rows(B, T), dlogits_.get(), O_,
                            g.dense_kernel + static_cast<int64_t>(cfg.features()) * O_,
                            cfg.ngram_width(), compute_);
  // The language model: dL/dy from lm_head, nothing reaches hy directly.
  const float* dy = lm_ ? lm_dy_.get()
                        : head_.backward(rows(slot, r), dhy_.get(), step_dev_.get(), compute_);
  lstm_->backward(B, T, lengths(slot), x_.get(), y_.get(), dy, lm_ ? nullptr : dhy_.get(),
                  dx_.get());
  lstm_->gradient_to_keras(lstm_block(grads_.get()));
  if (D_ == 2) lstm_->gradient_to_keras_reverse(lstm_block_back(grads_.get()));
  // dL/d(embedding output) = dL/dx ⊙ mask; padded positions of a masked batch are zero already.
  if (cfg.dropout > 0.f) embedding_dropout(slot, r, dx_.get());
  if (opts_.optimizer.embedding_clip_norm == EmbeddingClipNorm::Sparse)
    kernels::sum_of_squares(dx_.get(), static_cast<int64_t>(T) * B * E_, position_sumsq_.get(),
                            sumsq_workspace_.get(), sumsq_workspace_.bytes(), compute_);
  kernels::embedding_backward(slot.ids.get(), B, T, dx_.get(), V_, E_, g.embedding,
                              embedding_workspace_.get(), embedding_workspace_.bytes(), compute_);
}

void CudaBackend::zero_gradient() {
  // Every step overwrites the whole gradient; a share without rows adds nothing to the sum.
  SENTI_CUDA_CHECK(cudaMemsetAsync(grads_.get(), 0, grads_.bytes(), compute_));
  SENTI_CUDA_CHECK(cudaMemsetAsync(position_sumsq_.get(), 0, position_sumsq_.bytes(), compute_));
}

void CudaBackend::enqueue_train_step(const Slot* slot, const Rows& r) {
  const bool sparse = opts_.optimizer.embedding_clip_norm == EmbeddingClipNorm::Sparse;
  {
    SENTI_NVTX_RANGE("forward");
    if (timing_) t_fwd0_.record(compute_);
    if (slot) {
      forward(*slot, r, /*training=*/true);
      dense(*slot, r, metrics_.get(), nullptr, /*backward=*/true);  // loss, metrics, dL/dhy
    }
    if (timing_) t_fwd1_.record(compute_);
  }
  {
    SENTI_NVTX_RANGE("backward");
    if (slot)
      backward(*slot, r);
    else
      zero_gradient();
    if (allreduce_) {  // the global batch's gradient (each share is already divided by its N)
      SENTI_NVTX_RANGE("allreduce");
      // The sparse embedding norm's per-position slices each belong to one rank: their sums add.
      allreduce_->sum(grads_.get(), grads_.size(), sparse ? position_sumsq_.get() : nullptr);
    }
    if (timing_) t_bwd1_.record(compute_);  // backward_ms includes the allreduce
  }
  {
    SENTI_NVTX_RANGE("clip");
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
                  alpha_dev_.get(), opts_.optimizer.adam, compute_,
                  opts_.optimizer.uniform_lr() ? nullptr : opts_.optimizer.lr_scale);
    load_lstm_weights();  // the next forward reads the new weights
    if (timing_) t_opt1_.record(compute_);
  }
}

void CudaBackend::train_step(const Batch& b) {
  const Rows r = rows_of(b);
  if (r.B == 0) {
    // A data-parallel rank's empty share of a short global batch (validate_batch allows B 0 only
    // for a share): no rows to copy or run, but the rank still adds its zero gradient to the
    // allreduce and clips and steps with the others. Rare (an epoch's last batch): no graph.
    validate_batch(b, opts_);
    enqueue_train_step(nullptr, r);
    ++step_;
    if (allreduce_) allreduce_->step_queued();
    have_timings_ = false;
    return;
  }
  // The pipeline's events stay outside the captured region: upload() queues the compute stream's
  // wait on the slot's `copied` event before the step (the graph launch is ordered after it), and
  // release() records `consumed` after the whole step (after the graph launch). Captured, they
  // would have to become external event nodes, with nothing gained: the step is one launch either
  // way, and the copy of the batch after next (the only waiter on `consumed`) cannot start before
  // this step's compute is done anyway. The allreduce (distributed) is inside the graph: NCCL's
  // ncclAllReduce and the emulated device's stand-in are both captured like a kernel.
  Slot& slot = upload(b);
  if (graph_step()) {
    graphs_.run({r.B, r.T, slot.ids.get(), slot.labels.get(), r.first_row, r.mean_rows},
                [&] { enqueue_train_step(&slot, r); });
  } else {
    enqueue_train_step(&slot, r);
  }
  pipeline_.release(slot);  // the last reader of the slot's ids and labels is queued
  ++step_;
  if (allreduce_) allreduce_->step_queued();  // outside the capture: it waits or synchronises
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

void CudaBackend::eval_step(const Batch& b, float* probs) {
  SENTI_NVTX_RANGE("evaluation");
  SENTI_CHECK(!(lm_ && probs), "a language model has no class probabilities");
  if (b.batch == 0) {  // an empty share of a data-parallel evaluation: nothing to score
    validate_batch(b, opts_);
    return;
  }
  const Rows r = rows_of(b);
  Slot& slot = upload(b);
  forward(slot, r, /*training=*/false);
  dense(slot, r, metrics_.get(), probs ? probs_.get() : nullptr, /*backward=*/false);
  pipeline_.release(slot);
  if (probs) {  // (B, O)
    const size_t bytes = sizeof(float) * static_cast<size_t>(b.batch) * static_cast<size_t>(O_);
    SENTI_CUDA_CHECK(cudaMemcpyAsync(probs_host_.get(), probs_.get(), bytes,
                                     cudaMemcpyDeviceToHost, compute_));
    synchronize();
    std::memcpy(probs, probs_host_.get(), bytes);
  }
  pipeline_.wait_copied(slot);
}

// This rank's share of the gradient, as the CPU backend's: no allreduce (the global batch's
// gradient is the sum of the shares'); the loss is the share's part of the global mean.
double CudaBackend::loss_and_gradients(const Batch& b, float* grads) {
  SENTI_CHECK(grads != nullptr, "loss_and_gradients: null gradient buffer");
  const Rows r = rows_of(b);
  if (r.B == 0) {  // an empty share: nothing to add
    validate_batch(b, opts_);
    std::fill(grads, grads + layout_.total(), 0.f);
    return 0;
  }
  Slot& slot = upload(b);
  SENTI_CUDA_CHECK(cudaMemsetAsync(call_metrics_.get(), 0, sizeof(DeviceMetrics), compute_));
  forward(slot, r, /*training=*/true);
  if (lm_) {  // the objective the gradient is of (the weighted token mean), as the CPU backend
    SENTI_CUDA_CHECK(cudaMemsetAsync(lm_objective_.get(), 0, sizeof(double), compute_));
    lm_head(slot, r, call_metrics_.get(), /*training=*/true, lm_objective_.get());
  } else {
    dense(slot, r, call_metrics_.get(), nullptr, /*backward=*/true);
  }
  backward(slot, r);
  pipeline_.release(slot);
  SENTI_CUDA_CHECK(cudaMemcpyAsync(grads, grads_.get(), grads_.bytes(), cudaMemcpyDeviceToHost,
                                   compute_));
  double objective = 0;
  if (lm_)  // ordered before read_metrics' wait
    SENTI_CUDA_CHECK(cudaMemcpyAsync(&objective, lm_objective_.get(), sizeof(double),
                                     cudaMemcpyDeviceToHost, compute_));
  const Metrics m = read_metrics(call_metrics_.get(), /*reset=*/false);
  add(&host_metrics_, m);  // like the CPU backend, the batch also counts towards the running metrics
  return lm_ ? objective : m.loss_sum / r.mean_rows;
}

}  // namespace senti::cuda_backend_detail
