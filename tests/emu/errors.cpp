// Emulated CUDA device: error state, names and strings. As in CUDA, each host thread has a last
// error (cudaGetLastError returns and clears it) and a device fault is sticky: every later call
// returns it until cudaDeviceReset. cudaGetErrorString appends the emulator's detail for the error
// it last reported ("invalid argument [senti-emu: cudaMemcpy: dst ... is not device memory]"), so
// SENTI_CUDA_CHECK messages say what was wrong.
#include <cstdio>
#include <string>

#include "runtime.h"

namespace senti::emu {
namespace {

struct ErrorInfo {
  cudaError_t code;
  const char* name;
  const char* text;
};

constexpr ErrorInfo kErrors[] = {
    {cudaSuccess, "cudaSuccess", "no error"},
    {cudaErrorInvalidValue, "cudaErrorInvalidValue", "invalid argument"},
    {cudaErrorMemoryAllocation, "cudaErrorMemoryAllocation", "out of memory"},
    {cudaErrorInitializationError, "cudaErrorInitializationError", "initialization error"},
    {cudaErrorInvalidConfiguration, "cudaErrorInvalidConfiguration",
     "invalid configuration argument"},
    {cudaErrorInvalidSymbol, "cudaErrorInvalidSymbol", "invalid device symbol"},
    {cudaErrorInvalidHostPointer, "cudaErrorInvalidHostPointer", "invalid host pointer"},
    {cudaErrorInvalidDevicePointer, "cudaErrorInvalidDevicePointer", "invalid device pointer"},
    {cudaErrorInvalidMemcpyDirection, "cudaErrorInvalidMemcpyDirection",
     "invalid copy direction for memcpy"},
    {cudaErrorInsufficientDriver, "cudaErrorInsufficientDriver",
     "CUDA driver version is insufficient for CUDA runtime version"},
    {cudaErrorInvalidDeviceFunction, "cudaErrorInvalidDeviceFunction", "invalid device function"},
    {cudaErrorNoDevice, "cudaErrorNoDevice", "no CUDA-capable device is detected"},
    {cudaErrorInvalidDevice, "cudaErrorInvalidDevice", "invalid device ordinal"},
    {cudaErrorInvalidResourceHandle, "cudaErrorInvalidResourceHandle", "invalid resource handle"},
    {cudaErrorIllegalState, "cudaErrorIllegalState",
     "the operation cannot be performed in the present state"},
    {cudaErrorNotReady, "cudaErrorNotReady", "device not ready"},
    {cudaErrorIllegalAddress, "cudaErrorIllegalAddress",
     "an illegal memory access was encountered"},
    {cudaErrorLaunchOutOfResources, "cudaErrorLaunchOutOfResources",
     "too many resources requested for launch"},
    {cudaErrorLaunchTimeout, "cudaErrorLaunchTimeout",
     "the launch timed out and was terminated"},
    {cudaErrorAssert, "cudaErrorAssert", "device-side assert triggered"},
    {cudaErrorHostMemoryAlreadyRegistered, "cudaErrorHostMemoryAlreadyRegistered",
     "part or all of the requested memory range is already mapped"},
    {cudaErrorHostMemoryNotRegistered, "cudaErrorHostMemoryNotRegistered",
     "pointer does not correspond to a registered memory region"},
    {cudaErrorIllegalInstruction, "cudaErrorIllegalInstruction",
     "an illegal instruction was encountered"},
    {cudaErrorLaunchFailure, "cudaErrorLaunchFailure", "unspecified launch failure"},
    {cudaErrorNotPermitted, "cudaErrorNotPermitted", "operation not permitted"},
    {cudaErrorNotSupported, "cudaErrorNotSupported", "operation not supported"},
    {cudaErrorStreamCaptureUnsupported, "cudaErrorStreamCaptureUnsupported",
     "operation not permitted when stream is capturing"},
    {cudaErrorStreamCaptureInvalidated, "cudaErrorStreamCaptureInvalidated",
     "operation failed due to a previous error during capture"},
    {cudaErrorStreamCaptureMerge, "cudaErrorStreamCaptureMerge",
     "operation would result in a merge of separate capture sequences"},
    {cudaErrorStreamCaptureUnmatched, "cudaErrorStreamCaptureUnmatched",
     "capture was not ended in the same stream as it began"},
    {cudaErrorStreamCaptureUnjoined, "cudaErrorStreamCaptureUnjoined",
     "capturing stream has unjoined work"},
    {cudaErrorStreamCaptureIsolation, "cudaErrorStreamCaptureIsolation",
     "dependency created on uncaptured work in another stream"},
    {cudaErrorStreamCaptureImplicit, "cudaErrorStreamCaptureImplicit",
     "operation would make the legacy stream depend on a capturing blocking stream"},
    {cudaErrorCapturedEvent, "cudaErrorCapturedEvent",
     "operation not permitted on an event last recorded in a capturing stream"},
    {cudaErrorStreamCaptureWrongThread, "cudaErrorStreamCaptureWrongThread",
     "attempt to terminate a thread-local capture sequence from another thread"},
    {cudaErrorUnknown, "cudaErrorUnknown", "unknown error"},
};

const ErrorInfo* find_error(cudaError_t e) {
  for (const ErrorInfo& i : kErrors)
    if (i.code == e) return &i;
  return nullptr;
}

thread_local cudaError_t t_last_error = cudaSuccess;
thread_local cudaError_t t_detail_code = cudaSuccess;  // the error t_detail explains
thread_local std::string t_detail;
cudaError_t g_sticky = cudaSuccess;  // guarded by the runtime mutex
std::string g_sticky_detail;

}  // namespace

cudaError_t fail(cudaError_t e, const std::string& detail) {
  t_last_error = e;
  t_detail_code = e;
  t_detail = detail;
  return e;
}

cudaError_t sticky_error() { return g_sticky; }

void raise_fault(const DeviceFault& fault) {
  if (g_sticky == cudaSuccess) {
    g_sticky = fault.code;
    g_sticky_detail = fault.message;
    std::fprintf(stderr, "senti-emu: device fault (%s): %s\n", find_error(fault.code)->name,
                 fault.message.c_str());
  }
  drop_pending_work();
}

void clear_errors() {
  g_sticky = cudaSuccess;
  g_sticky_detail.clear();
  t_last_error = cudaSuccess;
}

std::string last_fault() {
  Lock lock(runtime_mutex());
  return g_sticky_detail;
}

}  // namespace senti::emu

using namespace senti::emu;

cudaError_t cudaGetLastError() {
  Lock lock(runtime_mutex());
  if (g_sticky != cudaSuccess) return g_sticky;
  const cudaError_t e = t_last_error;
  t_last_error = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError() {
  Lock lock(runtime_mutex());
  return g_sticky != cudaSuccess ? g_sticky : t_last_error;
}

const char* cudaGetErrorName(cudaError_t e) {
  const ErrorInfo* i = find_error(e);
  return i ? i->name : "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t e) {
  const ErrorInfo* i = find_error(e);
  const char* text = i ? i->text : "unrecognized error code";
  std::string detail;
  {
    Lock lock(runtime_mutex());
    if (e != cudaSuccess && e == g_sticky) detail = g_sticky_detail;
    else if (e != cudaSuccess && e == t_detail_code) detail = t_detail;
  }
  if (detail.empty()) return text;
  thread_local std::string message;
  message = std::string(text) + " [senti-emu: " + detail + "]";
  return message.c_str();
}
