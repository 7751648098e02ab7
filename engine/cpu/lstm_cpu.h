#pragma once
// Embedding -> LSTM (optionally masked, optionally bidirectional) -> pooling -> Dense(1) on the
// CPU: forward to logits and full backpropagation through time, with every buffer preallocated for
// max_batch x maxlen. Semantics: docs/model.md ("Variable-length sequences").
//
// Layout: packed (engine/cpu/packed_sequences.h). One row per token the LSTM reads — with a mask
// only the real tokens, each sample stopping at its length; without one all T positions — sorted
// by length into groups of ~16 samples, so the members still running at a step are a prefix of
// their group and each step's recurrent GEMM is one contiguous block. The work is proportional to
// the real tokens. The backward direction of a BiLSTM uses the same rows in its own reading order
// (step s of a sample reads its real token len-1-s).
//
// Slots: the input projection depends only on the LSTM's input vector, so forward projects each
// distinct input once, P (U, 4H) = X · W (+ bias), and each row reads its slot's row of P. Without
// dropout a slot is a distinct token id (U << N for text); with spatial dropout a distinct
// (sample, id) pair; with element dropout every row is its own slot. Backward uses the identity
// the other way: with S (U, 4H) the dZ rows summed per slot (pairwise, engine/cpu/cascade_sum.h),
// dW = X^T · S and the
// slots' input gradients are S · W^T, scattered to the embedding rows (times the dropout mask).
//
// Training's GEMMs go through cpu::gemm (engine/cpu/small_gemm.h: libxsmm's JIT kernels or
// OpenBLAS), evaluation's through the batch-invariant
// cpu::gemm_rows (engine/cpu/row_gemm.h); the per-element cell is engine/cpu/lstm_cpu_kernels.h.
// Forward keeps tanh(c_t) so backward needs no transcendental function. All reductions run in a
// fixed order, so results are bit-identical run to run.
//
// Threads: each phase is cut into chunks whose boundaries do not depend on the thread count — the
// input projection and the embedding gradient by slot rows, the recurrence by (group, direction),
// S, dW, dR and db by (gate columns, direction), the sparse embedding norm by rows — and the chunks
// are shared among `threads` threads. Chunks never write the same memory and each is computed by
// the same calls whatever the thread count, so results are bit-identical for any thread count.
// OpenBLAS is expected to run single-threaded inside the chunks.
#include <cstdint>
#include <vector>

#include "engine/batch.h"
#include "engine/cpu/packed_sequences.h"
#include "engine/model_config.h"
#include "engine/params.h"

namespace senti {

class LstmCpu {
 public:
  // Work chunks, fixed independently of the thread count so results are too (see run_chunks).
  // Large enough that the GEMMs stay efficient and re-read little; at the seed shape (B 32, 4H
  // 256) the recurrence and the gate-column phases have an even number of chunks, so two threads
  // split them evenly. Measured best of the sizes tried. They set the GEMM shapes, which
  // `senti bench --peak` (engine/cpu/peak.cpp) measures.
  static constexpr int kSlotRowsPerChunk = 512;     // input projection, embedding gradient: slots
  static constexpr int kSamplesPerGroup = 16;       // recurrence: samples walked through time together
  static constexpr int kGateColumnsPerChunk = 128;  // S, dW, dR, db: output columns of the 4H
  static constexpr int kNormRowsPerChunk = 256;     // sparse embedding norm: rows
  static constexpr int kRowsPerGemmBlock = 256;     // dR: rows per GEMM, the blocks summed pairwise

  // threads: how many threads share the work of each phase (>= 1).
  LstmCpu(const ModelConfig& cfg, int max_batch, int maxlen, int threads);

  // The key of the training-mode dropout masks (docs/model.md, "Dropout").
  struct DropoutKey {
    uint64_t seed = 0;  // the run's seed
    uint64_t step = 0;  // the optimizer step this batch trains
    uint64_t first_row = 0;  // the global row of the batch's row 0 (Batch::row_offset)
  };

  // Runs the model on the batch; writes the (B, O) logits (before the head). Keeps the activations
  // for backward(). dropout: null = evaluation (no dropout), else training-mode masks from the
  // key. Throws if an id is outside [0, V) or the shape exceeds the maxima. Evaluation is batch
  // invariant: its GEMMs are cpu::gemm_rows (engine/cpu/row_gemm.h), so a sample's logit is the
  // same bits whatever the batch, its position in it, its neighbours or the thread count;
  // training's GEMMs go through OpenBLAS (faster, batch-dependent in the last bits).
  void forward(const ParamViews<const float>& p, const Batch& batch, const DropoutKey* dropout,
               float* logits);

