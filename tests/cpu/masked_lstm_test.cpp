// The CPU backend's masking, bidirectional LSTM, pooling and dropout against the independent
// double-precision reference of tests/cpu/lstm_reference.h (Keras's literal semantics): logits,
// loss and every gradient element (central differences), over pre and post padding.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"
#include "kernels/common/error.h"
#include "gradient_check.h"
#include "lstm_reference.h"

namespace senti {
namespace {

struct Variant {
  const char* name;
  bool mask, bidirectional;
  Pool pool;
  PadSide padding;
  float dropout = 0.f;
  bool spatial = false;
  float dense_dropout = 0.f;
};

void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }

// V 13, E 5, H 4, B 4, T 7; rows of lengths 7, 3, 1, 5 with repeated ids, padded as `padding`
// says; parameters scaled up from the initializer so the gates are away from their linear regime.
ref::Case make_case(const Variant& v) {
  ref::Case c;
  c.cfg.vocab_size = 13;
  c.cfg.embed_dim = 5;
  c.cfg.hidden = 4;
  c.cfg.mask = v.mask;
  c.cfg.bidirectional = v.bidirectional;
  c.cfg.pool = v.pool;
  c.cfg.dropout = v.dropout;
  c.cfg.spatial_dropout = v.spatial;
  c.cfg.dense_dropout = v.dense_dropout;
  c.B = 4;
  c.T = 7;
  c.padding = v.padding;
  c.lengths = {7, 3, 1, 5};
  const std::vector<std::vector<int32_t>> real = {
      {1, 4, 4, 12, 7, 4, 2}, {1, 7, 7}, {1}, {1, 9, 3, 9, 11}};
  c.ids.assign(static_cast<size_t>(c.B) * c.T, 0);
  for (int b = 0; b < c.B; ++b) {
    const int L = c.lengths[b], first = v.padding == PadSide::Pre ? c.T - L : 0;
    for (int k = 0; k < L; ++k) c.ids[b * c.T + first + k] = real[b][k];
  }
  c.labels = {1.f, 0.f, 1.f, 0.f};
  c.seed = 99;
  c.step = 5;
  c.train = v.dropout > 0.f || v.dense_dropout > 0.f;
  return c;
}

TrainState make_state(const ModelConfig& cfg) {
  TrainState s = init_train_state(cfg, 42);
  const ParamLayout L(cfg);
  for (float& p : s.params) p *= 4.f;  // livelier dynamics
  for (ParamId id : {ParamId::Bias, ParamId::BiasBack}) {
    if (!L.has(id)) continue;
    for (size_t k = 0; k < L[id].size; ++k)
      s.params[L[id].offset + k] += 0.1f * static_cast<float>(k % 5) - 0.2f;
  }
  s.params[L[ParamId::DenseBias].offset] = 0.3f;
  s.step = 5;  // the dropout masks' step
  return s;
}

std::unique_ptr<Backend> make_backend(const ref::Case& c, const TrainState& s, int maxlen) {
  BackendOptions o;
  o.model = c.cfg;
  o.max_batch = 6;  // larger than B and T: buffers sized for the maximum, used partially
  o.maxlen = maxlen;
  o.seed = c.seed;
  auto be = make_cpu_backend(o);
  be->set_state(s);
  return be;
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

class MaskedLstm : public ::testing::TestWithParam<Variant> {};

TEST_P(MaskedLstm, LogitsMatchReference) {
  const ref::Case c = make_case(GetParam());
  const TrainState s = make_state(c.cfg);
  auto be = make_backend(c, s, 9);
  ref::Case eval_case = c;
  eval_case.train = false;  // evaluation never drops out
  const std::vector<double> z = ref::logits(eval_case, to_double(s.params));
  std::vector<float> probs(c.B);
  be->eval_step(c.batch(), probs.data());
  double spread = 0;
  for (int b = 0; b < c.B; ++b) {
    EXPECT_NEAR(probs[b], ref::sigmoid(z[b]), 2e-6) << "row " << b;
    spread = std::max(spread, std::fabs(ref::sigmoid(z[b]) - ref::sigmoid(z[0])));
  }
  EXPECT_GT(spread, 1e-3) << "rows should give different outputs, or the test proves little";
}

TEST_P(MaskedLstm, EveryGradientMatchesCentralDifferences) {
  const ref::Case c = make_case(GetParam());
  const TrainState s = make_state(c.cfg);
  auto be = make_backend(c, s, 9);
  const ParamLayout L(c.cfg);
  std::vector<float> grads(L.total(), -1.f);
  const double loss = be->loss_and_gradients(c.batch(), grads.data());
  std::vector<double> theta = to_double(s.params);
  EXPECT_NEAR(loss, ref::loss(c, theta), 1e-5);
  test::expect_gradients_match_central_differences(c, theta, grads);
}

const Variant kVariants[] = {
    {"MaskPost", true, false, Pool::Last, PadSide::Post},
    {"MaskPre", true, false, Pool::Last, PadSide::Pre},
    {"MaskMaxPost", true, false, Pool::Max, PadSide::Post},
    {"MaskMeanPre", true, false, Pool::Mean, PadSide::Pre},
    {"MaskBiLastPost", true, true, Pool::Last, PadSide::Post},
    {"MaskBiConcatPre", true, true, Pool::Concat, PadSide::Pre},
    {"NoMaskBiConcatPost", false, true, Pool::Concat, PadSide::Post},
    {"NoMaskMeanPost", false, false, Pool::Mean, PadSide::Post},
    {"MaskDropoutPost", true, false, Pool::Last, PadSide::Post, 0.3f},
    {"MaskSpatialBiPre", true, true, Pool::Concat, PadSide::Pre, 0.3f, true},
    {"MaskDenseDropoutBi", true, true, Pool::Max, PadSide::Post, 0.f, false, 0.4f},
    {"NoMaskDropoutAll", false, false, Pool::Last, PadSide::Pre, 0.25f, false, 0.25f},
};
INSTANTIATE_TEST_SUITE_P(Options, MaskedLstm, ::testing::ValuesIn(kVariants),
                         [](const ::testing::TestParamInfo<Variant>& i) { return i.param.name; });

// With a mask, outputs and gradients do not depend on the padding at all: the same rows padded to
// 7 or 12 positions, pre or post, give bit-identical logits and gradients, and the padding row of
// the embedding gets exactly zero gradient.
TEST(Masking, ResultsIgnoreThePaddingAndItGetsNoGradient) {
  const Variant v{"", true, true, Pool::Concat, PadSide::Post};
  const ref::Case post = make_case(v);
  const TrainState s = make_state(post.cfg);
  const ParamLayout L(post.cfg);
  auto run = [&](const ref::Case& c, std::vector<float>* grads, std::vector<float>* probs) {
    auto be = make_backend(c, s, 12);
    grads->assign(L.total(), 0.f);
    be->loss_and_gradients(c.batch(), grads->data());
    probs->assign(c.B, 0.f);
    be->eval_step(c.batch(), probs->data());
  };
  std::vector<float> g_ref, p_ref;
  run(post, &g_ref, &p_ref);
  for (PadSide side : {PadSide::Post, PadSide::Pre})
    for (int T : {7, 12}) {
      Variant w = v;
      w.padding = side;
      ref::Case c = make_case(w);
      if (T != c.T) {  // re-pad the same rows to T positions
        ref::Case wide = c;
        wide.T = T;
        wide.ids.assign(static_cast<size_t>(c.B) * T, 0);
        for (int b = 0; b < c.B; ++b) {
          const int L0 = c.lengths[b];
          const int from = side == PadSide::Pre ? c.T - L0 : 0, to = side == PadSide::Pre ? T - L0 : 0;
          for (int k = 0; k < L0; ++k) wide.ids[b * T + to + k] = c.ids[b * c.T + from + k];
        }
        c = wide;
      }
      std::vector<float> g, p;
      run(c, &g, &p);
      EXPECT_EQ(g, g_ref) << "T " << T << (side == PadSide::Pre ? " pre" : " post");
      EXPECT_EQ(p, p_ref) << "T " << T << (side == PadSide::Pre ? " pre" : " post");
    }
  const float* pad_row = &g_ref[L[ParamId::Embedding].offset];  // id 0
  for (int e = 0; e < post.cfg.embed_dim; ++e) EXPECT_EQ(pad_row[e], 0.f) << "element " << e;
}

// Without a mask the padding is an ordinary token: its row is trained (the seed model).
TEST(Masking, WithoutMaskThePaddingRowGetsGradient) {
  const ref::Case c = make_case({"", false, false, Pool::Last, PadSide::Post});
  const TrainState s = make_state(c.cfg);
  auto be = make_backend(c, s, 9);
  const ParamLayout L(c.cfg);
  std::vector<float> g(L.total());
  be->loss_and_gradients(c.batch(), g.data());
  double norm = 0;
  for (int e = 0; e < c.cfg.embed_dim; ++e) norm += std::fabs(g[L[ParamId::Embedding].offset + e]);
  EXPECT_GT(norm, 0.0);
}

// A masked batch whose padding is not where its lengths say is a bug in the caller.
TEST(Masking, BatchWhosePaddingContradictsItsLengthsIsRejected) {
  ref::Case c = make_case({"", true, false, Pool::Last, PadSide::Post});
  const TrainState s = make_state(c.cfg);
  auto be = make_backend(c, s, 9);
  std::vector<float> probs(c.B);
  c.padding = PadSide::Pre;  // the ids are post padded
  EXPECT_THROW(be->eval_step(c.batch(), probs.data()), Error);
  c.padding = PadSide::Post;
  c.lengths[1] = 4;  // position 3 of row 1 is padding
  EXPECT_THROW(be->eval_step(c.batch(), probs.data()), Error);
}

}  // namespace
}  // namespace senti
