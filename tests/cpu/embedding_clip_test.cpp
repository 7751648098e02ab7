// --embedding-clip-norm: the embedding gradient's norm under clipnorm, TensorFlow's per-position
// (sparse) rule and the dense rule, against hand-computed values and against the double reference.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "engine/optimizer.h"
#include "lstm_reference.h"

namespace senti {
namespace {

// V 2, E 1, H 1 with embedding 0 everywhere, kernel (i, f, g, o) = (0, 0, 1, 0), recurrent kernel
// and LSTM bias 0, dense kernel 1, dense bias 0. Every input is x = 0, so every gate sits at its
// centre: i = f = o = sigmoid(0) = 1/2, g = tanh(x) = 0, all states 0, the logit 0 and p = 1/2.
// Only the candidate path depends on x: dc_t/dx_t = i · (1 - g²) · 1 = 1/2, dc_T/dc_t = f^(T-t),
// dh_T/dc_T = o · (1 - tanh²(0)) = 1/2, so dh_T/dx_t = 1/4 · (1/2)^(T-1-t).
// One row, label 1, B = 1: dL/dlogit = p - y = -1/2, so g_t = dL/dx_t = -1/8 · (1/2)^(T-1-t).
struct HandCase {
  ModelConfig cfg;
  TrainState state;
  std::vector<int32_t> ids = {1, 1, 0};  // id 1 twice, then one padding position (post)
  std::vector<int32_t> lengths = {2};
  std::vector<float> labels = {1.f};
  Batch batch() const { return Batch{ids.data(), labels.data(), lengths.data(), 1, 3}; }
  HandCase() {
    cfg.vocab_size = 2;
    cfg.embed_dim = 1;
    cfg.hidden = 1;
    const ParamLayout L(cfg);
    state.params.assign(L.total(), 0.f);
    state.m.assign(L.total(), 0.f);
    state.v.assign(L.total(), 0.f);
    state.params[L[ParamId::Kernel].offset + 2] = 1.f;  // the candidate gate's input weight
    state.params[L[ParamId::DenseKernel].offset] = 1.f;
  }
};

// Adam's first moment after one step, m = (1 - beta1) · scale · g: the clip scale made visible.
float embedding_m_after_one_step(const HandCase& hc, bool mask, EmbeddingClipNorm rule,
                                 float clipnorm, float global_clipnorm, int id) {
  BackendOptions o;
  o.model = hc.cfg;
  o.model.mask = mask;
  o.max_batch = 1;
  o.maxlen = 3;
  o.optimizer.clipnorm = clipnorm;
  o.optimizer.global_clipnorm = global_clipnorm;
  o.optimizer.embedding_clip_norm = rule;
  auto be = make_cpu_backend(o);
  be->set_state(hc.state);
  be->train_step(hc.batch());
  return be->get_state().m[ParamLayout(o.model)[ParamId::Embedding].offset + id];
}

// No mask, T = 3: g_2 = -1/8 (the padding position, id 0), g_1 = -1/16, g_0 = -1/32 (both id 1).
//   dense:  row 1 = -3/32, row 0 = -1/8;  |g|² = 9/1024 + 16/1024 = 25/1024, norm 0.15625
//   sparse: 1/64 + 1/256 + 1/1024 = 21/1024, norm 0.143205...
// clipnorm 0.1: scale 0.1/0.15625 = 0.64 (dense), 0.1/0.1432055 = 0.6982972 (sparse);
// m[id 1] = 0.1 · scale · (-3/32): -0.006 and -0.0065465.
TEST(EmbeddingClipNorm, UnmaskedSeedRuleMatchesHandComputedScales) {
  const HandCase hc;
  EXPECT_NEAR(embedding_m_after_one_step(hc, false, EmbeddingClipNorm::Dense, 0.1f, 0.f, 1),
              -0.006, 1e-8);
  EXPECT_NEAR(embedding_m_after_one_step(hc, false, EmbeddingClipNorm::Sparse, 0.1f, 0.f, 1),
              -0.1 * 0.1 / std::sqrt(21.0 / 1024) * 3.0 / 32, 1e-8);
  EXPECT_NEAR(-0.1 * 0.1 / std::sqrt(21.0 / 1024) * 3.0 / 32, -0.0065465, 1e-7);
  // The padding row is trained without a mask, scaled the same way.
  EXPECT_NEAR(embedding_m_after_one_step(hc, false, EmbeddingClipNorm::Dense, 0.1f, 0.f, 0),
              -0.1 * 0.64 * 0.125, 1e-8);
}

// With the mask the padding position is not read, T_real = 2: g_1 = -1/8, g_0 = -1/16.
//   dense: row 1 = -3/16, norm 0.1875;  sparse: 1/64 + 1/256 = 5/256, norm 0.1397542
// clipnorm 0.1: m[id 1] = 0.1 · (0.1/0.1875) · (-3/16) = -0.01 (dense),
//               0.1 · (0.1/0.1397542) · (-3/16) = -0.0134164 (sparse); row 0 gets nothing.
TEST(EmbeddingClipNorm, MaskedRuleMatchesHandComputedScales) {
  const HandCase hc;
  EXPECT_NEAR(embedding_m_after_one_step(hc, true, EmbeddingClipNorm::Dense, 0.1f, 0.f, 1), -0.01,
              1e-8);
  EXPECT_NEAR(embedding_m_after_one_step(hc, true, EmbeddingClipNorm::Sparse, 0.1f, 0.f, 1),
              -0.0134164, 1e-7);
  EXPECT_EQ(embedding_m_after_one_step(hc, true, EmbeddingClipNorm::Sparse, 0.1f, 0.f, 0), 0.f);
  // No clipping when the norm is below clipnorm: both rules leave the gradient as it is.
  EXPECT_NEAR(embedding_m_after_one_step(hc, true, EmbeddingClipNorm::Sparse, 1.f, 0.f, 1),
              -0.1 * 3.0 / 16, 1e-8);
}

// global_clipnorm: the embedding's term of the global sum follows the rule too. The other tensors'
// sums come from the backend's own gradient (they do not depend on the rule).
TEST(EmbeddingClipNorm, GlobalClipUsesTheSparseTerm) {
  const HandCase hc;
  BackendOptions o;
  o.model = hc.cfg;
  o.model.mask = true;
  o.max_batch = 1;
  o.maxlen = 3;
  auto be = make_cpu_backend(o);
  be->set_state(hc.state);
  const ParamLayout L(o.model);
  std::vector<float> g(L.total());
  be->loss_and_gradients(hc.batch(), g.data());
  TensorSums sums = grad_sums_of_squares(L, g.data());
  const double others = sums[1] + sums[2] + sums[3] + sums[4] + sums[5];
  const double sparse_total = others + 5.0 / 256;
  EXPECT_NEAR(embedding_m_after_one_step(hc, true, EmbeddingClipNorm::Sparse, 0.f, 0.05f, 1),
              -0.1 * 0.05 / std::sqrt(sparse_total) * 3.0 / 16, 1e-8);
}

// The backend's per-position sum against the reference's Σ_p |dL/d(embedding output at p)|², by
// central differences, for masked / unmasked, bidirectional, element and spatial dropout. The sum
// is read back through the clip scale: with a tiny clipnorm m = 0.1 · (c / norm) · g.
TEST(EmbeddingClipNorm, SparseNormMatchesReferencePerPositionGradients) {
  struct V { bool mask, bi; Pool pool; PadSide pad; float dropout; bool spatial; };
  for (const V& v : {V{false, false, Pool::Last, PadSide::Post, 0.f, false},
                     V{true, true, Pool::Concat, PadSide::Pre, 0.f, false},
                     V{true, false, Pool::Mean, PadSide::Post, 0.3f, false},
                     V{true, true, Pool::Max, PadSide::Pre, 0.3f, true}}) {
    ref::Case c;
    c.cfg.vocab_size = 9;
    c.cfg.embed_dim = 3;
    c.cfg.hidden = 3;
    c.cfg.mask = v.mask;
    c.cfg.bidirectional = v.bi;
    c.cfg.pool = v.pool;
    c.cfg.dropout = v.dropout;
    c.cfg.spatial_dropout = v.spatial;
    c.B = 3;
    c.T = 5;
    c.padding = v.pad;
    c.lengths = {5, 2, 4};
    const std::vector<std::vector<int32_t>> real = {{1, 4, 4, 8, 4}, {1, 4}, {1, 6, 6, 3}};
    c.ids.assign(15, 0);
    for (int b = 0; b < 3; ++b)
      for (int k = 0; k < c.lengths[b]; ++k)
        c.ids[b * 5 + (v.pad == PadSide::Pre ? 5 - c.lengths[b] : 0) + k] = real[b][k];
    c.labels = {1.f, 0.f, 0.f};
    c.train = v.dropout > 0.f;
    c.seed = 3;
    c.step = 0;
    TrainState s = init_train_state(c.cfg, 9);
    for (float& p : s.params) p *= 3.f;
    const double want = ref::position_sum_of_squares(c, {s.params.begin(), s.params.end()});

    BackendOptions o;
    o.model = c.cfg;
    o.max_batch = 3;
    o.maxlen = 5;
    o.seed = c.seed;
    o.optimizer.clipnorm = 1e-6f;
    o.optimizer.embedding_clip_norm = EmbeddingClipNorm::Sparse;
    auto be = make_cpu_backend(o);
    be->set_state(s);
    const ParamLayout L(o.model);
    std::vector<float> g(L.total());
    be->loss_and_gradients(c.batch(), g.data());
    be->set_state(s);  // loss_and_gradients does not step, but start from the same state anyway
    be->train_step(c.batch());
    const std::vector<float>& m = be->get_state().m;
    size_t k = L[ParamId::Embedding].offset;  // the embedding element with the largest gradient
    for (size_t i = k; i < k + L[ParamId::Embedding].size; ++i)
      if (std::fabs(g[i]) > std::fabs(g[k])) k = i;
    const double norm = 0.1 * 1e-6 * g[k] / m[k];
    EXPECT_NEAR(norm * norm, want, 1e-4 * want)
        << "mask " << v.mask << " bi " << v.bi << " dropout " << v.dropout << " spatial " << v.spatial;
  }
}

}  // namespace
}  // namespace senti
