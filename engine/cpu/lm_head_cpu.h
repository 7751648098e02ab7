#pragma once
// The language model's head on the CPU (ModelConfig::language_model(); formulas in
// kernels/common/math/lm.h): the CPU backend's implementation and the CPU twin of the CUDA
// kernels kernels/lm_sampled_softmax and kernels/lm_full_softmax.
//
// Per direction d the LSTM's packed rows (engine/cpu/lstm_cpu.h) each hold a state X_r (H) and
// the token t_r that state predicts; rows at step 0 predict nothing. Shapes, per direction:
//   X       (N, H)   LstmCpu::states(d)
//   W       (H, V)   "dense/kernel", shared by both directions;  b (V) "dense/bias"
//   samples (S)      math::lm_sample_id(seed, step, k, V), shared by every row and direction
//   Z       (N, S+1) the target's logit, then the candidates', each minus log(S·Q(id))
// The training objective is each row's mean over its predicted tokens, averaged over the
// directions and the (global) batch's rows; Metrics count tokens: loss_sum is Σ token losses,
// correct the tokens whose target beats every candidate (training) or every word (evaluation).
#include <cstdint>
#include <vector>

#include "engine/batch.h"
#include "engine/cpu/lstm_cpu.h"
#include "engine/model_config.h"
#include "engine/params.h"

namespace senti {

struct LmSums {
  double loss_sum = 0;     // Σ over predicted tokens of the token's loss (unweighted)
  int64_t correct = 0;     // tokens predicted right
  int64_t tokens = 0;      // predicted tokens
  double objective = 0;    // training: the weighted loss the gradient is of
};

class LmHeadCpu {
 public:
  static constexpr int kRowsPerChunk = 256;      // Z, dX: rows per chunk
  static constexpr int kColumnsPerChunk = 64;    // dW of the candidates: columns per chunk
  static constexpr int kEvalRowsPerChunk = 64;   // the full softmax: rows per chunk

  LmHeadCpu(const ModelConfig& cfg, int threads);

  // Sampled softmax over the last LstmCpu::forward_states: the loss of the optimizer step `step`
  // (its candidates), dL/dstates per direction (dstates()), and the dense kernel and bias
  // gradients written to g.dense_kernel / g.dense_bias. mean_rows: Batch::mean_rows().
  LmSums train(const LstmCpu& lstm, const ParamViews<const float>& p, uint64_t seed, uint64_t step,
               int mean_rows, const ParamViews<float>& g);
  const float* const* dstates() const { return dstate_ptr_; }

  // The full softmax over all V ids (no gradient).
  LmSums evaluate(const LstmCpu& lstm, const ParamViews<const float>& p);

 private:
  void build_rows(const LstmCpu& lstm, int mean_rows);

  ModelConfig cfg_;
  int threads_;
  std::vector<int32_t> step_of_row_;   // (N) the row's step (0: predicts nothing)
  std::vector<float> weight_;          // (N) 1 / ((len-1) · D · mean_rows), 0 at step 0
  std::vector<int32_t> samples_;       // (S)
  std::vector<float> sample_bias_;     // (S) b[id] - log(S·Q(id))
  std::vector<float> ws_, wst_;        // (H, S) the candidates' columns of W; (S, H) transposed
  std::vector<float> wt_, dwt_;        // (V, H) W transposed and its gradient
  std::vector<double> db_;             // (V)
  std::vector<float> z_;               // (N, S+1) logits, then dL/dZ
  std::vector<float> dws_;             // (H, S)
  std::vector<double> dbs_;            // (S)
  std::vector<float> dstate_[2];       // (N, H)
  const float* dstate_ptr_[2] = {nullptr, nullptr};
  std::vector<float> eval_logits_;     // (threads, kEvalRowsPerChunk, V)
};

}  // namespace senti
