#pragma once
// The one interface the trainer, evaluator, predictor and benchmarks use. Two implementations:
// CpuBackend (engine/cpu, the oracle) and CudaBackend (engine/cuda). Both keep parameters and Adam
// state in the ParamLayout order so checkpoints and tests can compare them element by element.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/batch.h"
#include "engine/collective/collective.h"
#include "engine/model_config.h"
#include "engine/params.h"

namespace senti {

// Host memory handed out by a backend: pinned (page-locked) on CUDA so copies can be async.
using HostBuffer = std::unique_ptr<void, std::function<void(void*)>>;

// Which LSTM layer the CUDA backend runs (the CPU backend has one, and ignores this):
//   Auto     Fused, in both builds
//   Cudnn    cuDNN's RNN API (real GPU only: cuDNN is not emulated); the reference and fallback
//   Fused    senti's own LSTM kernels (kernels/lstm_fused.cuh, engine/cuda/fused_lstm.h)
//   StandIn  the CPU twin run on the device buffers (emulated device only: there device memory
//            is host memory)
// engine/cuda/device_lstm.cpp is the one place that resolves it.
enum class LstmKind { Auto, Cudnn, Fused, StandIn };

// "auto", "cudnn", "fused", "stand-in" (the values of a future --lstm flag).
const char* lstm_kind_name(LstmKind kind);
// The inverse; a UsageError naming --lstm and the accepted values for anything else.
LstmKind parse_lstm_kind(const std::string& name);

// The value of --cuda-graph: "on" -> true, "off" -> false; anything else is an InvalidSetting
// ("cuda_graph", the CLI names the flag). The one check of that setting.
bool parse_cuda_graph(const std::string& value);

struct BackendOptions {
  ModelConfig model;
  OptimizerConfig optimizer;
  int max_batch = 32;    // largest B any call will pass
  int maxlen = 500;      // largest T (padded sequence length) any call will pass
  bool deterministic = true;
  LstmKind lstm = LstmKind::Auto;  // CUDA backend only
  // CUDA backend only: capture the train step in CUDA graphs and replay them (engine/cuda/
  // step_graph.h; docs/performance.md). Off: every launch queued from the host each step.
  bool cuda_graph = true;
  uint64_t seed = 0;     // the run's seed: keys the training-mode dropout masks (docs/model.md)
  // Keras class_weight: (K) factors of each class's training loss and gradient; empty = 1 each.
  // Training steps only (eval_step's loss is unweighted); not for a multi-label head.
  std::vector<float> class_weights;
  // Data-parallel training (docs/distributed.md): the job's processes. Each train_step sums the
  // ranks' gradients (the batch is this rank's share, Batch::global_batch) before clipping and
  // Adam, so every rank applies the same update. Null: one process.
  std::shared_ptr<Collective> collective;
};

// The one check of a batch against the options a backend was built for, shared by every backend:
// ids and labels present, 1 <= B <= max_batch, 1 <= T <= maxlen, every id in [0, V) (a bad id
// would make a gather read outside the embedding table); for a masked model, every length in
// 1..T, every padded position (by the batch's padding side) holding id 0 and no real token
// holding it (the mask would skip it). Throws senti::Error.
void validate_batch(const Batch& batch, const BackendOptions& opts);

class Backend {
 public:
  virtual ~Backend() = default;

  // "cpu (OpenBLAS, 2 threads)", "cuda (NVIDIA H100 80GB HBM3, driver 550.54)" ...
  virtual std::string describe() const = 0;
  const BackendOptions& options() const { return opts_; }

  // Host memory for batches; pinned where that lets copies overlap compute.
  virtual HostBuffer alloc_host(size_t bytes) = 0;

  // Load / read back parameters, Adam moments and step (ParamLayout order). get_state synchronises.
  virtual void set_state(const TrainState& state) = 0;
  virtual TrainState get_state() = 0;

  // One optimizer step: forward, loss, backward, (the allreduce of the gradient over the
  // options' collective,) clipping, Adam. May run asynchronously, but
  // when it returns the backend no longer reads the batch's host memory. Loss and accuracy of the
  // batch (before the update) are accumulated into the running metrics.
  virtual void train_step(const Batch& batch) = 0;

  // Forward only. Accumulates loss/accuracy into the running metrics; if probs is not null, writes
  // the (B, O) probabilities to it (O = model.outputs(): the positive class's for the sigmoid head,
  // the softmax or each label's sigmoid for K classes); this call then synchronises.
  virtual void eval_step(const Batch& batch, float* probs) = 0;

  // Returns the metrics accumulated since the last call and resets them (synchronises).
  virtual Metrics take_metrics() = 0;

  // Mean loss over the batch and its gradient for every parameter (ParamLayout order, before any
  // clipping), without updating anything. For tests and gradient checks.
  virtual double loss_and_gradients(const Batch& batch, float* grads) = 0;

  // Optional: the split of the last train_step measured with device events (CUDA only).
  struct StepTimings {
    float copy_ms = 0, forward_ms = 0, backward_ms = 0, optimizer_ms = 0;  // optimizer = clip + Adam
  };
  virtual bool last_step_timings(StepTimings* /*out*/) { return false; }
  // Optional: turn per-step event timing on (costs a sync per step; bench only).
  virtual void set_step_timing(bool /*on*/) {}
  // Optional: bracket a profiler capture window (cudaProfilerStart/Stop on CUDA).
  virtual void profiler_range(bool /*start*/) {}

  // Optional: the last train_step's gradient of each variable (ParamLayout order): its norm before
  // clipping (with the sparse embedding rule: the norm clipping used) and the factor clipping
  // multiplied it by (1 when not clipped). For training logs
  // (TensorBoard). Returns false when the backend does not expose them; the CPU backend does.
  struct GradientStats {
    int count = 0;  // tensors of the model (ParamLayout::count(): 6, or 9 when bidirectional)
    std::array<double, kMaxParamTensors> norm{};
    std::array<float, kMaxParamTensors> clip_scale{};
  };
  virtual bool last_gradient_stats(GradientStats* /*out*/) { return false; }

 protected:
  explicit Backend(BackendOptions opts) : opts_(std::move(opts)) {}
  BackendOptions opts_;
};

enum class Device { Cpu, Cuda, Auto };

// True when this build has the CUDA backend and a usable GPU is present; `why` says why not.
bool cuda_available(std::string* why);

// The first option in `opts` that the CUDA backend does not implement yet, as a sentence naming
// its flag ("--lstm cudnn does not implement --bidirectional yet ..."); "" when it runs them all
// (with --lstm fused/auto: every option).
// The one place that decides it: make_backend refuses (Cuda) or falls back to the CPU (Auto).
std::string cuda_unsupported(const BackendOptions& opts);

// Creates the backend for `device`. Auto picks CUDA when cuda_available() and the options are
// supported there, otherwise the CPU (and sets *fell_back when given; *why says why). Cuda without
// a GPU, or with options it does not support, throws a UsageError that says why.
std::unique_ptr<Backend> make_backend(Device device, const BackendOptions& opts,
                                      bool* fell_back = nullptr, std::string* why = nullptr);

}  // namespace senti
