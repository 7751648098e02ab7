// The train step as a CUDA graph (engine/cuda/step_graph.h, BackendOptions::cuda_graph): replayed
// steps give bit-identical parameters, Adam moments, step count and metrics to eager steps from the
// same state (both batch slots, a second batch shape, set_state in between; the K-output heads);
// the device step
// counter and Adam's step size equal the host's formula; a failed capture falls back to eager steps
// (emulated device: injected); timing and profiling run eagerly; and --cuda-graph's values. Runs on a real GPU and on the emulated device (tests/emu).
#include <gtest/gtest.h>

#include <cstring>
#include <iostream>
#include <random>
#include <vector>

#include "cuda_test_util.h"
#include "host_batch.h"
#include "engine/backend.h"
#include "engine/cpu/cpu_adam.h"
#include "engine/init.h"
#include "kernels/adam.cuh"
#include "kernels/common/error.h"

#if defined(SENTI_CUDA_EMU)
#include <senti_emu/control.h>
#endif

namespace senti {
namespace {

using cuda::StepGraphs;

using test::HostBatch;
using test::make_batch;

// A seed-like model, scaled down for the emulated device; `every_option`: masked, bidirectional,
// concat pooling, element and dense dropout, the sparse embedding clip norm (what the best preset
// uses, and the per-step values that must come from the device: the dropout keys' step);
// `ngrams`: --ngrams with 97 buckets.
BackendOptions tiny_options(bool graph, bool every_option = false, int ngrams = 0) {
  BackendOptions o;
  o.model.ngrams = ngrams;
  o.model.ngram_buckets = 97;
  if (every_option) {
    o.model.mask = o.model.bidirectional = true;
    o.model.pool = Pool::Concat;
    o.model.dropout = 0.2f;
    o.model.dense_dropout = 0.3f;
    o.optimizer.embedding_clip_norm = EmbeddingClipNorm::Sparse;
  }
  o.model.vocab_size = 503;
  o.model.embed_dim = 16;
  o.model.hidden = 8;
  o.max_batch = 12;
  o.maxlen = 20;
  o.optimizer.clipnorm = 0.1f;
  o.cuda_graph = graph;
  return o;
}

StepGraphs::Stats stats_of(Backend& b) {
  StepGraphs::Stats s;
  EXPECT_TRUE(cuda_step_graph_stats(b, &s));
  return s;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void expect_same_state(Backend& a, Backend& b, const std::string& when) {
  const TrainState x = a.get_state(), y = b.get_state();
  EXPECT_EQ(x.step, y.step) << when;
  EXPECT_TRUE(same_bits(x.params, y.params)) << "parameters differ " << when;
  EXPECT_TRUE(same_bits(x.m, y.m)) << "Adam m differs " << when;
  EXPECT_TRUE(same_bits(x.v, y.v)) << "Adam v differs " << when;
}

void expect_same_metrics(Backend& a, Backend& b, const std::string& when) {
  const Metrics x = a.take_metrics(), y = b.take_metrics();
  EXPECT_EQ(x.count, y.count) << when;
  EXPECT_EQ(x.correct, y.correct) << when;
  EXPECT_EQ(std::memcmp(&x.loss_sum, &y.loss_sum, sizeof(double)), 0)
      << "loss sums " << x.loss_sum << " vs " << y.loss_sum << " " << when;
}

struct GraphAndEager {
  std::unique_ptr<Backend> graph, eager;
  explicit GraphAndEager(uint64_t seed, int64_t step = 0, bool every_option = false,
                         int ngrams = 0) {
    graph = make_cuda_backend(tiny_options(true, every_option, ngrams));
    eager = make_cuda_backend(tiny_options(false, every_option, ngrams));
    TrainState s = init_train_state(tiny_options(true, every_option, ngrams).model, seed);
    s.step = step;
    graph->set_state(s);
    eager->set_state(s);
  }
  void step(const HostBatch& b) {
    graph->train_step(b.view());
    eager->train_step(b.view());
  }
};

// Steps 0-5 at B12 T20 alternate the two batch slots: 0 eager (the shape's warm-up), 1 and 2
// captured (one graph per slot), 3-5 replayed. Steps 6-7, a final smaller batch (B5 T13): 6 eager,
// 7 captured. Steps 8-9 replay the first shape again. Metrics are read twice, so the device sums
// run across replays. Every value must match the eager backend bit for bit.
TEST(CudaStepGraph, ReplayMatchesEagerBitForBit) {
  SENTI_REQUIRE_GPU();
  GraphAndEager p(7);
  const int V = tiny_options(true).model.vocab_size;
  for (int s = 0; s < 6; ++s) p.step(make_batch(12, 20, V, 100 + s));
  expect_same_metrics(*p.graph, *p.eager, "after 6 steps");
  for (int s = 6; s < 8; ++s) p.step(make_batch(5, 13, V, 100 + s));
  for (int s = 8; s < 10; ++s) p.step(make_batch(12, 20, V, 100 + s));
  expect_same_metrics(*p.graph, *p.eager, "after 10 steps");
  expect_same_state(*p.graph, *p.eager, "after 10 steps");
  EXPECT_EQ(p.graph->get_state().step, 10);

  const StepGraphs::Stats g = stats_of(*p.graph), e = stats_of(*p.eager);
  EXPECT_EQ(g.eager, 2) << "one warm-up step per batch shape";
  EXPECT_EQ(g.captures, 3) << "B12 in both slots, B5 in one";
  EXPECT_EQ(g.replays, 5);
  EXPECT_GT(g.last_nodes, 10u);
  EXPECT_EQ(e.eager + e.captures + e.replays, 0) << "--cuda-graph off never goes through graphs";
  std::cout << "[ graph    ] nodes per captured step (B5 T13 E16 H8): " << g.last_nodes << "\n";
  RecordProperty("graph_nodes_per_step", static_cast<int>(g.last_nodes));
}

// The same with every model option: replays must draw each step's dropout masks (keyed by the
// device step counter), not the captured step's.
TEST(CudaStepGraph, ReplayMatchesEagerWithEveryModelOption) {
  SENTI_REQUIRE_GPU();
  GraphAndEager p(11, /*step=*/0, /*every_option=*/true);
  const int V = tiny_options(true).model.vocab_size;
  for (int s = 0; s < 6; ++s) p.step(make_batch(12, 20, V, 500 + s));
  expect_same_metrics(*p.graph, *p.eager, "after 6 steps");
  expect_same_state(*p.graph, *p.eager, "after 6 steps");
  const StepGraphs::Stats g = stats_of(*p.graph);
  EXPECT_EQ(g.captures, 2);
  EXPECT_EQ(g.replays, 3);
}

// With the n-gram features (every model option, --ngrams 2): each replay must collect the features
// of its own batch (both slots, two shapes: the feature lists' layout depends on B and T), and the
// n-gram rows of the dense kernel must move.
TEST(CudaStepGraph, ReplayMatchesEagerWithNgrams) {
  SENTI_REQUIRE_GPU();
  GraphAndEager p(13, /*step=*/0, /*every_option=*/true, /*ngrams=*/2);
  const BackendOptions o = tiny_options(true, true, 2);
  const TrainState s0 = p.graph->get_state();
  const int V = o.model.vocab_size;
  for (int s = 0; s < 5; ++s) p.step(make_batch(12, 20, V, 700 + s));
  for (int s = 5; s < 7; ++s) p.step(make_batch(5, 13, V, 700 + s));
  p.step(make_batch(12, 20, V, 707));
  expect_same_metrics(*p.graph, *p.eager, "after 8 steps");
  expect_same_state(*p.graph, *p.eager, "after 8 steps");
  const StepGraphs::Stats g = stats_of(*p.graph);
  EXPECT_EQ(g.captures, 3);
  EXPECT_EQ(g.replays, 3);
  const ParamLayout L(o.model);
  const TensorInfo& k = L[ParamId::DenseKernel];
  const size_t ngram_rows = static_cast<size_t>(o.model.ngram_width());
  const float* before = s0.params.data() + k.offset + o.model.features();
  const TrainState s8 = p.graph->get_state();
  const float* after = s8.params.data() + k.offset + o.model.features();
  EXPECT_NE(std::memcmp(before, after, ngram_rows * sizeof(float)), 0) << "n-gram rows unchanged";
}

// The K-output heads (kernels/dense_softmax_ce: its workspace, the (B, K) n-gram logits and dz, the
// uploaded class weights): softmax K = 5 with class weights, every model option and --ngrams 2, and
// multi-label K = 4 (its (B, K) labels in the batch slots); two shapes, both slots.
TEST(CudaStepGraph, ReplayMatchesEagerWithKOutputHeads) {
  SENTI_REQUIRE_GPU();
  for (const Head head : {Head::Softmax, Head::MultiLabel}) {
    SCOPED_TRACE(head_name(head));
    BackendOptions o = tiny_options(true, /*every_option=*/head == Head::Softmax,
                                    head == Head::Softmax ? 2 : 0);
    o.model.head = head;
    o.model.classes = head == Head::Softmax ? 5 : 4;
    if (head == Head::Softmax) o.class_weights = {1.f, 0.5f, 2.f, 1.5f, 0.25f};
    BackendOptions e = o;
    e.cuda_graph = false;
    auto graph = make_cuda_backend(o), eager = make_cuda_backend(e);
    const TrainState s0 = init_train_state(o.model, 19);
    graph->set_state(s0);
    eager->set_state(s0);
    const int K = o.model.classes;
    auto batch = [&](int B, int T, uint64_t seed) {
      HostBatch b = make_batch(B, T, o.model.vocab_size, seed);
      b.labels.clear();
      std::mt19937_64 rng(seed);
      for (int i = 0; i < (head == Head::Softmax ? B : B * K); ++i)
        b.labels.push_back(static_cast<float>(rng() % (head == Head::Softmax ? K : 2)));
      return b;
    };
    for (int s = 0; s < 7; ++s) {
      const HostBatch b = s == 4 || s == 5 ? batch(5, 13, 800 + s) : batch(12, 20, 800 + s);
      graph->train_step(b.view());
      eager->train_step(b.view());
    }
    expect_same_metrics(*graph, *eager, "after 7 steps");
    expect_same_state(*graph, *eager, "after 7 steps");
    const StepGraphs::Stats g = stats_of(*graph);
    EXPECT_EQ(g.captures, 3) << "B12 in both slots, B5 in one";
    EXPECT_EQ(g.replays, 2);
  }
}

// set_state rewrites the buffers the graphs use in place (and the device step counter): the graphs
// captured before stay valid and continue from the new step.
TEST(CudaStepGraph, SetStateWithNonzeroStepKeepsGraphsValid) {
  SENTI_REQUIRE_GPU();
  GraphAndEager p(3, /*step=*/1000);
  const int V = tiny_options(true).model.vocab_size;
  for (int s = 0; s < 4; ++s) p.step(make_batch(12, 20, V, 300 + s));  // warm-up, 2 captures, replay
  expect_same_state(*p.graph, *p.eager, "after 4 steps from step 1000");
  EXPECT_EQ(p.graph->get_state().step, 1004);

  TrainState s = init_train_state(tiny_options(true).model, 4);
  s.step = 7;
  p.graph->set_state(s);
  p.eager->set_state(s);
  const int64_t captures = stats_of(*p.graph).captures;
  for (int k = 0; k < 3; ++k) p.step(make_batch(12, 20, V, 400 + k));
  EXPECT_EQ(stats_of(*p.graph).captures, captures) << "set_state must not force a re-capture";
  expect_same_metrics(*p.graph, *p.eager, "after set_state(step 7) and 3 steps");
  expect_same_state(*p.graph, *p.eager, "after set_state(step 7) and 3 steps");
  EXPECT_EQ(p.graph->get_state().step, 10);
}

// The device's step counter and step size against the host formula (math::adam_alpha, the CPU
// optimizer's), for steps 1..40, a few large counts and two sets of hyperparameters: bit for bit.
TEST(CudaStepGraph, DeviceStepCounterAndAlphaEqualTheHostComputation) {
  SENTI_REQUIRE_GPU();
  math::AdamHyper seed_recipe, other;
  other.lr = 2e-3f;
  other.beta1 = 0.8;
  other.beta2 = 0.99;
  std::vector<int64_t> done;
  for (int64_t t = 0; t < 40; ++t) done.push_back(t);
  for (int64_t t : std::vector<int64_t>{999, 1000, 12344, 1 << 20, int64_t{3} << 33})
    done.push_back(t);
  cuda::DeviceBuffer<int64_t> counter(1);
  cuda::DeviceBuffer<float> alpha(1);
  for (const math::AdamHyper& h : {seed_recipe, other}) {
    for (int64_t t0 : done) {
      SENTI_CUDA_CHECK(cudaMemcpy(counter.get(), &t0, sizeof(t0), cudaMemcpyHostToDevice));
      SENTI_CUDA_CHECK(cudaDeviceSynchronize());
      kernels::adam_next_step(counter.get(), h, alpha.get(), nullptr);
      const int64_t t = test::to_host(counter)[0];
      const float got = test::to_host(alpha)[0], want = math::adam_alpha(h, t0 + 1);
      ASSERT_EQ(t, t0 + 1);
      ASSERT_EQ(std::memcmp(&got, &want, sizeof(float)), 0)
          << "step " << t0 + 1 << " (beta1 " << h.beta1 << "): device " << got << ", host " << want;
    }
  }
}

// One replayed step after set_state(step K) against the CPU's Adam (engine/cpu/cpu_adam.h) applied
// to the same gradient: the step size must be the one of step K + 1. No clipping, so both apply the
// same element-wise formula, which rounds each operation on both (never an FMA:
// kernels/common/math/optim.h, scripts/check_adam_ptx.sh), and the step size is the host's bit for
// bit (DeviceStepCounterAndAlphaEqualTheHostComputation checks steps 1001 and 6): the parameters
// and moments must be equal bit for bit, on a GPU as on the emulated device.
TEST(CudaStepGraph, ReplayedStepUsesTheStepSizeOfTheCurrentStep) {
  SENTI_REQUIRE_GPU();
  BackendOptions o = tiny_options(true);
  o.optimizer.clipnorm = 0.f;
  auto gpu = make_cuda_backend(o);
  const ParamLayout L(o.model);
  const HostBatch b = make_batch(12, 20, o.model.vocab_size, 5);
  TrainState s = init_train_state(o.model, 9);
  s.m = test::random_floats(L.total(), -1e-3f, 1e-3f, 1);
  s.v = test::random_floats(L.total(), 0.f, 1e-5f, 2);
  for (int k = 0; k < 3; ++k) gpu->train_step(b.view());  // warm-up (slot 0), captures (1, 0)
  for (int64_t K : {int64_t{1000}, int64_t{5}}) {
    s.step = K;
    gpu->set_state(s);
    std::vector<float> grads(L.total());
    gpu->loss_and_gradients(b.view(), grads.data());  // the step's gradient, eagerly (one slot)
    gpu->train_step(b.view());                        // the other slot: a replay
    const TrainState got = gpu->get_state();
    TrainState want = s;
    apply_clipped_adam(L, o.optimizer, grads.data(), &want);
    EXPECT_EQ(got.step, K + 1);
    EXPECT_TRUE(same_bits(want.m, got.m)) << "Adam m of step " << K + 1;
    EXPECT_TRUE(same_bits(want.v, got.v)) << "Adam v of step " << K + 1;
    EXPECT_TRUE(same_bits(want.params, got.params)) << "parameters after step " << K + 1;
    EXPECT_NE(std::memcmp(want.params.data(), s.params.data(), L.total() * sizeof(float)), 0)
        << "the step changed nothing";
  }
  EXPECT_EQ(stats_of(*gpu).captures, 2);
  EXPECT_EQ(stats_of(*gpu).replays, 2);
}

#if defined(SENTI_CUDA_EMU)
// A capture that fails at its end or at instantiation (injected: emu::inject_graph_fault) turns the
// graphs off and the step runs eagerly: the failed call's last error must not surface at the
// fallback's first launch as that kernel's error. Training goes on without graphs and every step
// equals the eager backend's bit for bit.
TEST(CudaStepGraph, FailedCaptureFallsBackToEagerSteps) {
  SENTI_REQUIRE_GPU();
  for (const emu::GraphFault fault : {emu::GraphFault::EndCapture, emu::GraphFault::Instantiate}) {
    const std::string where =
        fault == emu::GraphFault::EndCapture ? "cudaStreamEndCapture" : "cudaGraphInstantiate";
    SCOPED_TRACE("injected failure of " + where);
    GraphAndEager p(17);
    const int V = tiny_options(true).model.vocab_size;
    p.step(make_batch(12, 20, V, 900));  // the shape's warm-up: eager, nothing captured
    emu::inject_graph_fault(fault);
    p.step(make_batch(12, 20, V, 901));  // would be captured: the capture fails, runs eagerly
    emu::inject_graph_fault(emu::GraphFault::None);
    for (int s = 2; s < 5; ++s) p.step(make_batch(12, 20, V, 900 + s));
    expect_same_metrics(*p.graph, *p.eager, "after 5 steps");
    expect_same_state(*p.graph, *p.eager, "after 5 steps");
    EXPECT_EQ(p.graph->get_state().step, 5);
    const StepGraphs::Stats g = stats_of(*p.graph);
    EXPECT_EQ(g.captures, 0);
    EXPECT_EQ(g.replays, 0);
    EXPECT_EQ(g.eager, 5) << "warm-up, the failed capture's step, then eager for good";
  }
}
#endif

// Step timing records events between the launches and a profiler range wants the per-kernel NVTX
// ranges: both run the step eagerly, and the graphs are used again afterwards.
TEST(CudaStepGraph, TimingAndProfilingRunEagerly) {
  SENTI_REQUIRE_GPU();
  auto gpu = make_cuda_backend(tiny_options(true));
  const HostBatch b = make_batch(12, 20, tiny_options(true).model.vocab_size, 1);
  for (int k = 0; k < 3; ++k) gpu->train_step(b.view());
  EXPECT_EQ(stats_of(*gpu).captures, 2);
  gpu->set_step_timing(true);
  gpu->train_step(b.view());
  Backend::StepTimings t;
  EXPECT_TRUE(gpu->last_step_timings(&t));
  gpu->set_step_timing(false);
  gpu->profiler_range(true);
  gpu->train_step(b.view());
  gpu->profiler_range(false);
  EXPECT_EQ(stats_of(*gpu).eager, 1) << "only the warm-up went through the graph cache eagerly";
  EXPECT_EQ(stats_of(*gpu).replays, 0) << "timed and profiled steps bypass the graphs";
  gpu->train_step(b.view());
  EXPECT_EQ(stats_of(*gpu).replays, 1);
  EXPECT_EQ(gpu->get_state().step, 6);
}

TEST(CudaStepGraph, DescribeSaysWhetherGraphsAreOn) {
  SENTI_REQUIRE_GPU();
  const std::string on = make_cuda_backend(tiny_options(true))->describe();
  const std::string off = make_cuda_backend(tiny_options(false))->describe();
  EXPECT_NE(on.find("; CUDA graph: on)"), std::string::npos) << on;
  EXPECT_NE(off.find("; CUDA graph: off)"), std::string::npos) << off;
}

TEST(CudaStepGraph, CudaGraphFlagValues) {
  EXPECT_TRUE(parse_cuda_graph("on"));
  EXPECT_FALSE(parse_cuda_graph("off"));
  try {
    parse_cuda_graph("yes");
    FAIL() << "accepted 'yes'";
  } catch (const InvalidSetting& e) {
    EXPECT_EQ(e.setting(), "cuda_graph");
    EXPECT_NE(e.problem().find("expected on or off"), std::string::npos) << e.problem();
  }
}

}  // namespace
}  // namespace senti
