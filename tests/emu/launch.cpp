// Emulated CUDA device: kernel launches. A launch is validated at the call like an sm_90 device's
// (the error goes to cudaGetLastError; nothing is queued):
//   cudaErrorInvalidConfiguration  a block of more than 1024 threads or beyond (1024, 1024, 64),
//                                  a grid beyond (2^31-1, 65535, 65535), a zero dimension
//   cudaErrorInvalidValue          dynamic shared memory above the kernel's limit: 48 KiB unless
//                                  raised by cudaFuncSetAttribute(MaxDynamicSharedMemorySize), which
//                                  accepts at most 227 KiB; parameters above 32 764 bytes
//   cudaErrorInvalidResourceHandle a stream that does not exist
// then queued on its stream (or recorded, during capture). Static __shared__ sizes are nvcc's to
// check (ptxas fails above 48 KiB); the emulator cannot see them.
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "kernel_record.h"
#include "runtime.h"
#include "senti_emu/launch.h"

namespace senti::emu {
namespace {

constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr unsigned kMaxBlock[3] = {1024, 1024, 64};
constexpr unsigned kMaxGrid[3] = {0x7fffffffu, 65535, 65535};
constexpr int kDefaultDynamicShared = 48 * 1024;
constexpr int kMaxDynamicShared = 227 * 1024;  // sharedMemPerBlockOptin on sm_90
constexpr size_t kMaxParamBytes = 32764;

std::map<const void*, int>& dynamic_limits() {
  static auto* m = new std::map<const void*, int>();
  return *m;
}

std::string dims(const dim3& d) {
  return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," + std::to_string(d.z) + ")";
}

}  // namespace

std::string short_path(const char* file) {
  const char* k = std::strstr(file, "/kernels/");
  const char* t = std::strstr(file, "/tests/");
  const char* cut = k ? k : t;
  return cut ? cut + 1 : file;
}

int max_dynamic_shared(const void* function) {
  auto it = dynamic_limits().find(function);
  return it == dynamic_limits().end() ? kDefaultDynamicShared : it->second;
}

void forget_function_attributes() { dynamic_limits().clear(); }

void submit_launch(KernelLaunch l) {
  Lock lock(runtime_mutex());
  if (sticky_error()) return;
  const std::string at = short_path(l.site.file) + ":" + std::to_string(l.site.line) + " in " +
                         (l.site.function ? l.site.function : "?");
  const unsigned g[3] = {l.grid.x, l.grid.y, l.grid.z}, b[3] = {l.block.x, l.block.y, l.block.z};
  for (int i = 0; i < 3; ++i) {
    if (g[i] == 0 || g[i] > kMaxGrid[i]) {
      fail(cudaErrorInvalidConfiguration, "launch at " + at + ": grid " + dims(l.grid) +
                                              " outside [1, (2147483647, 65535, 65535)]");
      return;
    }
    if (b[i] == 0 || b[i] > kMaxBlock[i]) {
      fail(cudaErrorInvalidConfiguration, "launch at " + at + ": block " + dims(l.block) +
                                              " outside [1, (1024, 1024, 64)]");
      return;
    }
  }
  if (uint64_t{b[0]} * b[1] * b[2] > kMaxThreadsPerBlock) {
    fail(cudaErrorInvalidConfiguration,
         "launch at " + at + ": block " + dims(l.block) + " has " +
             std::to_string(uint64_t{b[0]} * b[1] * b[2]) + " threads, more than 1024");
    return;
  }
  const int limit = max_dynamic_shared(l.function);
  if (l.dynamic_shared > static_cast<size_t>(limit)) {
    fail(cudaErrorInvalidValue,
         "launch at " + at + ": " + std::to_string(l.dynamic_shared) +
             " bytes of dynamic shared memory, above the kernel's limit of " +
             std::to_string(limit) +
             (limit == kDefaultDynamicShared
                  ? " (raise it with cudaFuncSetAttribute(kernel, "
                    "cudaFuncAttributeMaxDynamicSharedMemorySize, bytes), up to 227 KiB)"
                  : ""));
    return;
  }
  if (l.param_bytes > kMaxParamBytes) {
    fail(cudaErrorInvalidValue, "launch at " + at + ": kernel parameters take " +
                                    std::to_string(l.param_bytes) + " bytes (at most 32764)");
    return;
  }
  CUstream_st* s = nullptr;
  if (resolve_stream(l.stream, &s) != cudaSuccess) return;
  auto rec = std::make_shared<KernelRecord>();
  rec->grid = l.grid;
  rec->block = l.block;
  rec->dynamic_shared = l.dynamic_shared;
  rec->invoke = l.invoke;
  rec->closure = std::move(l.closure);
  rec->site = at;
  rec->pointer_params = std::move(l.pointer_params);
  submit(s, {"kernel launched at " + at + " grid " + dims(l.grid) + " block " + dims(l.block),
             [rec] { run_kernel(*rec); }});
}

}  // namespace senti::emu

using namespace senti::emu;

cudaError_t cudaFuncSetAttribute(const void* func, cudaFuncAttribute attr, int value) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  if (!func) return fail(cudaErrorInvalidDeviceFunction, "cudaFuncSetAttribute: null function");
  switch (attr) {
    case cudaFuncAttributeMaxDynamicSharedMemorySize:
      if (value < 0 || value > kMaxDynamicShared)
        return fail(cudaErrorInvalidValue,
                    "cudaFuncSetAttribute(MaxDynamicSharedMemorySize, " + std::to_string(value) +
                        "): at most 232448 bytes (227 KiB) on sm_90");
      dynamic_limits()[func] = value;
      return cudaSuccess;
    case cudaFuncAttributePreferredSharedMemoryCarveout:
      if (value < -1 || value > 100)
        return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute(PreferredSharedMemoryCarveout)");
      return cudaSuccess;
  }
  return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: attribute not emulated");
}
