// Emulated CUDA device: device and pinned allocations, copies and memsets.
//
// Every cudaMalloc is its own heap block of exactly the requested size (256-byte aligned, as CUDA
// aligns), filled with 0xFF bytes (NaN as float): AddressSanitizer reports a kernel that reads or
// writes past it, and a read of memory nobody wrote shows up as NaN. Pinned allocations
// (cudaHostAlloc, cudaMallocHost, cudaHostRegister) are tracked, so the runtime knows pinned from
// pageable host memory and mirrors CUDA's host-memory rules:
//   cudaMemcpyAsync H2D from pageable memory copies the source at the call (CUDA stages it);
//   from pinned memory it reads the source when the copy executes;
//   D2H into pageable memory completes before the call returns; into pinned memory it is async;
//   cudaMemcpy (legacy stream) H2D from pageable memory returns once staged, D2H and pinned H2D
//   return when done, D2D does not wait; cudaMemset is asynchronous.
// A copy whose pointers do not match its direction, or that leaves its allocation, is an error.
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime.h"

namespace senti::emu {
namespace {

struct Region {
  size_t size;
  MemKind kind;
  bool owned;  // allocated here (freed by cudaFree/cudaFreeHost) vs cudaHostRegister'ed
};

std::map<uintptr_t, Region>& regions() {
  static auto* r = new std::map<uintptr_t, Region>();
  return *r;
}
size_t g_device_bytes = 0;
constexpr size_t kDeviceMemory = size_t{141} << 30;  // an H200's 141 GB

// The region holding p (with p == end allowed when allow_end), or null.
const std::pair<const uintptr_t, Region>* region_of(const void* p, bool allow_end) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  auto it = regions().upper_bound(a);
  if (it == regions().begin()) return nullptr;
  --it;
  const uintptr_t end = it->first + it->second.size;
  return (a < end || (allow_end && a == end)) ? &*it : nullptr;
}

std::string where(const void* p, size_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%p (+%zu B)", p, n);
  return buf;
}

const char* kind_name(MemKind k) {
  return k == MemKind::Device ? "device" : k == MemKind::Pinned ? "pinned host" : "pageable host";
}

cudaError_t host_alloc(void** ptr, size_t size, const char* call) {
  if (!ptr) return fail(cudaErrorInvalidValue, std::string(call) + ": null output pointer");
  if (any_capture_blocks_sync())
    return fail(cudaErrorStreamCaptureUnsupported, std::string(call) + " during stream capture");
  void* p = nullptr;
  if (posix_memalign(&p, 4096, size ? size : 1) != 0)
    return fail(cudaErrorMemoryAllocation, call);
  std::memset(p, 0xff, size);
  regions()[reinterpret_cast<uintptr_t>(p)] = {size ? size : 1, MemKind::Pinned, true};
  *ptr = p;
  return cudaSuccess;
}

cudaError_t free_region(void* ptr, MemKind kind, const char* call) {
  if (!ptr) return cudaSuccess;
  auto it = regions().find(reinterpret_cast<uintptr_t>(ptr));
  if (it == regions().end() || it->second.kind != kind || !it->second.owned)
    return fail(kind == MemKind::Device ? cudaErrorInvalidDevicePointer : cudaErrorInvalidValue,
                std::string(call) + ": " + where(ptr, 0) + " is not the start of a " +
                    kind_name(kind) + " allocation");
  if (kind == MemKind::Device) g_device_bytes -= it->second.size;
  regions().erase(it);
  std::free(ptr);
  return cudaSuccess;
}

// Checks a copy's pointers against its direction; returns the resolved direction.
cudaError_t check_copy(void* dst, const void* src, size_t n, cudaMemcpyKind kind, const char* call,
                       MemKind* dst_kind, MemKind* src_kind) {
  if (n == 0) return cudaSuccess;
  if (!dst || !src) return fail(cudaErrorInvalidValue, std::string(call) + ": null pointer");
  bool dst_partial = false, src_partial = false;
  *dst_kind = classify(dst, n, &dst_partial);
  *src_kind = classify(src, n, &src_partial);
  if (dst_partial || src_partial)
    return fail(cudaErrorInvalidValue, std::string(call) + ": " +
                                           where(dst_partial ? dst : src, n) +
                                           " runs past the end of its allocation");
  const bool dst_dev = *dst_kind == MemKind::Device, src_dev = *src_kind == MemKind::Device;
  bool ok = true;
  switch (kind) {
    case cudaMemcpyHostToDevice: ok = dst_dev && !src_dev; break;
    case cudaMemcpyDeviceToHost: ok = !dst_dev && src_dev; break;
    case cudaMemcpyDeviceToDevice: ok = dst_dev && src_dev; break;
    case cudaMemcpyHostToHost: ok = !dst_dev && !src_dev; break;
    case cudaMemcpyDefault: break;
    default: return fail(cudaErrorInvalidMemcpyDirection, call);
  }
  if (!ok)
    return fail(cudaErrorInvalidValue, std::string(call) + ": dst " + where(dst, n) + " is " +
                                           kind_name(*dst_kind) + " memory and src " +
                                           where(src, n) + " is " + kind_name(*src_kind) +
                                           " memory, which does not match the copy kind");
  return cudaSuccess;
}

// The common path of every copy. sync_call: cudaMemcpy (legacy stream, host-synchronous rules).
cudaError_t copy(void* dst, const void* src, size_t n, cudaMemcpyKind kind, cudaStream_t handle,
                 bool sync_call, const char* call) {
  if (const cudaError_t e = sticky_error()) return e;
  CUstream_st* s = nullptr;
  if (const cudaError_t e = resolve_stream(handle, &s)) return e;
  MemKind dk = MemKind::Pageable, sk = MemKind::Pageable;
  if (const cudaError_t e = check_copy(dst, src, n, kind, call, &dk, &sk)) return e;
  if (n == 0) return cudaSuccess;
  const bool pageable_src = sk == MemKind::Pageable, pageable_dst = dk == MemKind::Pageable;
  const bool to_device = dk == MemKind::Device, from_device = sk == MemKind::Device;
  if (s->capture && (pageable_src || pageable_dst)) {
    invalidate_capture(s->capture);
    return fail(cudaErrorStreamCaptureUnsupported,
                std::string(call) + " with pageable host memory during stream capture");
  }
  if (sync_call && any_capture_blocks_sync())
    return fail(cudaErrorStreamCaptureUnsupported, std::string(call) + " during stream capture");
  std::string what = std::string(call) + " " + kind_name(sk) + " -> " + kind_name(dk) + " " +
                     std::to_string(n) + " B";
  OpPtr op;
  if (to_device && pageable_src) {  // staged: the source is read now
    if (sync_call) {  // cudaMemcpy first waits for the legacy stream's earlier work
      if (const cudaError_t e = run_until([s] { return !s->tail || s->tail->done; })) return e;
    }
    auto staged = std::make_shared<std::vector<char>>(static_cast<const char*>(src),
                                                      static_cast<const char*>(src) + n);
    return submit(s, {what, [dst, staged] { std::memcpy(dst, staged->data(), staged->size()); }});
  }
  if (const cudaError_t e = submit(s, {what, [dst, src, n] { std::memcpy(dst, src, n); }}, {}, &op))
    return e;
  const bool host_waits = sync_call ? !(to_device && from_device)
                                    : (from_device && pageable_dst) || (!to_device && !from_device);
  if (!host_waits) return cudaSuccess;
  return run_until([op] { return op->done; });
}

cudaError_t memset_on(void* ptr, int value, size_t n, cudaStream_t handle, const char* call) {
  if (const cudaError_t e = sticky_error()) return e;
  CUstream_st* s = nullptr;
  if (const cudaError_t e = resolve_stream(handle, &s)) return e;
  if (n == 0) return cudaSuccess;
  bool partial = false;
  if (classify(ptr, n, &partial) != MemKind::Device || partial)
    return fail(cudaErrorInvalidValue, std::string(call) + ": " + where(ptr, n) +
                                           " is not inside one device allocation");
  const std::string what = std::string(call) + " " + std::to_string(n) + " B";
  return submit(s, {what, [ptr, value, n] { std::memset(ptr, value, n); }});
}

}  // namespace

