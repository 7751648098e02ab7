#pragma once
// The n-gram part of the model on the CPU (docs/model.md, "N-gram features"): each row's multi-hot
// feature set (kernels/common/math/ngram.h) and the W dense-kernel rows that read it. The CPU
// backend's implementation and the CPU twin of the CUDA kernels (kernels/ngram_features.cuh).
//
//   w       (W, O)  the n-gram rows of the dense kernel (dense_kernel + F·O); O outputs
//   logit_bo += Σ_{f ∈ S_b} w[f, o]           S_b: row b's features, each once, ascending
//   dw[f, o]  = Σ_{b : f ∈ S_b} dlogit_bo     summed over the rows in batch order
#include <cstdint>
#include <vector>

#include "engine/batch.h"
#include "engine/model_config.h"

namespace senti {

class NgramFeatures {
 public:
  // Collects the features of every row of the batch (cfg.ngrams >= 1).
  void compute(const Batch& batch, const ModelConfig& cfg);

  int rows() const { return static_cast<int>(offsets_.size()) - 1; }
  // Row b's features, sorted ascending and unique: [begin(b), end(b)).
  const int32_t* begin(int b) const { return features_.data() + offsets_[b]; }
  const int32_t* end(int b) const { return features_.data() + offsets_[b + 1]; }

  // logits[b, o] += Σ_{f ∈ S_b} w[f, o], the features taken in ascending order; logits (B, O).
  void add_logits(const float* w, int O, float* logits) const;
  // Overwrites dw (W, O) with the gradient of the n-gram rows; dlogits (B, O).
  void gradient(const float* dlogits, int O, int64_t W, float* dw) const;

 private:
  std::vector<int64_t> offsets_;   // (B+1)
  std::vector<int32_t> features_;  // every row's features, row after row
};

}  // namespace senti
