#pragma once
// CudaBackend's declaration, shared by its two source files (internal to engine/cuda):
//   cuda_backend.cpp       construction, state in and out, metrics, gradient statistics
//   cuda_backend_step.cpp  the step itself: forward, dense, backward, clip, Adam (eager or as a
//                          CUDA graph), evaluation and loss_and_gradients
// The public entry is make_cuda_backend() (cuda_backend.h); the overview is at the top of
// cuda_backend.cpp.

#include <cuda_profiler_api.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "engine/cuda/batch_pipeline.h"
#include "engine/cuda/cuda_backend.h"
#include "engine/cuda/classifier_input.h"
#include "engine/cuda/device_allreduce.h"
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
#include "kernels/dense_softmax_ce.cuh"
#include "kernels/dropout.cuh"
#include "kernels/embedding_backward.cuh"
#include "kernels/embedding_forward.cuh"
#include "kernels/lm_full_softmax.cuh"
#include "kernels/lm_rows.cuh"
#include "kernels/lm_sampled_softmax.cuh"
#include "kernels/ngram_features.cuh"
#include "kernels/param_tiles.h"
#include "kernels/sum_of_squares.cuh"


namespace senti::cuda_backend_detail {


using cuda::BatchPipeline;
using cuda::DeviceBuffer;
using cuda::Event;
using cuda::PinnedBuffer;
using cuda::Stream;
using kernels::DeviceMetrics;

static_assert(kernels::kMaxParamTensors >= senti::kMaxParamTensors,
              "clipping and Adam launch over every tensor of the largest model");

// The one DeviceMetrics -> Metrics conversion, and the sum of two.
Metrics to_metrics(const DeviceMetrics& d);
void add(Metrics* into, const Metrics& m);

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const BackendOptions& opts);
  ~CudaBackend() override {
    // Queued work may still read buffers that are about to be freed. A distributed step waiting
    // for a dead peer: the allreduce's wait aborts the communicator, which releases the stream.
    if (allreduce_) {
      try {
        allreduce_->synchronize();
      } catch (...) {
      }
    }
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
  // The rows a call queues: the batch's shape and its place in a data-parallel global batch
  // (Batch::row_offset keys the dropout masks by global row; Batch::mean_rows() divides the loss).
  // Host values in the launches: a captured step is keyed by all four (StepKey).
  struct Rows {
    int B = 0, T = 0;
    int first_row = 0, mean_rows = 0;
  };
  static Rows rows_of(const Batch& b) { return {b.batch, b.maxlen, b.row_offset, b.mean_rows()}; }
  Slot& upload(const Batch& batch) {
    validate_batch(batch, opts_);
    return pipeline_.upload(batch);
  }
  void forward(const Slot& slot, const Rows& r, bool training);
  // The dense layer and the head's loss: dense_bce (sigmoid head) or dense_softmax_ce (softmax,
  // multi-label); class weights (if any) in training (backward) only, as the CPU backend.
  void dense(const Slot& slot, const Rows& r, DeviceMetrics* metrics, float* probs, bool backward);
  void backward(const Slot& slot, const Rows& r);
  // The language model's head (ModelConfig::language_model()) in place of dense(): every LSTM
  // step's state predicts the next token of its direction (kernels/lm_rows.cuh). Training: the
  // sampled softmax (kernels/lm_sampled_softmax), dL/dy into lm_dy_, the dense gradient, and
  // Σ weight·loss added to *objective (if not null); evaluation: the full softmax.
  void lm_head(const Slot& slot, const Rows& r, DeviceMetrics* metrics, bool training,
               double* objective);
  // An empty data-parallel share (B 0): a zero gradient (and sparse norm) for the allreduce.
  void zero_gradient();
  // The train step's work on the compute stream once the batch is in `slot` (null: an empty
  // share), through the allreduce over the ranks, clipping, Adam and the LSTM's load_keras:
  // queued directly or under graph capture (train_step). Only compute-stream work, only buffers
  // that never move, no host value that changes from step to step.
  void enqueue_train_step(const Slot* slot, const Rows& r);
  // Blocks until the compute stream's queued work is done; distributed, through the allreduce's
  // wait, which turns a dead peer into an error instead of a hang (device_allreduce.h).
  void synchronize() {
    if (allreduce_)
      allreduce_->synchronize();
    else
      compute_.synchronize();
  }
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
  cuda::SequenceRows rows(const Slot& slot, const Rows& r) const {
    return cuda::SequenceRows{r.B, r.T, lengths(slot), slot.padding,
                              static_cast<uint64_t>(r.first_row)};
  }
  // The batch's n-gram feature lists in ngram_workspace_ (ngrams > 0; the same pointers for the
  // same B and T, so a captured graph keyed on them stays valid).
  kernels::NgramRows ngram_rows(int B, int T) const {
    return kernels::ngram_rows(ngram_workspace_.get(), ngram_workspace_.size(), B, T,
                               opts_.model.ngrams);
  }
  // The embedding dropout's masks applied to x [T,B,E] (forward) or dx (backward).
  void embedding_dropout(const Slot& slot, const Rows& r, float* x);

  ParamLayout layout_;
  int V_, E_, H_, D_;
  int O_;  // the dense layer's outputs: 1 (sigmoid head) or K (ModelConfig::outputs())
  cuda::ClassifierInput head_;  // pooling and dense dropout (before the LSTM: it sizes its shape)
  Stream compute_;  // declared before everything that queues work on it
  // The sum of the gradient over the ranks (BackendOptions::collective distributed), else null.
  std::unique_ptr<cuda::DeviceAllreduce> allreduce_;
  std::unique_ptr<cuda::DeviceLstm> lstm_;
  std::string describe_;
  int device_ = 0;  // the device this backend was made on (select_rank_device for a rank)
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
  DeviceBuffer<float> probs_;    // [B, O]
  DeviceBuffer<float> class_weights_;  // [K] BackendOptions::class_weights; empty = none
  DeviceBuffer<char> head_workspace_;  // dense_softmax_ce's (softmax and multi-label heads)
  DeviceBuffer<char> embedding_workspace_;
  // --ngrams: the feature lists (kernels/ngram_features.cuh), their logits and dL/dlogit [B, O].
  DeviceBuffer<int32_t> ngram_workspace_;
  DeviceBuffer<float> ngram_logits_, dlogits_;
  // The language model: per (direction, position) row its target and weight (kernels/lm_rows.cuh),
  // dL/dy [T, B, D·H] for the LSTM, the head's workspace, loss_and_gradients' objective (device).
  bool lm_ = false;
  DeviceBuffer<int32_t> lm_targets_;
  DeviceBuffer<float> lm_weights_, lm_dy_;
  DeviceBuffer<char> lm_workspace_;
  DeviceBuffer<double> lm_objective_;

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

}  // namespace senti::cuda_backend_detail
