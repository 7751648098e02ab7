#pragma once
// An independent, naive double-precision model of every ModelConfig option, written from the text
// of docs/model.md ("Variable-length sequences") and Keras's literal semantics: it walks all T
// positions and *skips* masked ones (the state is carried), runs the backward direction over the
// reversed row, pools over the unmasked outputs, and adds the n-gram rows of the dense kernel for
// the row's set of 1..N-grams (docs/model.md, "N-gram features"), collected here with a std::set.
// It shares nothing with engine/cpu but the dropout mask function (the masks are an RNG, not math
// under test) and math::ngram_hash (pinned to hand-computed values in tests/cpu/ngram_test.cpp).
#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "engine/batch.h"
#include "engine/model_config.h"
#include "engine/params.h"
#include "kernels/common/math/dropout.h"
#include "kernels/common/math/ngram.h"

namespace senti::ref {

struct Case {
  ModelConfig cfg;
  int B = 0, T = 0;
  PadSide padding = PadSide::Post;
  std::vector<int32_t> ids, lengths;
  std::vector<float> labels;
  bool train = false;  // apply training-mode dropout with (seed, step)
  uint64_t seed = 0, step = 0;
  Batch batch() const { return Batch{ids.data(), labels.data(), lengths.data(), B, T, padding}; }
};

inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Row b's n-gram features (empty when the model has none): every run of n = 1..N consecutive
// non-zero ids, a unigram as its id, a longer one as V + hash % buckets; a set, so each once.
inline std::set<int64_t> ngram_set(const Case& c, int b) {
  std::set<int64_t> s;
  const int32_t* row = &c.ids[static_cast<size_t>(b) * c.T];
  for (int n = 1; n <= c.cfg.ngrams; ++n)
    for (int t = 0; t + n <= c.T; ++t) {
      bool real = true;
      for (int i = 0; i < n; ++i) real = real && row[t + i] != 0;
      if (!real) continue;
      s.insert(n == 1 ? row[t]
                      : c.cfg.vocab_size + static_cast<int64_t>(math::ngram_hash(n, row + t) %
                                                                static_cast<uint32_t>(c.cfg.ngram_buckets)));
    }
  return s;
}

// Logits of every row. e_delta (B·T·E, optional) is added to the embedding output at each position
// before dropout, for the per-position gradient dL/d(embedding output).
inline std::vector<double> logits(const Case& c, const std::vector<double>& theta,
                                  const std::vector<double>* e_delta = nullptr) {
  const ModelConfig& m = c.cfg;
  const ParamLayout L(m);
  const int E = m.embed_dim, H = m.hidden, G = 4 * H, D = m.directions(), T = c.T;
  auto at = [&](ParamId id) { return &theta[L[id].offset]; };
  const double* emb = at(ParamId::Embedding);
  const double* dk = at(ParamId::DenseKernel);
  const double db = *at(ParamId::DenseBias);
  const uint32_t thr = math::dropout_threshold(m.dropout);
  const float keep = math::dropout_keep_scale(m.dropout);
  std::vector<double> out(c.B);
  for (int b = 0; b < c.B; ++b) {
    const int len = m.mask ? c.lengths[b] : T;
    const int first = m.mask && c.padding == PadSide::Pre ? T - len : 0;
    auto real = [&](int t) { return t >= first && t < first + len; };
    std::vector<std::vector<double>> x(T, std::vector<double>(E, 0.0));
    for (int t = 0; t < T; ++t) {
      if (!real(t)) continue;
      const int id = c.ids[b * T + t];
      for (int e = 0; e < E; ++e) {
        double v = emb[id * E + e];
        if (e_delta) v += (*e_delta)[(static_cast<size_t>(b) * T + t) * E + e];
        if (c.train && m.dropout > 0.f) {
          const uint64_t key =
              m.spatial_dropout
                  ? math::dropout_row_key(c.seed, c.step, math::kDropoutSpatial, b)
                  : math::dropout_row_key(c.seed, c.step, math::kDropoutEmbedding,
                                          (static_cast<uint64_t>(b) << 32) | (t - first));
          v *= math::dropout_factor(key, e, thr, keep);
        }
        x[t][e] = v;
      }
    }
    std::vector<double> last(D * H), mx(D * H), mean(D * H);
    for (int d = 0; d < D; ++d) {
      const double* W = at(d ? ParamId::KernelBack : ParamId::Kernel);
      const double* R = at(d ? ParamId::RecurrentKernelBack : ParamId::RecurrentKernel);
      const double* bias = at(d ? ParamId::BiasBack : ParamId::Bias);
      std::vector<double> h(H, 0.0), cs(H, 0.0), z(G);
      int steps = 0;
      for (int i = 0; i < T; ++i) {
        const int t = d == 0 ? i : T - 1 - i;
        if (!real(t)) continue;  // a masked step carries h and c
        for (int k = 0; k < G; ++k) {
          double s = bias[k];
          for (int e = 0; e < E; ++e) s += x[t][e] * W[e * G + k];
          for (int j = 0; j < H; ++j) s += h[j] * R[j * G + k];
          z[k] = s;
        }
        for (int j = 0; j < H; ++j) {
          const double ig = sigmoid(z[j]), fg = sigmoid(z[H + j]);
          const double gg = std::tanh(z[2 * H + j]), og = sigmoid(z[3 * H + j]);
          cs[j] = fg * cs[j] + ig * gg;
          h[j] = og * std::tanh(cs[j]);
          mx[d * H + j] = steps == 0 ? h[j] : std::max(mx[d * H + j], h[j]);
          mean[d * H + j] += h[j] / len;
        }
        ++steps;
      }
      for (int j = 0; j < H; ++j) last[d * H + j] = h[j];
    }
    std::vector<double> feat;
    auto add = [&](const std::vector<double>& v) { feat.insert(feat.end(), v.begin(), v.end()); };
    if (m.pool == Pool::Last || m.pool == Pool::Concat) add(last);
    if (m.pool == Pool::Max || m.pool == Pool::Concat) add(mx);
    if (m.pool == Pool::Mean || m.pool == Pool::Concat) add(mean);
    double s = db;
    const uint32_t dthr = math::dropout_threshold(m.dense_dropout);
    const float dkeep = math::dropout_keep_scale(m.dense_dropout);
    for (size_t f = 0; f < feat.size(); ++f) {
      double v = feat[f];
      if (c.train && m.dense_dropout > 0.f)
        v *= math::dropout_factor(math::dropout_row_key(c.seed, c.step, math::kDropoutDense, b),
                                  static_cast<uint32_t>(f), dthr, dkeep);
      s += v * dk[f];
    }
    for (int64_t f : ngram_set(c, b)) s += dk[feat.size() + f];  // the n-gram rows after the F
    out[b] = s;
  }
  return out;
}

// Mean binary cross-entropy over the batch.
inline double loss(const Case& c, const std::vector<double>& theta,
                   const std::vector<double>* e_delta = nullptr) {
  const std::vector<double> z = logits(c, theta, e_delta);
  double sum = 0;
  for (int b = 0; b < c.B; ++b) {
    const double p = sigmoid(z[b]);
    sum += -(c.labels[b] * std::log(p) + (1.0 - c.labels[b]) * std::log(1.0 - p));
  }
  return sum / c.B;
}

// dL/dtheta[k] by central differences of the double loss with step h (theta restored after).
inline double central_difference(const Case& c, std::vector<double>& theta, size_t k, double h) {
  const double saved = theta[k];
  theta[k] = saved + h;
  const double up = loss(c, theta);
  theta[k] = saved - h;
  const double down = loss(c, theta);
  theta[k] = saved;
  return (up - down) / (2 * h);
}

// Σ_p |dL/d(embedding output at p)|² over the positions the model reads, by central differences.
inline double position_sum_of_squares(const Case& c, const std::vector<double>& theta) {
  const int E = c.cfg.embed_dim;
  std::vector<double> delta(static_cast<size_t>(c.B) * c.T * E, 0.0);
  const double h = 1e-5;
  double sum = 0;
  for (int b = 0; b < c.B; ++b)
    for (int t = 0; t < c.T; ++t) {
      const int len = c.cfg.mask ? c.lengths[b] : c.T;
      const int first = c.cfg.mask && c.padding == PadSide::Pre ? c.T - len : 0;
      if (t < first || t >= first + len) continue;
      for (int e = 0; e < E; ++e) {
        double& d = delta[(static_cast<size_t>(b) * c.T + t) * E + e];
        d = h;
        const double up = loss(c, theta, &delta);
        d = -h;
        const double down = loss(c, theta, &delta);
        d = 0;
        const double g = (up - down) / (2 * h);
        sum += g * g;
      }
    }
  return sum;
}

}  // namespace senti::ref
