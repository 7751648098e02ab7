#pragma once
// The n-gram part of the model on the device (docs/model.md, "N-gram features"; the rule is
// kernels/common/math/ngram.h, the CPU twin engine/cpu/ngram_cpu.h):
//
//   S_b       row b's features: its 1..N-gram features, each once, ascending
//   logit_bo  = Σ_{f ∈ S_b} w[f, o]        (B, O): dense_bce / dense_softmax_ce add it to z_bo
//   dw[f, o]  = Σ_{b : f ∈ S_b} dz_bo      summed over the rows in batch order, 0 where no row has f
//   w, dw (W, O) row-major: the n-gram rows of the dense kernel; O = 1 (sigmoid head) or K
//
// ngram_collect (one block per row: candidates -> bitonic sort -> unique), ngram_logits, and
// ngram_gradient. The gradient has no float atomics: the (feature, row) pairs of all rows are
// radix-sorted by feature (stable, so each feature's rows stay in batch order; kernels/libs/
// sort_pairs.h) and the first pair of each run adds dz over its run and stores the sum. The result
// is bit-reproducible and equal to the CPU twin's, which adds in the same order; the work is
// O(B · capacity) plus the sort. With O > 1 outputs the logits are a thread per (row, output),
// adding in the CPU's order, and the gradient's runs are summed by a block per 32 sorted pairs, its
// threads along the outputs (O = 1 keeps the kernels and the bits it always had).
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace senti::kernels {

// A batch's feature lists in a caller-owned workspace (ngram_workspace_ints(max B, max T, N)),
// each piece on a 256-byte boundary:
//   features  [B, capacity]  row b's sorted unique features first, then INT_MAX
//   scratch   [B, capacity]  collect's sort buffer; the gradient's pair keys after it
//   keys_out, rows_in, rows_out [B, capacity]  the gradient's (feature, row) pairs
//   counts    [B]            |S_b|
//   sort_temp                sort_pairs' scratch (sort_bytes)
struct NgramRows {
  int B = 0;
  int capacity = 0;  // ngram_row_capacity(T, N): a power of two >= N·T
  int32_t* features = nullptr;
  int32_t* scratch = nullptr;
  uint32_t* keys_out = nullptr;
  int32_t* rows_in = nullptr;
  int32_t* rows_out = nullptr;
  int32_t* counts = nullptr;
  void* sort_temp = nullptr;
  size_t sort_bytes = 0;
};

int ngram_row_capacity(int T, int ngrams);
size_t ngram_workspace_ints(int B, int T, int ngrams);
// Carves a workspace of ngram_workspace_ints(B, T, ngrams) ints for a batch of B rows of T ids.
NgramRows ngram_rows(int32_t* workspace, size_t workspace_ints, int B, int T, int ngrams);

// ids: device [B, T]. vocab = V (unigram features are the ids themselves, 0 < id < V),
// buckets = the hashed slots of the n >= 2 grams.
void ngram_collect(const int32_t* ids, int T, int ngrams, int vocab, int buckets,
                   const NgramRows& rows, cudaStream_t stream);
// logits: device [B, O], overwritten with Σ_{f ∈ S_b} w[f, o] (w: the (W, O) n-gram rows of the
// kernel; O = outputs).
void ngram_logits(const NgramRows& rows, const float* w, int outputs, float* logits,
                  cudaStream_t stream);
// dz: device [B, O] (dL/dlogit); dw: device [W, O], overwritten (zero where no row has a slot).
void ngram_gradient(const NgramRows& rows, const float* dz, int outputs, float* dw, int64_t W,
                    cudaStream_t stream);

}  // namespace senti::kernels
