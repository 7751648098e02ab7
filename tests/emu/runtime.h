#pragma once
// Emulated CUDA device, internal: the state behind the runtime API (tests/emu/*.cpp). One process-
// wide device; every API call takes the one runtime mutex. Work submitted to a stream becomes an
// Op in a dependency graph and runs only at a synchronisation point, in the adversarial order of
// streams.cpp (docs/testing.md, "Stream ordering").
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cuda_runtime_api.h"
#include "senti_emu/control.h"

namespace senti::emu {

// A device fault raised while work executes (a failed barrier, a bad warp mask, a kernel that threw):
// it becomes the sticky error, like a faulting kernel on a GPU.
struct DeviceFault {
  cudaError_t code;
  std::string message;
};

// One unit of device work (a copy, a memset, a kernel, an event record, a stand-in).
struct Op {
  uint64_t seq = 0;                      // enqueue order, for the scheduling policy
  std::string what;                      // for messages
  std::function<void()> run;             // empty for markers (event records, waits)
  std::vector<std::shared_ptr<Op>> deps; // must be done first
  bool done = false;
  double done_ms = 0;                    // host clock when it ran (event timing)
};
using OpPtr = std::shared_ptr<Op>;

// The body of an operation, as a graph node keeps it for replay.
struct OpBody {
  std::string what;
  std::function<void()> run;
};

struct Capture;

}  // namespace senti::emu

struct CUstream_st {
  unsigned flags = 0;
  int priority = 0;
  int id = 0;
  bool legacy = false;
  senti::emu::OpPtr tail;                       // last op submitted
  senti::emu::Capture* capture = nullptr;       // the capture this stream takes part in
  std::vector<int> capture_deps;                // graph nodes the next captured node depends on
};

struct CUevent_st {
  unsigned flags = 0;
  senti::emu::OpPtr op;                         // the record op (null: never recorded = complete)
  senti::emu::Capture* captured = nullptr;      // recorded during this capture
  std::vector<int> captured_deps;
};

namespace senti::emu {

std::recursive_mutex& runtime_mutex();
using Lock = std::lock_guard<std::recursive_mutex>;

// Returns the sticky error from an API function, if there is one.
#define SENTI_EMU_STICKY()                                      \
  do {                                                          \
    if (const cudaError_t e_ = ::senti::emu::sticky_error()) return e_; \
  } while (0)

// ---- Errors (errors.cpp) ----
cudaError_t fail(cudaError_t e, const std::string& detail);  // sets the last error; returns e
cudaError_t sticky_error();                                   // cudaSuccess unless a fault happened
void raise_fault(const DeviceFault& fault);                   // makes it sticky, drops queued work
void clear_errors();                                          // cudaDeviceReset

// ---- Streams and the op graph (streams.cpp) ----
// Resolves a handle (0 / cudaStreamLegacy / cudaStreamPerThread / a created stream).
cudaError_t resolve_stream(cudaStream_t handle, CUstream_st** out);
// Submits work to a stream, or records it as a graph node when the stream is capturing.
cudaError_t submit(CUstream_st* stream, OpBody body, const std::vector<OpPtr>& extra_deps = {},
                   OpPtr* submitted = nullptr);
// Adds an op whose dependencies the caller set (graph replay).
void add_pending(const OpPtr& op);
// Runs queued work until `done()` holds (or a fault). Returns the sticky error.
cudaError_t run_until(const std::function<bool()>& done);
// Runs one runnable op chosen by the policy; false when none is runnable.
bool run_one();
cudaError_t synchronize_device();
bool op_done(const OpPtr& op);               // null (never recorded) counts as done
cudaError_t check_event(cudaEvent_t event);  // a live event, else cudaErrorInvalidResourceHandle
void add_event(CUevent_st* event);
void remove_event(CUevent_st* event);
bool any_capture_blocks_sync();   // a global-mode capture forbids synchronising calls
bool executing_work();            // true while an op runs (work must not call the API)
uint64_t next_seq();
double now_ms();
void drop_pending_work();

// ---- Graph capture (graphs.cpp) ----
cudaError_t capture_node(CUstream_st* stream, OpBody body);
bool any_blocking_stream_capturing();
void invalidate_capture(Capture* capture);
cudaError_t capture_wait_event(CUstream_st* stream, CUevent_st* event);
void forget_capture_stream(CUstream_st* stream);

// ---- Memory (memory.cpp) ----
enum class MemKind { Device, Pinned, Pageable };
// Where [p, p + bytes) lies: Device or Pinned when wholly inside one such allocation, else
// Pageable (host memory the runtime does not know); *partial when it straddles an allocation edge.
MemKind classify(const void* p, size_t bytes, bool* partial = nullptr);
// True when p is null or points into (or one past the end of) a device or pinned allocation.
bool is_device_accessible(const void* p);
void free_all_allocations();

// ---- Kernels (launch.cpp, block_runner.cpp) ----
struct KernelRecord;  // a validated launch, ready to run
void run_kernel(const KernelRecord& kernel);  // throws DeviceFault
int max_dynamic_shared(const void* function);
void forget_function_attributes();

// "kernels/adam.cu" for ".../kernels/adam.cu": file names in messages, from the project root.
std::string short_path(const char* file);

// ---- Reporting (report.cpp) ----
void note_kernel_run(const std::string& site, uint64_t blocks, uint64_t threads);
void note_standin(const std::string& name);

// ---- Environment knobs ----
uint64_t env_seed();          // SENTI_EMU_SEED
int env_watchdog_seconds();   // SENTI_EMU_WATCHDOG_S

}  // namespace senti::emu