  // Backpropagates dL/dlogits (B, O) through the last forward(); overwrites every tensor of `g`
  // (ParamLayout views) with the gradient. The embedding gradient is dense (V, E): each slot's
  // input gradient summed into its id's row (without a mask padding id 0 included). When
  // position_sumsq is not null it receives Σ_p |g_p|² over the positions read (the sparse
  // embedding clip-norm rule: g_p = the gradient at position p of the embedding output).
  void backward(const ParamViews<const float>& p, const float* dlogits, const ParamViews<float>& g,
                double* position_sumsq);

  // Tokens the LSTM read in the last forward(): Σ lengths with a mask, B·T without.
  int64_t last_rows() const { return seq_.rows; }

  // The language model (ModelConfig::language_model(), engine/cpu/lm_head_cpu.h): forward_states
  // runs embedding -> LSTM and keeps the activations; each direction d's packed row r (layout
  // packed(), reading order of d) then holds its state h_{s-1} before the step, states(d) (N, H),
  // and reads token row_token(d, r), the token that state predicts. Rows at step 0 start from the
  // zero state and predict nothing. backward_lm takes dL/dstates (N, H) per direction (null for a
  // direction without gradient) and overwrites g's embedding and LSTM tensors, as backward().
  void forward_states(const ParamViews<const float>& p, const Batch& batch, const DropoutKey* dropout);
  const cpu::PackedSequences& packed() const { return seq_; }
  const float* states(int d) const { return dir_[d].hprev.data(); }
  int32_t row_token(int d, int64_t r) const { return uid_[dir_[d].slot[static_cast<size_t>(r)]]; }
  void backward_lm(const ParamViews<const float>& p, const float* const dstates[2],
                   const ParamViews<float>& g, double* position_sumsq);

 private:
  struct Direction {  // one LSTM direction's activations, in packed rows or member order
    std::vector<int32_t> slot;     // (N) row -> slot
    std::vector<int32_t> slot_first, slot_rows;  // (U + 1), (N): each slot's rows (backward)
    std::vector<float> pu;         // (U, 4H) X · W + bias; in backward S, the dZ sums per slot
    std::vector<float> gates;      // (N, 4H) h_{s-1}·R -> activated gates -> dZ in backward
    std::vector<float> hprev;      // (N, H) the state each row starts from (0 at step 0)
    std::vector<float> cprev;      // (N, H)
    std::vector<float> tc;         // (N, H) tanh(c) after each row's step
    std::vector<float> hlast, clast;  // (B, H) member order: the state after the last token
    std::vector<float> pmax;       // (B, H) max pooling, member order
    std::vector<int32_t> parg;     // (B, H) the step that attained it
    std::vector<double> psum;      // (B, H) mean pooling's sum
    std::vector<float> dh, dc;     // (B, H) member order, while walking back
    std::vector<float> dlast, dmax, dmean;  // (B, H) the pooled outputs' gradients
    std::vector<double> dbias;     // (4H)
    std::vector<float> rt, wt;     // R^T (4H, H), W^T (4H, E)
  };

  void build_slots(const Batch& batch);
  void project(const ParamViews<const float>& p);
  void recurrence_forward(int g, int d, const float* R);
  void recurrence_backward(int g, int d);
  // Backward from the LSTM outputs' gradients (dlast/dmax/dmean, lm_dstates_) to every tensor.
  void backward_states(const ParamViews<const float>& p, const ParamViews<float>& g,
                       double* position_sumsq);
  double position_sum_of_squares();

  ModelConfig cfg_;
  int max_batch_, maxlen_, threads_, D_, F_;
  bool need_last_, need_max_, need_mean_;
  int B_ = 0, T_ = 0;  // shape of the last forward()
  const float* lm_dstates_[2] = {nullptr, nullptr};  // backward_lm's dL/dstates, per direction
  DropoutKey key_;
  bool drop_embedding_ = false, drop_dense_ = false;  // masks drawn in the last forward()
  bool row_invariant_ = false;  // the last forward() was an evaluation: gemm_rows, not OpenBLAS

  cpu::PackedSequences seq_;
  std::vector<int32_t> slot_of_id_;  // (V) a slot of the id under construction, else -1
  std::vector<int32_t> uid_;         // (U) the slot's token id
  std::vector<int32_t> ucount_;      // (U) rows that read the slot
  std::vector<float> xu_;            // (U, E) the slot's LSTM input (embedding row x mask)
  std::vector<float> umask_;         // (U, E) the slot's dropout factors (with dropout)
  std::vector<float> dxu_;           // (U, E) the slots' input gradients
  int U_ = 0;
  Direction dir_[2];
  std::vector<float> feat_;   // (B, F) classifier input, sample order, after dense dropout
  std::vector<float> fmask_;  // (B, F) dense dropout factors
  std::vector<float> scratch_;  // per thread: sparse-norm gathers
  std::vector<float> dr_scratch_;  // per gate chunk: dR's GEMM block and cascade levels
  size_t dr_scratch_per_chunk_ = 0;
};

}  // namespace senti
