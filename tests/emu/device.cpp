// Emulated CUDA device: one device shaped like an NVIDIA H200 (sm_90, 132 SMs, 227 KiB opt-in
// shared memory per block), its properties, versions, reset, and the environment knobs.
// SENTI_EMU_NO_DEVICE=1 makes it report no device, to test the no-GPU paths.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "runtime.h"

namespace senti::emu {

uint64_t env_seed() {
  static const uint64_t seed = [] {
    const char* v = std::getenv("SENTI_EMU_SEED");
    return v && *v ? std::strtoull(v, nullptr, 0) : uint64_t{20240607};
  }();
  return seed;
}

int env_watchdog_seconds() {
  static const int s = [] {
    const char* v = std::getenv("SENTI_EMU_WATCHDOG_S");
    const int n = v ? std::atoi(v) : 0;
    return n > 0 ? n : 120;
  }();
  return s;
}

namespace {

bool no_device() {
  const char* v = std::getenv("SENTI_EMU_NO_DEVICE");
  return v && std::strcmp(v, "1") == 0;
}

cudaDeviceProp h200() {
  cudaDeviceProp p;
  std::memset(&p, 0, sizeof p);
  std::snprintf(p.name, sizeof p.name, "senti emulated CUDA device (H200-shaped)");
  p.totalGlobalMem = size_t{141} << 30;
  p.sharedMemPerBlock = 48 * 1024;
  p.regsPerBlock = 65536;
  p.warpSize = 32;
  p.memPitch = 2147483647;
  p.maxThreadsPerBlock = 1024;
  p.maxThreadsDim[0] = 1024, p.maxThreadsDim[1] = 1024, p.maxThreadsDim[2] = 64;
  p.maxGridSize[0] = 2147483647, p.maxGridSize[1] = 65535, p.maxGridSize[2] = 65535;
  p.totalConstMem = 65536;
  p.major = 9;
  p.minor = 0;
  p.textureAlignment = 512;
  p.multiProcessorCount = 132;
  p.canMapHostMemory = 1;
  p.concurrentKernels = 1;
  p.ECCEnabled = 1;
  p.asyncEngineCount = 3;
  p.unifiedAddressing = 1;
  p.memoryBusWidth = 6144;
  p.l2CacheSize = 50 * 1024 * 1024;
  p.persistingL2CacheMaxSize = 30 * 1024 * 1024;
  p.maxThreadsPerMultiProcessor = 2048;
  p.streamPrioritiesSupported = 1;
  p.sharedMemPerMultiprocessor = 228 * 1024;
  p.regsPerMultiprocessor = 65536;
  p.managedMemory = 1;
  p.cooperativeLaunch = 1;
  p.sharedMemPerBlockOptin = 227 * 1024;
  p.maxBlocksPerMultiProcessor = 32;
  p.reservedSharedMemPerBlock = 1024;
  p.clusterLaunch = 1;
  return p;
}

cudaError_t check_device(int device) {
  if (no_device()) return fail(cudaErrorNoDevice, "SENTI_EMU_NO_DEVICE=1");
  if (device != 0) return fail(cudaErrorInvalidDevice, "the emulator has one device, 0");
  return cudaSuccess;
}

}  // namespace
}  // namespace senti::emu

using namespace senti::emu;

cudaError_t cudaGetDeviceCount(int* count) {
  Lock lock(runtime_mutex());
  if (!count) return fail(cudaErrorInvalidValue, "cudaGetDeviceCount: null output pointer");
  *count = 0;
  if (no_device()) return fail(cudaErrorNoDevice, "SENTI_EMU_NO_DEVICE=1");
  *count = 1;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  Lock lock(runtime_mutex());
  if (!device) return fail(cudaErrorInvalidValue, "cudaGetDevice: null output pointer");
  *device = 0;
  return check_device(0);
}

cudaError_t cudaSetDevice(int device) {
  Lock lock(runtime_mutex());
  return check_device(device);
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  Lock lock(runtime_mutex());
  if (!prop) return fail(cudaErrorInvalidValue, "cudaGetDeviceProperties: null output pointer");
  if (const cudaError_t e = check_device(device)) return e;
  *prop = h200();
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  Lock lock(runtime_mutex());
  if (!value) return fail(cudaErrorInvalidValue, "cudaDeviceGetAttribute: null output pointer");
  if (const cudaError_t e = check_device(device)) return e;
  const cudaDeviceProp p = h200();
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock: *value = p.maxThreadsPerBlock; break;
    case cudaDevAttrMaxBlockDimX: *value = p.maxThreadsDim[0]; break;
    case cudaDevAttrMaxBlockDimY: *value = p.maxThreadsDim[1]; break;
    case cudaDevAttrMaxBlockDimZ: *value = p.maxThreadsDim[2]; break;
    case cudaDevAttrMaxGridDimX: *value = p.maxGridSize[0]; break;
    case cudaDevAttrMaxGridDimY: *value = p.maxGridSize[1]; break;
    case cudaDevAttrMaxGridDimZ: *value = p.maxGridSize[2]; break;
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = static_cast<int>(p.sharedMemPerBlock); break;
    case cudaDevAttrTotalConstantMemory: *value = static_cast<int>(p.totalConstMem); break;
    case cudaDevAttrWarpSize: *value = p.warpSize; break;
    case cudaDevAttrMaxRegistersPerBlock: *value = p.regsPerBlock; break;
    case cudaDevAttrMultiProcessorCount: *value = p.multiProcessorCount; break;
    case cudaDevAttrConcurrentKernels: *value = p.concurrentKernels; break;
    case cudaDevAttrL2CacheSize: *value = p.l2CacheSize; break;
    case cudaDevAttrMaxThreadsPerMultiProcessor: *value = p.maxThreadsPerMultiProcessor; break;
    case cudaDevAttrComputeCapabilityMajor: *value = p.major; break;
    case cudaDevAttrComputeCapabilityMinor: *value = p.minor; break;
    case cudaDevAttrMaxSharedMemoryPerMultiprocessor:
      *value = static_cast<int>(p.sharedMemPerMultiprocessor);
      break;
    case cudaDevAttrMaxRegistersPerMultiprocessor: *value = p.regsPerMultiprocessor; break;
    case cudaDevAttrCooperativeLaunch: *value = p.cooperativeLaunch; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin:
      *value = static_cast<int>(p.sharedMemPerBlockOptin);
      break;
    case cudaDevAttrMaxBlocksPerMultiprocessor: *value = p.maxBlocksPerMultiProcessor; break;
    default: return fail(cudaErrorInvalidValue, "cudaDeviceGetAttribute: attribute not emulated");
  }
  return cudaSuccess;
}

cudaError_t cudaDriverGetVersion(int* version) {
  if (!version) return fail(cudaErrorInvalidValue, "cudaDriverGetVersion: null output pointer");
  *version = CUDART_VERSION;
  return cudaSuccess;
}

cudaError_t cudaRuntimeGetVersion(int* version) {
  if (!version) return fail(cudaErrorInvalidValue, "cudaRuntimeGetVersion: null output pointer");
  *version = CUDART_VERSION;
  return cudaSuccess;
}

// Like CUDA's: destroys everything (queued work, allocations, attributes) and clears a sticky error.
cudaError_t cudaDeviceReset() {
  Lock lock(runtime_mutex());
  drop_pending_work();
  free_all_allocations();
  forget_function_attributes();
  clear_errors();
  return cudaSuccess;
}

cudaError_t cudaProfilerStart() { return cudaSuccess; }
cudaError_t cudaProfilerStop() { return cudaSuccess; }
