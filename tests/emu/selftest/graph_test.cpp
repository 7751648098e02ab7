// CUDA graphs by stream capture on the emulated device: nothing runs while capturing, a replay
// reads pinned inputs when it runs, forks and joins across streams, and the calls CUDA refuses
// during a capture are refused.
#include <gtest/gtest.h>

#include <vector>

#include "emu_kernels.h"
#include "emu_test_util.h"
#include "engine/cuda/stream.h"

namespace senti::emu_test {
namespace {

constexpr int kN = 512;

struct GraphOwner {  // RAII for the graph objects
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  ~GraphOwner() {
    if (exec) cudaGraphExecDestroy(exec);
    if (graph) cudaGraphDestroy(graph);
  }
};

TEST(EmuGraphs, CaptureRecordsAndReplayReadsPinnedInputsWhenItRuns) {
  cuda::Stream s;
  cuda::PinnedBuffer<float> in(kN), out(kN);
  cuda::DeviceBuffer<float> a(kN), b(kN);
  for (int i = 0; i < kN; ++i) out.get()[i] = -7.f;
  GraphOwner g;
  ASSERT_EQ(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal), cudaSuccess);
  cudaStreamCaptureStatus status;
  ASSERT_EQ(cudaStreamIsCapturing(s, &status), cudaSuccess);
  EXPECT_EQ(status, cudaStreamCaptureStatusActive);
  SENTI_CUDA_CHECK(cudaMemcpyAsync(a.get(), in.get(), a.bytes(), cudaMemcpyHostToDevice, s));
  scale_add(a.get(), b.get(), kN, 2.f, 1.f, s);
  SENTI_CUDA_CHECK(cudaMemcpyAsync(out.get(), b.get(), b.bytes(), cudaMemcpyDeviceToHost, s));
  ASSERT_EQ(cudaStreamEndCapture(s, &g.graph), cudaSuccess);
  size_t nodes = 0;
  ASSERT_EQ(cudaGraphGetNodes(g.graph, nullptr, &nodes), cudaSuccess);
  EXPECT_EQ(nodes, 3u) << "copy in, kernel, copy out";
  cudaGraphNode_t handles[4] = {};
  size_t room = 4;
  ASSERT_EQ(cudaGraphGetNodes(g.graph, handles, &room), cudaSuccess);
  EXPECT_EQ(room, 3u);
  EXPECT_NE(handles[2], nullptr);
  ASSERT_EQ(cudaGraphInstantiate(&g.exec, g.graph, 0), cudaSuccess);
  s.synchronize();
  EXPECT_EQ(out.get()[0], -7.f) << "capturing ran nothing";
  for (int replay = 0; replay < 3; ++replay) {
    for (int i = 0; i < kN; ++i) in.get()[i] = static_cast<float>(i + replay);
    ASSERT_EQ(cudaGraphLaunch(g.exec, s), cudaSuccess);
    s.synchronize();
    for (int i = 0; i < kN; i += 97) ASSERT_EQ(out.get()[i], 2.f * (i + replay) + 1.f) << replay;
  }
}

void capture_fork_join(bool join, cudaError_t expect_end) {
  cuda::Stream s1, s2;
  cuda::Event forked, done;
  cuda::DeviceBuffer<float> a(kN), b(kN), c(kN);
  SENTI_CUDA_CHECK(cudaMemset(a.get(), 0, a.bytes()));
  SENTI_CUDA_CHECK(cudaDeviceSynchronize());
  GraphOwner g;
  ASSERT_EQ(cudaStreamBeginCapture(s1, cudaStreamCaptureModeGlobal), cudaSuccess);
  scale_add(a.get(), b.get(), kN, 1.f, 1.f, s1);  // b = 1
  forked.record(s1);
  forked.wait_on(s2);                              // s2 joins the capture
  scale_add(b.get(), c.get(), kN, 1.f, 1.f, s2);  // c = 2, on the forked stream
  done.record(s2);
  if (join) done.wait_on(s1);
  scale_add(b.get(), a.get(), kN, 3.f, 0.f, s1);  // a = 3, concurrent with the fork
  ASSERT_EQ(cudaStreamEndCapture(s1, &g.graph), expect_end);
  cudaGetLastError();
  if (expect_end != cudaSuccess) return;
  ASSERT_EQ(cudaGraphInstantiate(&g.exec, g.graph), cudaSuccess);
  ASSERT_EQ(cudaGraphLaunch(g.exec, s1), cudaSuccess);
  s1.synchronize();
  EXPECT_EQ(test::to_host(c)[5], 2.f);
  EXPECT_EQ(test::to_host(a)[5], 3.f);
}

TEST(EmuGraphs, ForkAndJoinAcrossStreams) { capture_fork_join(true, cudaSuccess); }

TEST(EmuGraphs, UnjoinedForkIsRefused) { capture_fork_join(false, cudaErrorStreamCaptureUnjoined); }

TEST(EmuGraphs, SynchronisingDuringCaptureInvalidatesIt) {
  cuda::Stream s;
  cuda::DeviceBuffer<float> a(kN), b(kN);
  GraphOwner g;
  ASSERT_EQ(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal), cudaSuccess);
  scale_add(a.get(), b.get(), kN, 1.f, 0.f, s);
  EXPECT_EQ(cudaStreamSynchronize(s), cudaErrorStreamCaptureUnsupported);
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, 16), cudaErrorStreamCaptureUnsupported);
  EXPECT_EQ(cudaStreamEndCapture(s, &g.graph), cudaErrorStreamCaptureInvalidated);
  EXPECT_EQ(g.graph, nullptr);
  cudaGetLastError();
}

TEST(EmuGraphs, PageableCopiesAreRefusedDuringCapture) {
  cuda::Stream s;
  cuda::DeviceBuffer<float> a(kN);
  std::vector<float> host(kN);
  GraphOwner g;
  ASSERT_EQ(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal), cudaSuccess);
  EXPECT_EQ(cudaMemcpyAsync(a.get(), host.data(), a.bytes(), cudaMemcpyHostToDevice, s),
            cudaErrorStreamCaptureUnsupported);
  EXPECT_EQ(cudaStreamEndCapture(s, &g.graph), cudaErrorStreamCaptureInvalidated);
  cudaGetLastError();
}

TEST(EmuGraphs, LegacyStreamWorkWhileABlockingStreamCapturesIsRefused) {
  cudaStream_t s;
  ASSERT_EQ(cudaStreamCreate(&s), cudaSuccess);  // blocking
  cuda::DeviceBuffer<float> a(kN);
  GraphOwner g;
  ASSERT_EQ(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed), cudaSuccess);
  EXPECT_EQ(cudaMemsetAsync(a.get(), 0, a.bytes(), nullptr), cudaErrorStreamCaptureImplicit);
  EXPECT_EQ(cudaStreamEndCapture(s, &g.graph), cudaErrorStreamCaptureInvalidated);
  ASSERT_EQ(cudaStreamDestroy(s), cudaSuccess);
  cudaGetLastError();
}

}  // namespace
}  // namespace senti::emu_test
