#pragma once
// The language-model head of `senti pretrain` (docs/model.md, "Pretraining: a language model"):
// each LSTM direction predicts the next token of its own reading order (the forward direction the
// next word, the backward one the previous word) from its state, through one Dense(V) layer shared
// by both directions ("dense/kernel" (H, V), "dense/bias" (V)).
//
// Training uses a sampled softmax (Jean et al. 2015; TensorFlow's sampled_softmax_loss): per step
// S candidate ids are drawn once, shared by every position of the (global) batch and by both
// directions, from the log-uniform (Zipf) distribution over ids [1, V) — Keras ids rank words by
// frequency, so it approximates the unigram distribution. Each position's logits are its target's
// and the S candidates', each minus log(S·Q(id)) (the expected count of the id among the samples),
// a candidate equal to the target removed ("accidental hit"); the loss is the cross-entropy of the
// target over them. Evaluation computes the full softmax over all V ids (exact perplexity).
//
// These are the per-element definitions both backends call (CPU: engine/cpu/lm_head_cpu.h, CUDA:
// kernels/lm_sampled_softmax), so they draw the same candidates and round the same way.
#include <math.h>

#include <cstdint>

#include "kernels/common/math/dropout.h"
#include "kernels/common/math/hd.h"

namespace senti::math {

// The candidates' key stream (beside the dropout streams of dropout.h).
constexpr uint32_t kLmSampleStream = 3;

// A logit that stands for "removed" (an accidental hit): exp of it minus any real logit is 0.
constexpr float kLmRemovedLogit = -1e30f;

// Candidate k (< S) of the optimizer step `step`: log-uniform over [1, V), Q(id) = ln((id+1)/id)
// / ln V, drawn as floor(V^u) for a uniform u in [0, 1) from the key (seed, step, k).
SENTI_HD int32_t lm_sample_id(uint64_t seed, uint64_t step, uint32_t k, int32_t V) {
  const uint64_t h = dropout_mix(dropout_row_key(seed, step, kLmSampleStream, 0) ^ k);
  const double u = static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);  // 53 bits: [0, 1)
  const int32_t id = static_cast<int32_t>(exp(u * log(static_cast<double>(V))));
  return id < 1 ? 1 : (id > V - 1 ? V - 1 : id);
}

// log(S · Q(id)): what a candidate's (and the target's) logit is corrected by. id in [1, V); the
// padding id 0 is never a target or a candidate.
SENTI_HD float lm_log_expected_count(int32_t id, int32_t V, int32_t S) {
  const double q = log1p(1.0 / static_cast<double>(id)) / log(static_cast<double>(V));
  return static_cast<float>(log(static_cast<double>(S) * q));
}

// The cross-entropy of candidate 0 (the target) over z[0..n) (removed ones at kLmRemovedLogit):
// returns the loss and, when dz is not null, writes weight · (softmax(z) - onehot(0)) to dz (which
// may be z itself). In
// float with a double sum, one element at a time, so a thread per row on the GPU rounds as the CPU.
SENTI_HD float lm_softmax_ce(const float* z, int n, float weight, float* dz) {
  float zmax = z[0];
  for (int k = 1; k < n; ++k) zmax = z[k] > zmax ? z[k] : zmax;
  double sum = 0;
  for (int k = 0; k < n; ++k) sum += static_cast<double>(expf(z[k] - zmax));
  const float loss = zmax + static_cast<float>(log(sum)) - z[0];  // before dz, which may be z
  if (dz)
    for (int k = 0; k < n; ++k)
      dz[k] = weight * (static_cast<float>(static_cast<double>(expf(z[k] - zmax)) / sum) - (k == 0 ? 1.f : 0.f));
  return loss;
}

// True when the target beats every candidate (the "sampled accuracy" of training's metrics).
SENTI_HD bool lm_target_wins(const float* z, int n) {
  for (int k = 1; k < n; ++k)
    if (z[k] >= z[0]) return false;
  return true;
}

}  // namespace senti::math
