#include "engine/cpu/cpu_backend.h"

#include <cblas.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "kernels/common/error.h"
#include "engine/cpu/head_cpu.h"
#include "engine/cpu/lm_head_cpu.h"
#include "engine/cpu/lstm_cpu.h"
#include "engine/cpu/ngram_cpu.h"
#include "engine/cpu/small_gemm.h"
#include "engine/init.h"
#include "kernels/common/math/activations.h"
#include "engine/cpu/cpu_adam.h"
#include "engine/optimizer.h"

namespace senti {
namespace {

// The backend splits its work into cpu_backend_threads() parts itself and runs OpenBLAS
// single-threaded inside them (a process-wide OpenBLAS setting), so OpenBLAS's pool never competes
// with our threads.
int configure_cpu_threads() {
  const int n = cpu_backend_threads();
  openblas_set_num_threads(1);
  return n;
}

}  // namespace

int cpu_backend_threads() {
  int n = static_cast<int>(std::thread::hardware_concurrency());
  const char* env = std::getenv("SENTI_CPU_THREADS");
  if (env && *env) {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(env, &end, 10);
    if (*end != '\0' || errno == ERANGE || v < 1 || v > kMaxCpuThreads)
      SENTI_FAIL("SENTI_CPU_THREADS must be an integer in 1..", kMaxCpuThreads, ", got '", env,
                 "'");
    n = static_cast<int>(v);
  }
  return n > 0 ? n : 1;
}

namespace {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const BackendOptions& opts)
      : Backend(opts),
        layout_(opts.model),
        threads_(configure_cpu_threads()),
        lstm_(opts.model, opts.max_batch, opts.maxlen, threads_),
        grads_(layout_.total()),
        logits_(opts.model.language_model() ? 0 : static_cast<size_t>(opts.max_batch) * opts.model.outputs()),
        dlogits_(opts.model.language_model() ? 0 : static_cast<size_t>(opts.max_batch) * opts.model.outputs()) {
    validate_optimizer_config(opts.optimizer);
    validate_model_config(opts.model);
    if (opts.model.language_model()) lm_ = std::make_unique<LmHeadCpu>(opts.model, threads_);
    state_ = init_train_state(opts.model, 0);  // a valid model until set_state() replaces it
  }

  std::string describe() const override {
    return "cpu (" + cpu::gemm_description() + ", " + std::to_string(threads_) +
           (threads_ == 1 ? " thread)" : " threads)");
  }

  HostBuffer alloc_host(size_t bytes) override {
    const size_t align = 64;
    const size_t rounded = (bytes + align - 1) / align * align;
    void* p = std::aligned_alloc(align, rounded == 0 ? align : rounded);
    SENTI_CHECK(p != nullptr, "out of host memory allocating ", bytes, " bytes");
    return HostBuffer(p, [](void* q) { std::free(q); });
  }

  void set_state(const TrainState& s) override {
    const size_t n = layout_.total();
    SENTI_CHECK(s.params.size() == n && s.m.size() == n && s.v.size() == n,
                "state sizes (", s.params.size(), ", ", s.m.size(), ", ", s.v.size(),
                ") do not match the model's ", n, " parameters");
    SENTI_CHECK(s.step >= 0, "negative optimizer step ", s.step);
    state_ = s;
  }

  TrainState get_state() override { return state_; }

  void train_step(const Batch& batch) override {
    // The per-position embedding norm costs a (positions, 4H) x (4H, E) product: only for the
    // sparse rule, which reads it.
    const bool sparse = opts_.optimizer.embedding_clip_norm == EmbeddingClipNorm::Sparse;
    double position_sumsq = 0;
    gradients(batch, grads_.data(), sparse ? &position_sumsq : nullptr);
    if (Collective* world = opts_.collective.get(); world && world->distributed()) {
      // The global batch's gradient: each rank's share is already divided by the global row count.
      // The sparse embedding norm's per-position slices each belong to one rank: their sums add.
      world->allreduce_sum(grads_.data(), grads_.size());
      if (sparse) world->allreduce_sum(&position_sumsq, 1);
    }
    TensorSums sums = grad_sums_of_squares(layout_, grads_.data());
    if (sparse) sums[static_cast<int>(ParamId::Embedding)] = position_sumsq;  // TF's IndexedSlices
    apply_clipped_adam(layout_, opts_.optimizer, grads_.data(), &state_, threads_, &sums, &clip_);
    has_clip_ = true;
  }

  bool last_gradient_stats(GradientStats* out) override {
    if (!has_clip_) return false;
    out->count = layout_.count();
    for (int i = 0; i < layout_.count(); ++i) {
      out->norm[i] = std::sqrt(clip_.sums_of_squares[i]);
      out->clip_scale[i] = clip_.scales[i];
    }
    return true;
  }

