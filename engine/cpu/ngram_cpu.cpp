#include "engine/cpu/ngram_cpu.h"

#include <algorithm>
#include <cstring>

#include "kernels/common/error.h"
#include "kernels/common/math/ngram.h"

namespace senti {

void NgramFeatures::compute(const Batch& batch, const ModelConfig& cfg) {
  SENTI_CHECK(cfg.ngrams >= 1 && cfg.ngrams <= math::kMaxNgram, "n-gram features need ngrams in 1..",
              math::kMaxNgram, ", got ", cfg.ngrams);
  const int B = batch.batch, T = batch.maxlen;
  offsets_.assign(1, 0);
  features_.clear();
  for (int b = 0; b < B; ++b) {
    const int32_t* row = batch.ids + static_cast<size_t>(b) * T;
    const size_t first = features_.size();
    for (int n = 1; n <= cfg.ngrams; ++n)
      for (int t = 0; t + n <= T; ++t) {
        const int32_t f = math::ngram_feature(row, T, t, n, cfg.vocab_size, cfg.ngram_buckets);
        if (f >= 0) features_.push_back(f);
      }
    std::sort(features_.begin() + static_cast<std::ptrdiff_t>(first), features_.end());
    features_.erase(std::unique(features_.begin() + static_cast<std::ptrdiff_t>(first), features_.end()),
                    features_.end());
    offsets_.push_back(static_cast<int64_t>(features_.size()));
  }
}

void NgramFeatures::add_logits(const float* w, int O, float* logits) const {
  for (int b = 0; b < rows(); ++b)
    for (int o = 0; o < O; ++o) {
      float s = 0.f;
      for (const int32_t* f = begin(b); f != end(b); ++f) s += w[static_cast<int64_t>(*f) * O + o];
      logits[static_cast<int64_t>(b) * O + o] += s;
    }
}

void NgramFeatures::gradient(const float* dlogits, int O, int64_t W, float* dw) const {
  std::memset(dw, 0, static_cast<size_t>(W) * static_cast<size_t>(O) * sizeof(float));
  for (int b = 0; b < rows(); ++b)
    for (const int32_t* f = begin(b); f != end(b); ++f)
      for (int o = 0; o < O; ++o)
        dw[static_cast<int64_t>(*f) * O + o] += dlogits[static_cast<int64_t>(b) * O + o];
}

}  // namespace senti