MemKind classify(const void* p, size_t bytes, bool* partial) {
  if (partial) *partial = false;
  const auto* r = region_of(p, false);
  if (!r) {
    // A pageable range that starts before an allocation and runs into it is also "partial".
    if (partial && bytes > 0) {
      auto it = regions().lower_bound(reinterpret_cast<uintptr_t>(p));
      *partial = it != regions().end() && it->first < reinterpret_cast<uintptr_t>(p) + bytes;
    }
    return MemKind::Pageable;
  }
  if (partial) *partial = reinterpret_cast<uintptr_t>(p) + bytes > r->first + r->second.size;
  return r->second.kind;
}

bool is_device_accessible(const void* p) { return !p || region_of(p, true) != nullptr; }

void free_all_allocations() {
  for (auto& [base, r] : regions())
    if (r.owned) std::free(reinterpret_cast<void*>(base));
  regions().clear();
  g_device_bytes = 0;
}

}  // namespace senti::emu

using namespace senti::emu;

cudaError_t cudaMalloc(void** ptr, size_t size) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  if (!ptr) return fail(cudaErrorInvalidValue, "cudaMalloc: null output pointer");
  if (any_capture_blocks_sync())
    return fail(cudaErrorStreamCaptureUnsupported, "cudaMalloc during stream capture");
  *ptr = nullptr;
  if (size == 0) return cudaSuccess;
  if (size > kDeviceMemory - g_device_bytes)
    return fail(cudaErrorMemoryAllocation, "cudaMalloc: more than the emulated 141 GB");
  void* p = nullptr;
  if (posix_memalign(&p, 256, size) != 0) return fail(cudaErrorMemoryAllocation, "cudaMalloc");
  std::memset(p, 0xff, size);
  regions()[reinterpret_cast<uintptr_t>(p)] = {size, MemKind::Device, true};
  g_device_bytes += size;
  *ptr = p;
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  if (!ptr) return cudaSuccess;
  if (any_capture_blocks_sync())
    return fail(cudaErrorStreamCaptureUnsupported, "cudaFree during stream capture");
  if (const cudaError_t e = synchronize_device()) return e;  // cudaFree synchronises the device
  return free_region(ptr, MemKind::Device, "cudaFree");
}