  void eval_step(const Batch& batch, float* probs) override {
    validate_batch(batch, opts_);
    if (lm_) {  // the full softmax over the vocabulary: exact loss and perplexity
      SENTI_CHECK(probs == nullptr, "a language model has no class probabilities");
      lstm_.forward_states(params(), batch, /*dropout=*/nullptr);
      accumulate_lm_metrics(lm_->evaluate(lstm_, params()));
      return;
    }
    lstm_.forward(params(), batch, /*dropout=*/nullptr, logits_.data());
    add_ngram_logits(batch);
    // Evaluation's loss is unweighted (Keras applies class_weight to training only).
    accumulate_metrics(batch, head_loss(opts_.model, logits_.data(), batch.batch, batch.labels,
                                        nullptr, nullptr, probs));
  }

  Metrics take_metrics() override {
    Metrics m = metrics_;
    metrics_ = Metrics{};
    return m;
  }

  double loss_and_gradients(const Batch& batch, float* grads) override {
    return gradients(batch, grads, nullptr);
  }

 private:
  // Training-mode forward (dropout masks keyed by the seed and the step about to be taken) and
  // backward; the mean loss. position_sumsq: the sparse embedding norm's sum, when wanted.
  double gradients(const Batch& batch, float* grads, double* position_sumsq) {
    validate_batch(batch, opts_);
    const int B = batch.batch;
    if (B == 0) {  // a data-parallel rank with no rows in this step: nothing to add to the sum
      std::fill(grads, grads + layout_.total(), 0.f);
      if (position_sumsq) *position_sumsq = 0;
      return 0;
    }
    const LstmCpu::DropoutKey key{opts_.seed, static_cast<uint64_t>(state_.step),
                                  static_cast<uint64_t>(batch.row_offset)};
    if (lm_) {  // the language model (engine/cpu/lm_head_cpu.h): its own head and its own rows
      lstm_.forward_states(params(), batch, &key);
      const ParamViews<float> g = make_views(grads, layout_);
      const LmSums sums = lm_->train(lstm_, params(), opts_.seed, static_cast<uint64_t>(state_.step),
                                     batch.mean_rows(), g);
      accumulate_lm_metrics(sums);
      lstm_.backward_lm(params(), lm_->dstates(), g, position_sumsq);
      return sums.objective;
    }
    lstm_.forward(params(), batch, &key, logits_.data());
    add_ngram_logits(batch);
    // The head's loss and dL/dlogits of the (global) batch mean (engine/cpu/head_cpu.h).
    const HeadSums sums = head_loss(opts_.model, logits_.data(), B, batch.labels, class_weights(),
                                    dlogits_.data(), nullptr, batch.mean_rows());
    accumulate_metrics(batch, sums);
    const ParamViews<float> g = make_views(grads, layout_);
    lstm_.backward(params(), dlogits_.data(), g, position_sumsq);
    const int O = opts_.model.outputs();
    if (opts_.model.ngrams > 0)
      ngrams_.gradient(dlogits_.data(), O, opts_.model.ngram_width(),
                       g.dense_kernel + static_cast<int64_t>(opts_.model.features()) * O);
    return sums.loss_sum / batch.mean_rows();
  }

  // The n-gram part of the logits (engine/cpu/ngram_cpu.h), after the LSTM's.
  void add_ngram_logits(const Batch& batch) {
    if (opts_.model.ngrams == 0) return;
    ngrams_.compute(batch, opts_.model);
    const int O = opts_.model.outputs();
    ngrams_.add_logits(params().dense_kernel + static_cast<int64_t>(opts_.model.features()) * O, O,
                       logits_.data());
  }

  ParamViews<const float> params() const {
    return make_views(static_cast<const float*>(state_.params.data()), layout_);
  }

  // Adds the batch's loss and accuracy to the running metrics.
  void accumulate_metrics(const Batch& batch, const HeadSums& sums) {
    metrics_.loss_sum += sums.loss_sum;
    metrics_.correct += sums.correct;
    metrics_.count += batch.batch;
  }

  // A language model's metrics count predicted tokens, not rows (engine/cpu/lm_head_cpu.h).
  void accumulate_lm_metrics(const LmSums& sums) {
    metrics_.loss_sum += sums.loss_sum;
    metrics_.correct += sums.correct;
    metrics_.count += sums.tokens;
  }

  const float* class_weights() const {
    return opts_.class_weights.empty() ? nullptr : opts_.class_weights.data();
  }

  ParamLayout layout_;
  int threads_;
  LstmCpu lstm_;
  NgramFeatures ngrams_;        // the last forward's n-gram features (ngrams > 0)
  std::unique_ptr<LmHeadCpu> lm_;  // the language model's head (ModelConfig::language_model())
  TrainState state_;
  Metrics metrics_;
  std::vector<float> grads_;    // ParamLayout, the last step's gradient
  ClipReport clip_;             // the last train_step's gradient norms and clip factors
  bool has_clip_ = false;
  std::vector<float> logits_;   // (max_batch, O)
  std::vector<float> dlogits_;  // (max_batch, O)
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const BackendOptions& opts) {
  return std::make_unique<CpuBackend>(opts);
}

}  // namespace senti
