// engine/cuda/device_allreduce.h on a real GPU: NCCL. One communicator over the job's ranks (the
// unique id from rank 0, broadcast over the host Collective), two ncclAllReduce (sum) in one group
// on the compute stream: the gradient (float) and the sparse embedding norm's sum (double). NCCL
// operations can be captured into a CUDA graph (NCCL >= 2.9), so the backend's step graphs keep the
// allreduce inside. Built when CMake finds NCCL (SENTI_HAVE_NCCL, engine/CMakeLists.txt); without
// it the constructor says so.
#include "engine/cuda/device_allreduce.h"

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "kernels/common/error.h"
#include "kernels/cuda_check.h"

#if SENTI_HAVE_NCCL
#include <nccl.h>

// NCCL's members of the error-macro family (kernels/cuda_check.h, engine/cuda/library_check.h):
// "file:line: call failed: name: NCCL's last error text".
#define SENTI_NCCL_CHECK(call)                                                              \
  do {                                                                                      \
    const ncclResult_t senti_r_ = (call);                                                   \
    if (senti_r_ != ncclSuccess)                                                            \
      ::senti::cuda_detail::throw_status(#call, __FILE__, __LINE__,                         \
                                         ncclGetErrorString(senti_r_), ncclGetLastError(nullptr)); \
  } while (0)
#endif

namespace senti::cuda {

#if SENTI_HAVE_NCCL
namespace {

// SENTI_NCCL_TIMEOUT_S: the longest a wait for queued work may take before the job is declared
// stuck (a peer that died without NCCL noticing leaves the others' kernels spinning forever).
double nccl_timeout_s() {
  const char* v = std::getenv("SENTI_NCCL_TIMEOUT_S");
  if (!v || !*v) return 60.0;
  char* end = nullptr;
  const double s = std::strtod(v, &end);
  SENTI_CHECK(end && *end == '\0' && s > 0, "SENTI_NCCL_TIMEOUT_S='", v,
              "': expected a positive number of seconds");
  return s;
}

}  // namespace

struct DeviceAllreduce::Impl {
  cudaStream_t stream = nullptr;
  ncclComm_t comm = nullptr;
  cudaEvent_t step_done = nullptr;  // recorded after the last queued step (step_queued)
  cudaEvent_t now = nullptr;        // synchronize()'s marker
  double timeout_s = 60.0;
  std::string version;

  ~Impl() {
    if (comm) ncclCommDestroy(comm);
    if (step_done) cudaEventDestroy(step_done);
    if (now) cudaEventDestroy(now);
  }

  // Polls until `e` has completed. A NCCL error or the timeout aborts the communicator (which also
  // releases this rank's kernels still waiting for the dead peer) and throws.
  void wait(cudaEvent_t e) {
    SENTI_CHECK(comm, "NCCL: the communicator was aborted after an earlier error");
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      const cudaError_t q = cudaEventQuery(e);
      if (q == cudaSuccess) return;
      if (q != cudaErrorNotReady) SENTI_CUDA_CHECK(q);
      ncclResult_t async = ncclSuccess;
      SENTI_NCCL_CHECK(ncclCommGetAsyncError(comm, &async));
      if (async != ncclSuccess && async != ncclInProgress) {
        const std::string why = std::string(ncclGetErrorString(async)) + ": " +
                                ncclGetLastError(comm);
        abort();
        SENTI_FAIL("NCCL reported an error during the gradient allreduce (a rank died or its "
                   "link failed): ", why);
      }
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                                .count();
      if (waited > timeout_s) {
        abort();
        SENTI_FAIL("NCCL: the queued step did not finish in ", timeout_s,
                   " s (SENTI_NCCL_TIMEOUT_S): a rank stopped taking part in the gradient "
                   "allreduce");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  void abort() {
    ncclCommAbort(comm);
    comm = nullptr;
  }
};

DeviceAllreduce::DeviceAllreduce(Collective& world, cudaStream_t stream)
    : impl_(std::make_unique<Impl>()) {
  impl_->stream = stream;
  impl_->timeout_s = nccl_timeout_s();
  int v = 0;
  SENTI_NCCL_CHECK(ncclGetVersion(&v));
  // NCCL_VERSION_CODE >= 2.9: major * 10000 + minor * 100 + patch.
  impl_->version = "NCCL " + std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) +
                   "." + std::to_string(v % 100);
  ncclUniqueId id{};
  if (world.rank() == 0) SENTI_NCCL_CHECK(ncclGetUniqueId(&id));
  world.broadcast(&id, sizeof(id), 0);
  SENTI_NCCL_CHECK(ncclCommInitRank(&impl_->comm, world.size(), id, world.rank()));
  SENTI_CUDA_CHECK(cudaEventCreateWithFlags(&impl_->step_done, cudaEventDisableTiming));
  SENTI_CUDA_CHECK(cudaEventCreateWithFlags(&impl_->now, cudaEventDisableTiming));
}

DeviceAllreduce::~DeviceAllreduce() = default;

void DeviceAllreduce::sum(float* grads, size_t n, double* sumsq) {
  SENTI_CHECK(impl_->comm, "NCCL: the communicator was aborted after an earlier error");
  ncclComm_t comm = impl_->comm;
  cudaStream_t s = impl_->stream;
  SENTI_NCCL_CHECK(ncclGroupStart());
  // The group is closed whatever happens inside it (a failed call under graph capture falls back
  // to an eager step, which opens a new group).
  struct GroupEnd {
    bool open = true;
    ~GroupEnd() {
      if (open) ncclGroupEnd();
    }
  } group;
  SENTI_NCCL_CHECK(ncclAllReduce(grads, grads, n, ncclFloat, ncclSum, comm, s));
  if (sumsq) SENTI_NCCL_CHECK(ncclAllReduce(sumsq, sumsq, 1, ncclDouble, ncclSum, comm, s));
  group.open = false;
  SENTI_NCCL_CHECK(ncclGroupEnd());
}

void DeviceAllreduce::synchronize() {
  SENTI_CUDA_CHECK(cudaEventRecord(impl_->now, impl_->stream));
  impl_->wait(impl_->now);
}

void DeviceAllreduce::step_queued() {
  impl_->wait(impl_->step_done);  // the previous step (an event never recorded is complete)
  SENTI_CUDA_CHECK(cudaEventRecord(impl_->step_done, impl_->stream));
}

std::string DeviceAllreduce::describe() const { return impl_->version; }

#else  // no NCCL in this build

struct DeviceAllreduce::Impl {};

DeviceAllreduce::DeviceAllreduce(Collective& world, cudaStream_t) {
  SENTI_FAIL("data-parallel training on the CUDA backend needs NCCL, and this senti was built "
             "without it (", world.describe(), "): install NCCL where CMake finds it (nccl.h, "
             "libnccl) and rebuild, or train with --device cpu");
}
DeviceAllreduce::~DeviceAllreduce() = default;
void DeviceAllreduce::sum(float*, size_t, double*) {}
void DeviceAllreduce::synchronize() {}
void DeviceAllreduce::step_queued() {}
std::string DeviceAllreduce::describe() const { return "no NCCL"; }

#endif

}  // namespace senti::cuda
