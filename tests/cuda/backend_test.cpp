// The CUDA backend against the CPU backend (the oracle) through the Backend interface: one step's
// loss and every gradient (small and seed shape), ten Adam steps, evaluation, exact state round
// trips, bit-identical reruns, the batch-memory contract, shape changes and the timing hooks.
// Runs on a real GPU (LSTM: cuDNN) and on the emulated device (LSTM: the CPU stand-in).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "host_batch.h"
#include "engine/backend.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/init.h"

namespace senti {
namespace {

using test::all_close;

using test::HostBatch;
using test::make_batch;

BackendOptions small_options() {
  BackendOptions o;
  o.model.vocab_size = 2003;
  o.model.embed_dim = 32;
  o.model.hidden = 16;
  o.max_batch = 16;
  o.maxlen = 60;
  o.optimizer.clipnorm = 0.1f;
  o.deterministic = true;
  return o;
}

struct Pair {
  std::unique_ptr<Backend> cpu, gpu;
  explicit Pair(const BackendOptions& o, uint64_t seed = 42) {
    cpu = make_cpu_backend(o);
    gpu = make_cuda_backend(o);
    const TrainState s = init_train_state(o.model, seed);
    cpu->set_state(s);
    gpu->set_state(s);
  }
};

// |ref - got| <= 1e-4·max|ref tensor| + 2e-3·|ref| for each of the six tensors, by name.
void expect_grads_close(const ParamLayout& L, const std::vector<float>& ref,
                        const std::vector<float>& got) {
  for (const TensorInfo& t : L.tensors()) {
    const float scale = test::max_abs(ref.data() + t.offset, t.size);
    EXPECT_TRUE(all_close(ref.data() + t.offset, got.data() + t.offset, t.size, 1e-4 * scale + 1e-9,
                          2e-3, t.name));
  }
}

TEST(CudaBackend, OneStepLossAndEveryGradientMatchCpu) {
  SENTI_REQUIRE_GPU();
  const BackendOptions o = small_options();
  Pair p(o);
  const ParamLayout L(o.model);
  const HostBatch b = make_batch(16, 60, o.model.vocab_size, 1);
  std::vector<float> gc(L.total()), gg(L.total());
  const double lc = p.cpu->loss_and_gradients(b.view(), gc.data());
  const double lg = p.gpu->loss_and_gradients(b.view(), gg.data());
  EXPECT_NEAR(lg, lc, 1e-5 * std::fabs(lc));
  expect_grads_close(L, gc, gg);
  // The call also counts towards the running metrics, as on the CPU.
  const Metrics mc = p.cpu->take_metrics(), mg = p.gpu->take_metrics();
  EXPECT_EQ(mg.count, mc.count);
  EXPECT_EQ(mg.correct, mc.correct);
  EXPECT_NEAR(mg.loss_sum, mc.loss_sum, 1e-5 * mc.loss_sum);
}

// The seed recipe's shape (B32 T500 E128 H64 V10000): one step's loss and every gradient, then one
// Adam step's parameters and moments.
TEST(CudaBackend, SeedShapeOneStepMatchesCpu) {
  SENTI_REQUIRE_GPU();
  BackendOptions o;  // the defaults are the seed recipe
  ASSERT_EQ(o.model.vocab_size, 10000);
  ASSERT_EQ(o.model.embed_dim, 128);
  ASSERT_EQ(o.model.hidden, 64);
  ASSERT_EQ(o.max_batch, 32);
  ASSERT_EQ(o.maxlen, 500);
  Pair p(o, 11);
  const ParamLayout L(o.model);
  const HostBatch b = make_batch(32, 500, o.model.vocab_size, 21);
  std::vector<float> gc(L.total()), gg(L.total());
  const double lc = p.cpu->loss_and_gradients(b.view(), gc.data());
  const double lg = p.gpu->loss_and_gradients(b.view(), gg.data());
  EXPECT_NEAR(lg, lc, 1e-5 * std::fabs(lc));
  expect_grads_close(L, gc, gg);

  p.cpu->train_step(b.view());
  p.gpu->train_step(b.view());
  const TrainState sc = p.cpu->get_state(), sg = p.gpu->get_state();
  EXPECT_EQ(sg.step, 1);
  for (const TensorInfo& t : L.tensors()) {
    // A tenth of Adam's step (lr 1e-3): a gradient within float noise of zero may take either
    // sign's step, but never one of normal size.
    EXPECT_TRUE(all_close(sc.params.data() + t.offset, sg.params.data() + t.offset, t.size, 1e-4,
                          1e-4, std::string("params ") + t.name));
    // m = (1 - beta1) * clipped gradient after one step: the gradient's tolerance.
    const float scale = test::max_abs(sc.m.data() + t.offset, t.size);
    EXPECT_TRUE(all_close(sc.m.data() + t.offset, sg.m.data() + t.offset, t.size,
                          1e-4 * scale + 1e-12, 2e-3, std::string("m ") + t.name));
  }
}

TEST(CudaBackend, TenStepsMatchCpu) {
  SENTI_REQUIRE_GPU();
  const BackendOptions o = small_options();
  Pair p(o);
  for (int step = 0; step < 10; ++step) {
    const HostBatch b = make_batch(16, 60, o.model.vocab_size, 100 + step);
    p.cpu->train_step(b.view());
    p.gpu->train_step(b.view());
    const Metrics mc = p.cpu->take_metrics(), mg = p.gpu->take_metrics();
    EXPECT_EQ(mg.count, mc.count) << "step " << step;
    EXPECT_NEAR(mg.loss_sum, mc.loss_sum, 1e-4 * mc.loss_sum) << "step " << step;
  }
  const TrainState sc = p.cpu->get_state(), sg = p.gpu->get_state();
  EXPECT_EQ(sg.step, 10);
  EXPECT_EQ(sc.step, sg.step);
  // Ten steps of lr 1e-3 move a parameter by at most ~1e-2; allow a tenth of one step's size.
  const ParamLayout L(o.model);
  for (const TensorInfo& t : L.tensors())
    EXPECT_TRUE(all_close(sc.params.data() + t.offset, sg.params.data() + t.offset, t.size, 1e-4,
                          1e-3, t.name));
}

TEST(CudaBackend, GlobalClipnormStepMatchesCpu) {
  SENTI_REQUIRE_GPU();
  BackendOptions o = small_options();
  o.optimizer.clipnorm = 0.f;
  o.optimizer.global_clipnorm = 0.05f;
  Pair p(o);
  const HostBatch b = make_batch(12, 41, o.model.vocab_size, 7);
  p.cpu->train_step(b.view());
  p.gpu->train_step(b.view());
  const TrainState sc = p.cpu->get_state(), sg = p.gpu->get_state();
  EXPECT_TRUE(all_close(sc.params, sg.params, 1e-5, 1e-4, "params after one global-clip step"));
  EXPECT_TRUE(all_close(sc.m, sg.m, 1e-7, 1e-2, "m"));
}

TEST(CudaBackend, EvalProbabilitiesAndMetricsMatchCpu) {
  SENTI_REQUIRE_GPU();
  const BackendOptions o = small_options();
  Pair p(o, 3);
  const HostBatch b = make_batch(16, 60, o.model.vocab_size, 9);
  std::vector<float> pc(16), pg(16);
  p.cpu->eval_step(b.view(), pc.data());
  p.gpu->eval_step(b.view(), pg.data());
  EXPECT_TRUE(all_close(pc, pg, 1e-6, 1e-4, "probabilities"));
  p.gpu->eval_step(b.view(), nullptr);  // no probabilities: asynchronous path
  const Metrics mg = p.gpu->take_metrics(), mc = p.cpu->take_metrics();
  EXPECT_EQ(mg.count, 2 * mc.count);
  EXPECT_NEAR(mg.loss_sum, 2 * mc.loss_sum, 1e-5 * mc.loss_sum);
  EXPECT_EQ(p.gpu->take_metrics().count, 0) << "take_metrics resets";
}

// Evaluation without probabilities never waits for the device: several batches in a row go through
// both slots, so each copy must wait until the compute that read its slot two batches ago is done.
TEST(CudaBackend, BackToBackEvalStepsMatchCpu) {
  SENTI_REQUIRE_GPU();
  const BackendOptions o = small_options();
  Pair p(o, 4);
  for (int k = 0; k < 5; ++k) {
    const HostBatch b = make_batch(16 - k, 60 - 7 * k, o.model.vocab_size, 500 + k);
    p.cpu->eval_step(b.view(), nullptr);
    p.gpu->eval_step(b.view(), nullptr);
  }
  const Metrics mc = p.cpu->take_metrics(), mg = p.gpu->take_metrics();
  EXPECT_EQ(mg.count, mc.count);
  EXPECT_EQ(mg.correct, mc.correct);
  EXPECT_NEAR(mg.loss_sum, mc.loss_sum, 1e-5 * mc.loss_sum);
}

TEST(CudaBackend, StateRoundTripIsExact) {
  SENTI_REQUIRE_GPU();
  const BackendOptions o = small_options();
  auto gpu = make_cuda_backend(o);
  const size_t P = ParamLayout(o.model).total();
  TrainState s;
  s.params = test::random_floats(P, -1.f, 1.f, 1);
  s.m = test::random_floats(P, -1.f, 1.f, 2);
  s.v = test::random_floats(P, 0.f, 1.f, 3);
  s.step = 12345;
  gpu->set_state(s);
  const TrainState r = gpu->get_state();
  EXPECT_EQ(r.step, s.step);
  EXPECT_EQ(0, std::memcmp(r.params.data(), s.params.data(), P * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(r.m.data(), s.m.data(), P * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(r.v.data(), s.v.data(), P * sizeof(float)));
}

std::vector<float> run_steps(const BackendOptions& o, int steps) {
  auto gpu = make_cuda_backend(o);
  gpu->set_state(init_train_state(o.model, 5));
  for (int s = 0; s < steps; ++s) gpu->train_step(make_batch(16, 60, o.model.vocab_size, 50 + s).view());
  TrainState st = gpu->get_state();
  std::vector<float> all = st.params;
  all.insert(all.end(), st.m.begin(), st.m.end());
  all.insert(all.end(), st.v.begin(), st.v.end());
  return all;
}

TEST(CudaBackend, TwoRunsAreBitIdentical) {
  SENTI_REQUIRE_GPU();
  const BackendOptions o = small_options();
  const auto a = run_steps(o, 5), b = run_steps(o, 5);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));

  auto gpu = make_cuda_backend(o);
  const HostBatch batch = make_batch(16, 60, o.model.vocab_size, 77);
  const size_t P = ParamLayout(o.model).total();
  std::vector<float> g1(P), g2(P);
  gpu->loss_and_gradients(batch.view(), g1.data());
  gpu->loss_and_gradients(batch.view(), g2.data());
  EXPECT_EQ(0, std::memcmp(g1.data(), g2.data(), P * sizeof(float)));
}

// When train_step returns the backend no longer reads the batch memory: scribbling over it right
// away must not change the result.
TEST(CudaBackend, BatchMemoryIsFreeWhenTrainStepReturns) {
  SENTI_REQUIRE_GPU();
  const BackendOptions o = small_options();
  const int steps = 6;
  std::vector<HostBatch> batches;
  for (int s = 0; s < steps; ++s) batches.push_back(make_batch(16, 60, o.model.vocab_size, 300 + s));

  auto reference = make_cuda_backend(o);
  for (const HostBatch& b : batches) reference->train_step(b.view());

  auto gpu = make_cuda_backend(o);
  const size_t id_bytes = sizeof(int32_t) * 16 * 60, label_bytes = sizeof(float) * 16;
  HostBuffer ids = gpu->alloc_host(id_bytes), labels = gpu->alloc_host(label_bytes);
  for (const HostBatch& b : batches) {
    std::memcpy(ids.get(), b.ids.data(), id_bytes);
    std::memcpy(labels.get(), b.labels.data(), label_bytes);
    gpu->train_step(Batch{static_cast<int32_t*>(ids.get()), static_cast<float*>(labels.get()),
                          b.lengths.data(), 16, 60});
    std::memset(ids.get(), 0x55, id_bytes);  // garbage ids (out of range) and labels
    std::memset(labels.get(), 0x55, label_bytes);
  }
  const TrainState a = reference->get_state(), c = gpu->get_state();
  EXPECT_EQ(0, std::memcmp(a.params.data(), c.params.data(), a.params.size() * sizeof(float)));
  EXPECT_EQ(reference->take_metrics().loss_sum, gpu->take_metrics().loss_sum);
}

TEST(CudaBackend, ChangingBatchShapesMatchCpu) {
  SENTI_REQUIRE_GPU();
  const BackendOptions o = small_options();
  Pair p(o, 8);
  const ParamLayout L(o.model);
  const int shapes[][2] = {{16, 60}, {3, 60}, {16, 17}, {1, 1}, {16, 60}};
  int k = 0;
  for (const auto& s : shapes) {
    const HostBatch b = make_batch(s[0], s[1], o.model.vocab_size, 900 + k++);
    std::vector<float> gc(L.total()), gg(L.total());
    const double lc = p.cpu->loss_and_gradients(b.view(), gc.data());
    const double lg = p.gpu->loss_and_gradients(b.view(), gg.data());
    SCOPED_TRACE(testing::Message() << "B=" << s[0] << " T=" << s[1]);
    EXPECT_NEAR(lg, lc, 1e-5 * std::fabs(lc));
    expect_grads_close(L, gc, gg);
  }
}

// describe() names the device and the LSTM layer; the test log shows which LSTM ran (on the
// emulated device: the CPU stand-in, as cuDNN is not emulated).
TEST(CudaBackend, DescribeNamesDeviceAndLstm) {
  SENTI_REQUIRE_GPU();
  auto gpu = make_cuda_backend(small_options());
  const std::string d = gpu->describe();
  std::cout << "[ backend  ] " << d << "\n";
  RecordProperty("backend", d);
  EXPECT_EQ(d.rfind("cuda (", 0), 0u) << d;
  EXPECT_NE(d.find("LSTM: fused"), std::string::npos) << d;  // --lstm auto = fused, both builds
}

TEST(CudaBackend, StepTimingsAndProfilerHooks) {
  SENTI_REQUIRE_GPU();
  const BackendOptions o = small_options();
  auto gpu = make_cuda_backend(o);
  const HostBatch b = make_batch(16, 60, o.model.vocab_size, 1);
  Backend::StepTimings t;
  gpu->train_step(b.view());
  EXPECT_FALSE(gpu->last_step_timings(&t)) << "timing is off by default";
  gpu->set_step_timing(true);
  gpu->profiler_range(true);
  gpu->train_step(b.view());
  gpu->profiler_range(false);
  ASSERT_TRUE(gpu->last_step_timings(&t));
  EXPECT_GE(t.copy_ms, 0.f);
  EXPECT_GT(t.forward_ms, 0.f);
  EXPECT_GT(t.backward_ms, 0.f);
  EXPECT_GT(t.optimizer_ms, 0.f);
}

TEST(CudaBackend, RejectsBadBatches) {
  SENTI_REQUIRE_GPU();
  const BackendOptions o = small_options();
  auto gpu = make_cuda_backend(o);
  HostBatch b = make_batch(4, 10, o.model.vocab_size, 1);
  b.ids[7] = o.model.vocab_size;  // one past the table
  EXPECT_THROW(gpu->train_step(b.view()), Error);
  b = make_batch(17, 10, o.model.vocab_size, 1);  // more than max_batch
  EXPECT_THROW(gpu->train_step(b.view()), Error);
  b = make_batch(4, 61, o.model.vocab_size, 1);  // longer than maxlen
  EXPECT_THROW(gpu->eval_step(b.view(), nullptr), Error);
}

}  // namespace
}  // namespace senti
