#pragma once
// Embedding -> LSTM (final hidden state, no mask) -> Dense(1) on the CPU: forward to logits and
// full backpropagation through time, with every buffer preallocated for max_batch x maxlen.
//
// Layout is time-major: row r = t*B + b of every (T·B, ·) buffer is sample b at step t. That makes
// each step's recurrent GEMM a contiguous (B, ·) block and dR one GEMM over all steps.
//
// Distinct ids: a batch holds U distinct ids (U <= V, and U << T·B for padded text), and the input
// projection only depends on the id, so forward projects each distinct id once, P (U, 4H) =
// Emb[ids] · W (+ bias), and each step reads its rows of P. Backward uses the same identity the
// other way: with S (U, 4H) the dZ rows summed per id (in row order), dW = Emb[ids]^T · S and the
// embedding gradient rows are S · W^T. Exact algebra; only the order of float sums changes.
//
// GEMMs go through OpenBLAS (cblas_sgemm). The per-element LSTM cell runs over whole rows with the
// branch-free exp/sigmoid/tanh of engine/cpu/vec_math.h (same formulas as kernels/common/math/lstm_cell.h,
// which the CUDA kernels use), compiled in target clones (AVX-512, AVX2+FMA, x86-64) picked at
// load time. Forward keeps tanh(c_t) so backward needs no transcendental function. All reductions
// run in a fixed order, so results are bit-identical run to run.
//
// Threads: each phase is cut into chunks whose boundaries do not depend on the thread count — the
// input projection by distinct-id rows, the recurrence by samples (each sample's recurrence is
// independent), S, dW, dR and db by gate columns and the embedding gradient by distinct-id rows
// (each element still summed over all rows in row order) — and the chunks are shared among
// `threads` threads. Chunks never write the same memory and each is computed by the same calls
// whatever the thread count, so results are bit-identical for any thread count. OpenBLAS is
// expected to run single-threaded inside the chunks.
#include <cstdint>
#include <vector>

#include "engine/model_config.h"
#include "engine/params.h"

namespace senti {

class LstmCpu {
 public:
  // threads: how many threads share the work of each phase (>= 1).
  LstmCpu(const ModelConfig& cfg, int max_batch, int maxlen, int threads);

  // Runs the model on ids (B, T) row-major; writes the B logits (before the sigmoid). Keeps the
  // activations for backward(). Throws if an id is outside [0, V) or B, T exceed the maxima.
  void forward(const ParamViews<const float>& p, const int32_t* ids, int B, int T, float* logits);

  // Backpropagates dL/dlogit (B) through the last forward(); overwrites every tensor of `g`
  // (ParamLayout views) with the gradient. The embedding gradient is dense (V, E): each id's rows
  // summed, padding id 0 included (no mask_zero, as in the seed model).
  void backward(const ParamViews<const float>& p, const float* dlogits, const ParamViews<float>& g);

 private:
  ModelConfig cfg_;
  int max_batch_, maxlen_, threads_;
  int B_ = 0, T_ = 0;  // shape of the last forward()

  std::vector<int32_t> slot_of_id_;  // (V) index into uids_ of an id in the last batch, else -1
  std::vector<int32_t> uids_;        // (U) the batch's distinct ids, in order of first appearance
  std::vector<int32_t> slot_;        // (T·B) time-major: row r's index into uids_
  std::vector<float> xu_;            // (U, E) embeddings of the distinct ids
  std::vector<float> pu_;            // (U, 4H) xu_ · W + bias; in backward S, the dZ sums per id
  std::vector<float> gates_;  // (T·B, 4H) h_{t-1}·R -> activated gates -> dZ in backward
  std::vector<float> h_;      // ((T+1)·B, H) hidden states; rows [0, B) are h_0 = 0
  std::vector<float> c_;      // ((T+1)·B, H) cell states; rows [0, B) are c_0 = 0
  std::vector<float> tc_;     // (T·B, H) tanh(c_t), t = 1..T
  std::vector<float> dxu_;    // (U, E) embedding gradient rows of the distinct ids
  std::vector<float> dh_;     // (B, H) dL/dh_t while walking back
  std::vector<float> dc_;     // (B, H) dL/dc_t while walking back
  std::vector<double> dbias_;  // (4H) bias gradient accumulated in double
  std::vector<float> rt_;      // (4H, H) R^T
  std::vector<float> wt_;      // (4H, E) W^T
  int U_ = 0;                  // distinct ids of the last forward()
};

}  // namespace senti
