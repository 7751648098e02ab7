// Streams, events and host-memory rules on the emulated device. Work runs at synchronisation
// points in an adversarial order (always the runnable op enqueued last, by default), so a missing
// cudaStreamWaitEvent between two streams gives a wrong result here, as it may on a GPU.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "emu_kernels.h"
#include "emu_test_util.h"
#include "engine/cuda/stream.h"

namespace senti::emu_test {
namespace {

using test::to_device;
using test::to_host;

constexpr int kN = 1000;

// These tests show what the default policy (always the latest runnable op) catches, whatever
// SENTI_EMU_STREAM_ORDER says for the rest of the run.
struct LatestOrderScope {
  emu::StreamOrder before = emu::stream_order();
  LatestOrderScope() { emu::set_stream_order(emu::StreamOrder::Latest); }
  ~LatestOrderScope() { emu::set_stream_order(before); }
};

std::vector<float> ramp(float offset) {
  std::vector<float> v(kN);
  for (int i = 0; i < kN; ++i) v[i] = offset + static_cast<float>(i);
  return v;
}

// A copy stream uploads a batch into `in`, a compute stream computes out = 2*in + 1 from it: the
// senti pipeline in miniature. Returns whether `out` is right.
bool upload_then_compute(bool wait_for_copy) {
  cuda::Stream copy, compute;
  cuda::Event copied;
  cuda::PinnedBuffer<float> staging(kN);
  const std::vector<float> batch = ramp(5.f);
  std::copy(batch.begin(), batch.end(), staging.get());
  cuda::DeviceBuffer<float> in(kN), out(kN);
  SENTI_CUDA_CHECK(cudaMemcpyAsync(in.get(), staging.get(), in.bytes(), cudaMemcpyHostToDevice, copy));
  copied.record(copy);
  if (wait_for_copy) copied.wait_on(compute);
  scale_add(in.get(), out.get(), kN, 2.f, 1.f, compute);
  compute.synchronize();
  const std::vector<float> got = to_host(out);
  for (int i = 0; i < kN; ++i)
    if (got[i] != 2.f * batch[i] + 1.f) return false;
  return true;
}

// The planted defect: the compute stream does not wait for the copy stream.
TEST(EmuStreams, MissingCrossStreamWaitGivesAWrongResult) {
  LatestOrderScope latest;
  EXPECT_TRUE(upload_then_compute(true)) << "with cudaStreamWaitEvent";
  EXPECT_FALSE(upload_then_compute(false)) << "without it the kernel ran after the copy anyway";
}

// The other half of the pipeline: the copy stream must not overwrite a buffer the compute stream
// still reads (the next batch's upload waits for the previous step).
bool compute_then_reupload(bool wait_for_compute) {
  cuda::Stream copy, compute;
  cuda::Event consumed;
  cuda::PinnedBuffer<float> staging(kN);
  cuda::DeviceBuffer<float> in(kN), out(kN);
  const std::vector<float> first = ramp(1.f), second = ramp(1000.f);
  std::copy(first.begin(), first.end(), staging.get());
  SENTI_CUDA_CHECK(cudaMemcpyAsync(in.get(), staging.get(), in.bytes(), cudaMemcpyHostToDevice, copy));
  copy.synchronize();
  scale_add(in.get(), out.get(), kN, 1.f, 0.f, compute);
  consumed.record(compute);
  if (wait_for_compute) consumed.wait_on(copy);
  cuda::PinnedBuffer<float> staging2(kN);
  std::copy(second.begin(), second.end(), staging2.get());
  SENTI_CUDA_CHECK(cudaMemcpyAsync(in.get(), staging2.get(), in.bytes(), cudaMemcpyHostToDevice, copy));
  SENTI_CUDA_CHECK(cudaDeviceSynchronize());
  return to_host(out) == first;
}

TEST(EmuStreams, MissingWaitBeforeReusingAnInputBufferGivesAWrongResult) {
  LatestOrderScope latest;
  EXPECT_TRUE(compute_then_reupload(true));
  EXPECT_FALSE(compute_then_reupload(false));
}

TEST(EmuStreams, EveryOrderPolicyRunsCorrectCodeCorrectly) {
  const emu::StreamOrder before = emu::stream_order();
  for (emu::StreamOrder o : {emu::StreamOrder::Latest, emu::StreamOrder::Random, emu::StreamOrder::Fifo}) {
    emu::set_stream_order(o);
    EXPECT_TRUE(upload_then_compute(true)) << static_cast<int>(o);
    EXPECT_TRUE(compute_then_reupload(true)) << static_cast<int>(o);
  }
  emu::set_stream_order(emu::StreamOrder::Fifo);
  EXPECT_TRUE(upload_then_compute(false)) << "enqueue order hides the missing wait";
  emu::set_stream_order(before);
}

TEST(EmuStreams, LegacyStreamOrdersBlockingStreamsOnly) {
  LatestOrderScope latest;
  for (unsigned flags : {cudaStreamDefault, cudaStreamNonBlocking}) {
    cudaStream_t s;
    ASSERT_EQ(cudaStreamCreateWithFlags(&s, flags), cudaSuccess);
    auto in = to_device(ramp(1.f));
    cuda::DeviceBuffer<float> out(kN);
    scale_add(in.get(), out.get(), kN, 1.f, 0.f, s);                // on s
    ASSERT_EQ(cudaMemsetAsync(out.get(), 0, out.bytes(), nullptr), cudaSuccess);  // on stream 0
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    const float v = to_host(out)[7];
    if (flags == cudaStreamDefault) EXPECT_EQ(v, 0.f) << "stream 0 waited for the blocking stream";
    else EXPECT_EQ(v, 8.f) << "stream 0 did not wait for the non-blocking stream";
    ASSERT_EQ(cudaStreamDestroy(s), cudaSuccess);
  }
}

TEST(EmuStreams, EventsQueryAndElapsedTime) {
  cuda::Stream s;
  cuda::Event start(true), end(true), untimed;
  auto in = to_device(ramp(0.f));
  cuda::DeviceBuffer<float> out(kN);
  start.record(s);
  scale_add(in.get(), out.get(), kN, 3.f, 0.f, s);
  end.record(s);
  untimed.record(s);
  EXPECT_EQ(cudaEventQuery(end.get()), cudaErrorNotReady) << "work is deferred until synchronised";
  int polls = 0;
  while (cudaEventQuery(end.get()) == cudaErrorNotReady) ASSERT_LT(++polls, 100);  // polling progresses
  EXPECT_EQ(cudaEventElapsedTime(nullptr, start.get(), end.get()), cudaErrorInvalidValue);
  const float ms = cuda::Event::elapsed_ms(start, end);
  EXPECT_GE(ms, 0.f);
  float unused = 0;
  EXPECT_EQ(cudaEventElapsedTime(&unused, start.get(), untimed.get()), cudaErrorInvalidResourceHandle);
  untimed.synchronize();
  EXPECT_EQ(to_host(out)[10], 30.f);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidResourceHandle);
}

TEST(EmuStreams, PageableUploadsAreStagedAtTheCallPinnedOnesReadWhenTheyRun) {
  cuda::Stream s;
  cuda::DeviceBuffer<float> a(kN), b(kN);
  std::vector<float> pageable = ramp(1.f);
  cuda::PinnedBuffer<float> pinned(kN);
  std::copy(pageable.begin(), pageable.end(), pinned.get());
  SENTI_CUDA_CHECK(cudaMemcpyAsync(a.get(), pageable.data(), a.bytes(), cudaMemcpyHostToDevice, s));
  SENTI_CUDA_CHECK(cudaMemcpyAsync(b.get(), pinned.get(), b.bytes(), cudaMemcpyHostToDevice, s));
  pageable[3] = -1.f;  // after the call: not seen
  pinned.get()[3] = -1.f;  // before the copy ran: seen, as DMA from pinned memory would
  s.synchronize();
  EXPECT_EQ(to_host(a)[3], 4.f);
  EXPECT_EQ(to_host(b)[3], -1.f);
}

TEST(EmuStreams, DownloadToPageableMemoryIsDoneWhenTheCallReturns) {
  cuda::Stream s;
  auto d = to_device(ramp(2.f));
  std::vector<float> host(kN, 0.f);
  SENTI_CUDA_CHECK(cudaMemcpyAsync(host.data(), d.get(), d.bytes(), cudaMemcpyDeviceToHost, s));
  EXPECT_EQ(host[5], 7.f);
}

TEST(EmuStreams, CopiesMustMatchTheirPointers) {
  cuda::DeviceBuffer<float> d(kN), e(kN);
  std::vector<float> host(kN);
  EXPECT_EQ(cudaMemcpy(d.get(), e.get(), d.bytes(), cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  EXPECT_NE(std::string(cudaGetErrorString(cudaErrorInvalidValue)).find("device memory"),
            std::string::npos)
      << cudaGetErrorString(cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(d.get(), host.data(), d.bytes() + 4, cudaMemcpyHostToDevice),
            cudaErrorInvalidValue) << "past the end of the allocation";
  EXPECT_EQ(cudaMemcpy(host.data(), d.get(), d.bytes(), cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemset(host.data(), 0, 16), cudaErrorInvalidValue) << "memset of host memory";
  EXPECT_EQ(cudaFree(host.data()), cudaErrorInvalidDevicePointer);
  EXPECT_EQ(cudaMemcpy(d.get(), e.get(), d.bytes(), cudaMemcpyDeviceToDevice), cudaSuccess);
  cudaGetLastError();
}

TEST(EmuStreams, DestroyedStreamIsAnInvalidHandle) {
  cudaStream_t s;
  ASSERT_EQ(cudaStreamCreate(&s), cudaSuccess);
  ASSERT_EQ(cudaStreamDestroy(s), cudaSuccess);
  EXPECT_EQ(cudaStreamSynchronize(s), cudaErrorInvalidResourceHandle);
  cudaGetLastError();
}

}  // namespace
}  // namespace senti::emu_test
