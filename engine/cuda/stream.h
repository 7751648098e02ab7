#pragma once
// RAII CUDA stream and event.
#include <utility>

#include <cuda_runtime_api.h>

#include "kernels/cuda_check.h"

namespace senti::cuda {

// A non-blocking stream: it never synchronises implicitly with the legacy default stream.
class Stream {
 public:
  Stream() { SENTI_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  ~Stream() {
    if (s_) cudaStreamDestroy(s_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream(Stream&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}

  cudaStream_t get() const { return s_; }
  operator cudaStream_t() const { return s_; }
  void synchronize() const { SENTI_CUDA_CHECK(cudaStreamSynchronize(s_)); }

 private:
  cudaStream_t s_ = nullptr;
};

class Event {
 public:
  // timing = false gives the cheaper cudaEventDisableTiming event used for ordering only.
  explicit Event(bool timing = false) {
    SENTI_CUDA_CHECK(cudaEventCreateWithFlags(&e_, timing ? cudaEventDefault : cudaEventDisableTiming));
  }
  ~Event() {
    if (e_) cudaEventDestroy(e_);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&& o) noexcept : e_(std::exchange(o.e_, nullptr)) {}

  cudaEvent_t get() const { return e_; }
  void record(cudaStream_t s) { SENTI_CUDA_CHECK(cudaEventRecord(e_, s)); }
  void synchronize() const { SENTI_CUDA_CHECK(cudaEventSynchronize(e_)); }
  // Makes `s` wait (on the device) for the work captured by the last record().
  void wait_on(cudaStream_t s) const { SENTI_CUDA_CHECK(cudaStreamWaitEvent(s, e_, 0)); }
  // Milliseconds between two recorded timing events (both must have completed).
  static float elapsed_ms(const Event& from, const Event& to) {
    float ms = 0.f;
    SENTI_CUDA_CHECK(cudaEventElapsedTime(&ms, from.e_, to.e_));
    return ms;
  }

 private:
  cudaEvent_t e_ = nullptr;
};

}  // namespace senti::cuda
