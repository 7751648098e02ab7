#pragma once
// Embedding -> LSTM (final hidden state, no mask) -> Dense(1) on the CPU: forward to logits and
// full backpropagation through time, with every buffer preallocated for max_batch x max_steps.
//
// Layout is time-major: row r = t*B + b of every (T·B, ·) buffer is sample b at step t. That makes
// the input projection of all positions one GEMM, each step's recurrent GEMM a contiguous (B, ·)
// block, and the weight gradients dW, dR one GEMM each over all steps.
//
// GEMMs go through OpenBLAS (cblas_sgemm); the per-element work calls engine/math (the formulas the
// CUDA kernels share). All reductions run in a fixed order, so results are bit-identical run to run
// for a fixed OpenBLAS thread count.
//
// Threads: each phase is cut into chunks whose boundaries do not depend on the thread count —
// gather + input projection by rows, the recurrence by samples (each sample's recurrence is
// independent), the weight gradients and the embedding scatter by output columns (each element
// still summed over all rows in row order) — and the chunks are shared among `threads` threads.
// Chunks never write the same memory and each is computed by the same calls whatever the thread
// count, so results are bit-identical for any thread count. OpenBLAS is expected to run
// single-threaded inside the chunks.
#include <cstdint>
#include <vector>

#include "engine/model_config.h"
#include "engine/params.h"

namespace senti {

class LstmCpu {
 public:
  // threads: how many threads share the work of each phase (>= 1).
  LstmCpu(const ModelConfig& cfg, int max_batch, int max_steps, int threads);

  // Runs the model on ids (B, T) row-major; writes the B logits (before the sigmoid). Keeps the
  // activations for backward(). Throws if an id is outside [0, V) or B, T exceed the maxima.
  void forward(const ParamViews<const float>& p, const int32_t* ids, int B, int T, float* logits);

  // Backpropagates dL/dlogit (B) through the last forward(); overwrites every tensor of `g`
  // (ParamLayout views) with the gradient. The embedding gradient is dense (V, E): each id's rows
  // summed, padding id 0 included (no mask_zero, as in the seed model).
  void backward(const ParamViews<const float>& p, const float* dlogits, const ParamViews<float>& g);

 private:
  ModelConfig cfg_;
  int max_batch_, max_steps_, threads_;
  int B_ = 0, T_ = 0;  // shape of the last forward()

  std::vector<int32_t> ids_tm_;  // (T·B) ids, time-major
  std::vector<float> x_;         // (T·B, E) gathered embeddings
  std::vector<float> gates_;     // (T·B, 4H) pre-activations -> activated gates -> dZ in backward
  std::vector<float> h_;         // ((T+1)·B, H) hidden states; rows [0, B) are h_0 = 0
  std::vector<float> c_;         // ((T+1)·B, H) cell states; rows [0, B) are c_0 = 0
  std::vector<float> dx_;        // (T·B, E) gradient w.r.t. the gathered embeddings
  std::vector<float> dh_;        // (B, H) dL/dh_t while walking back
  std::vector<float> dc_;        // (B, H) dL/dc_t while walking back
  std::vector<double> dbias_;    // (4H) bias gradient accumulated in double
};

}  // namespace senti