cudaError_t cudaMallocAsync(void** ptr, size_t size, cudaStream_t stream) {
  Lock lock(runtime_mutex());
  CUstream_st* s = nullptr;
  if (const cudaError_t e = resolve_stream(stream, &s)) return e;
  return cudaMalloc(ptr, size);  // usable at once, so in stream order too
}

cudaError_t cudaFreeAsync(void* ptr, cudaStream_t handle) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  CUstream_st* s = nullptr;
  if (const cudaError_t e = resolve_stream(handle, &s)) return e;
  if (!ptr) return cudaSuccess;
  auto it = regions().find(reinterpret_cast<uintptr_t>(ptr));
  if (it == regions().end() || it->second.kind != MemKind::Device)
    return fail(cudaErrorInvalidValue, "cudaFreeAsync: not a device allocation");
  return submit(s, {"cudaFreeAsync", [ptr] { free_region(ptr, MemKind::Device, "cudaFreeAsync"); }});
}

cudaError_t cudaMallocHost(void** ptr, size_t size) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  return host_alloc(ptr, size, "cudaMallocHost");
}

cudaError_t cudaHostAlloc(void** ptr, size_t size, unsigned int flags) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  if (flags & ~unsigned{cudaHostAllocPortable | cudaHostAllocMapped | cudaHostAllocWriteCombined})
    return fail(cudaErrorInvalidValue, "cudaHostAlloc: unknown flags");
  return host_alloc(ptr, size, "cudaHostAlloc");
}

cudaError_t cudaFreeHost(void* ptr) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  if (!ptr) return cudaSuccess;
  if (const cudaError_t e = synchronize_device()) return e;  // as CUDA's cudaFreeHost does
  return free_region(ptr, MemKind::Pinned, "cudaFreeHost");
}

cudaError_t cudaHostRegister(void* ptr, size_t size, unsigned int) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  if (!ptr || size == 0) return fail(cudaErrorInvalidValue, "cudaHostRegister: empty range");
  bool partial = false;
  if (classify(ptr, size, &partial) != MemKind::Pageable || partial)
    return fail(cudaErrorHostMemoryAlreadyRegistered, "cudaHostRegister");
  regions()[reinterpret_cast<uintptr_t>(ptr)] = {size, MemKind::Pinned, false};
  return cudaSuccess;
}

cudaError_t cudaHostUnregister(void* ptr) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  auto it = regions().find(reinterpret_cast<uintptr_t>(ptr));
  if (it == regions().end() || it->second.owned)
    return fail(cudaErrorHostMemoryNotRegistered, "cudaHostUnregister");
  if (const cudaError_t e = synchronize_device()) return e;
  regions().erase(it);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  Lock lock(runtime_mutex());
  return copy(dst, src, count, kind, nullptr, true, "cudaMemcpy");
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind,
                            cudaStream_t stream) {
  Lock lock(runtime_mutex());
  return copy(dst, src, count, kind, stream, false, "cudaMemcpyAsync");
}

cudaError_t cudaMemset(void* ptr, int value, size_t count) {
  Lock lock(runtime_mutex());
  return memset_on(ptr, value, count, nullptr, "cudaMemset");
}

cudaError_t cudaMemsetAsync(void* ptr, int value, size_t count, cudaStream_t stream) {
  Lock lock(runtime_mutex());
  return memset_on(ptr, value, count, stream, "cudaMemsetAsync");
}

cudaError_t cudaMemGetInfo(size_t* free, size_t* total) {
  Lock lock(runtime_mutex());
  if (free) *free = kDeviceMemory - g_device_bytes;
  if (total) *total = kDeviceMemory;
  return cudaSuccess;
}
