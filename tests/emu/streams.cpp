// Emulated CUDA device: streams, events and the deferred op graph.
//
// Work submitted to a stream is not executed at the call: it becomes an Op that depends on the
// previous op of its stream (in-order streams), on the op an awaited event recorded
// (cudaStreamWaitEvent), and on the legacy default stream as CUDA's implicit synchronisation says
// (an op on stream 0 waits for every blocking stream; an op on a blocking stream waits for stream
// 0; cudaStreamNonBlocking streams are independent of stream 0). Ops run only when the host
// synchronises (or polls), and then in an adversarial order (SENTI_EMU_STREAM_ORDER): by default
// always the runnable op enqueued most recently across all streams. So work that two streams leave
// unordered really runs in the "wrong" order: a compute kernel that forgot to wait for the copy
// stream runs before the copy, and a copy that forgot to wait for the kernel reading its buffer
// overwrites the buffer first.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

#include "runtime.h"

namespace senti::emu {
namespace {

StreamOrder order_from_env() {
  const char* v = std::getenv("SENTI_EMU_STREAM_ORDER");
  if (!v || !*v || std::strcmp(v, "latest") == 0) return StreamOrder::Latest;
  if (std::strcmp(v, "random") == 0) return StreamOrder::Random;
  if (std::strcmp(v, "fifo") == 0) return StreamOrder::Fifo;
  std::fprintf(stderr, "senti-emu: SENTI_EMU_STREAM_ORDER=%s: expected latest, random or fifo\n", v);
  std::abort();
}

struct StreamTable {
  CUstream_st legacy;
  CUstream_st per_thread;  // cudaStreamPerThread: one blocking stream (senti runs one host thread)
  std::set<CUstream_st*> streams;
  std::set<CUevent_st*> events;
  std::vector<OpPtr> pending;  // in enqueue order
  uint64_t seq = 0;
  int next_id = 2;
  bool executing = false;
  StreamOrder order = order_from_env();
  uint64_t rng = env_seed() * 0x9e3779b97f4a7c15ull + 1;

  StreamTable() {
    legacy.legacy = true;
    legacy.id = 0;
    per_thread.id = 1;
  }
};

StreamTable& table() {
  static StreamTable* t = new StreamTable();  // never destroyed: usable from static destructors
  return *t;
}

void add_dep(Op& op, const OpPtr& dep) {
  if (!op_done(dep)) op.deps.push_back(dep);
}

bool runnable(const Op& op) {
  for (const OpPtr& d : op.deps)
    if (!d->done) return false;
  return true;
}

bool is_blocking(const CUstream_st* s) { return !s->legacy && !(s->flags & cudaStreamNonBlocking); }

template <typename F>
void for_each_blocking_stream(F&& f) {
  StreamTable& t = table();
  f(&t.per_thread);
  for (CUstream_st* s : t.streams)
    if (is_blocking(s)) f(s);
}

bool stream_done(CUstream_st* s) {
  if (!op_done(s->tail)) return false;
  if (!s->legacy) return true;
  bool all = true;  // synchronising stream 0 also waits for the blocking streams' work
  for_each_blocking_stream([&](CUstream_st* b) { all = all && op_done(b->tail); });
  return all;
}

void execute(size_t index) {
  StreamTable& t = table();
  OpPtr op = t.pending[index];
  t.pending.erase(t.pending.begin() + static_cast<std::ptrdiff_t>(index));
  t.executing = true;
  try {
    if (op->run) op->run();
  } catch (const DeviceFault& f) {
    t.executing = false;
    op->done = true;
    raise_fault(f);
    return;
  } catch (const std::exception& e) {
    t.executing = false;
    op->done = true;
    raise_fault({cudaErrorLaunchFailure, op->what + " threw: " + e.what()});
    return;
  }
  t.executing = false;
  op->done = true;
  op->done_ms = now_ms();
  op->run = nullptr;  // frees captured buffers
  op->deps.clear();   // the history is not needed any more
}

}  // namespace

bool op_done(const OpPtr& op) { return !op || op->done; }

cudaError_t check_event(cudaEvent_t e) {
  if (!e || !table().events.count(e))
    return fail(cudaErrorInvalidResourceHandle, "not a live event");
  return cudaSuccess;
}

void add_event(CUevent_st* e) { table().events.insert(e); }
void remove_event(CUevent_st* e) { table().events.erase(e); }

std::recursive_mutex& runtime_mutex() {
  static auto* m = new std::recursive_mutex();
  return *m;
}

uint64_t next_seq() { return ++table().seq; }

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

bool executing_work() { return table().executing; }

StreamOrder stream_order() {
  Lock lock(runtime_mutex());
  return table().order;
}

void set_stream_order(StreamOrder order) {
  Lock lock(runtime_mutex());
  table().order = order;
}

cudaError_t resolve_stream(cudaStream_t handle, CUstream_st** out) {
  StreamTable& t = table();
  if (handle == nullptr || handle == cudaStreamLegacy) *out = &t.legacy;
  else if (handle == cudaStreamPerThread) *out = &t.per_thread;
  else if (t.streams.count(handle)) *out = handle;
  else return fail(cudaErrorInvalidResourceHandle, "not a live stream (destroyed?)");
  return cudaSuccess;
}

cudaError_t submit(CUstream_st* stream, OpBody body, const std::vector<OpPtr>& extra_deps,
                   OpPtr* submitted) {
  if (stream->capture) return capture_node(stream, std::move(body));
  if (stream->legacy && any_blocking_stream_capturing())
    return fail(cudaErrorStreamCaptureImplicit,
                body.what + " on the legacy stream while a blocking stream is capturing");
  StreamTable& t = table();
  auto op = std::make_shared<Op>();
  op->seq = ++t.seq;
  op->what = std::move(body.what);
  op->run = std::move(body.run);
  add_dep(*op, stream->tail);
  for (const OpPtr& d : extra_deps) add_dep(*op, d);
  if (stream->legacy) for_each_blocking_stream([&](CUstream_st* b) { add_dep(*op, b->tail); });
  else if (is_blocking(stream)) add_dep(*op, t.legacy.tail);
  stream->tail = op;
  t.pending.push_back(op);
  if (submitted) *submitted = op;
  return cudaSuccess;
}

void add_pending(const OpPtr& op) { table().pending.push_back(op); }

bool run_one() {
  StreamTable& t = table();
  size_t pick = t.pending.size();
  if (t.order == StreamOrder::Random) {
    std::vector<size_t> ready;
    for (size_t i = 0; i < t.pending.size(); ++i)
      if (runnable(*t.pending[i])) ready.push_back(i);
    if (!ready.empty()) {
      t.rng ^= t.rng << 13, t.rng ^= t.rng >> 7, t.rng ^= t.rng << 17;
      pick = ready[t.rng % ready.size()];
    }
  } else if (t.order == StreamOrder::Latest) {
    for (size_t i = t.pending.size(); i-- > 0;)
      if (runnable(*t.pending[i])) { pick = i; break; }
  } else {
    for (size_t i = 0; i < t.pending.size(); ++i)
      if (runnable(*t.pending[i])) { pick = i; break; }
  }
  if (pick == t.pending.size()) return false;
  execute(pick);
  return true;
}

cudaError_t run_until(const std::function<bool()>& done) {
  if (table().executing)
    return fail(cudaErrorNotPermitted, "device work (a host function or CPU stand-in) called a "
                                       "synchronising CUDA function");
  while (sticky_error() == cudaSuccess && !done())
    if (!run_one())
      return fail(cudaErrorUnknown, "emulator: queued work waits for work that can never run");
  return sticky_error();
}

cudaError_t synchronize_device() {
  return run_until([] { return table().pending.empty(); });
}

void drop_pending_work() {
  for (const OpPtr& op : table().pending) {
    op->done = true;
    op->run = nullptr;
    op->deps.clear();
  }
  table().pending.clear();
}

}  // namespace senti::emu

using namespace senti::emu;


cudaError_t cudaStreamCreateWithPriority(cudaStream_t* stream, unsigned int flags, int priority) {
  Lock lock(runtime_mutex());
  SENTI_EMU_STICKY();
  if (!stream) return fail(cudaErrorInvalidValue, "cudaStreamCreate: null output pointer");
  if (flags & ~unsigned{cudaStreamNonBlocking})
    return fail(cudaErrorInvalidValue, "cudaStreamCreateWithFlags: unknown flags");
  auto* s = new CUstream_st();
  s->flags = flags;
  s->priority = std::clamp(priority, -5, 0);
  s->id = table().next_id++;
  table().streams.insert(s);
  *stream = s;
  return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags) {
  return cudaStreamCreateWithPriority(stream, flags, 0);
}
cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  return cudaStreamCreateWithPriority(stream, cudaStreamDefault, 0);
}
cudaError_t cudaDeviceGetStreamPriorityRange(int* least, int* greatest) {
  if (least) *least = 0;
  if (greatest) *greatest = -5;
  return cudaSuccess;
}

cudaError_t cudaStreamGetFlags(cudaStream_t handle, unsigned int* flags) {
  Lock lock(runtime_mutex());
  CUstream_st* s = nullptr;
  if (const cudaError_t e = resolve_stream(handle, &s)) return e;
  if (flags) *flags = s->flags;
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t handle) {
  Lock lock(runtime_mutex());
  if (handle == nullptr || handle == cudaStreamLegacy || handle == cudaStreamPerThread ||
      !table().streams.count(handle))
    return fail(cudaErrorInvalidResourceHandle, "cudaStreamDestroy: not a created stream");
  forget_capture_stream(handle);
  table().streams.erase(handle);  // queued work still runs: ops do not point at their stream
  delete handle;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t handle) {
  Lock lock(runtime_mutex());
  SENTI_EMU_STICKY();
  CUstream_st* s = nullptr;
  if (const cudaError_t e = resolve_stream(handle, &s)) return e;
  if (s->capture) {
    invalidate_capture(s->capture);
    return fail(cudaErrorStreamCaptureUnsupported, "cudaStreamSynchronize on a capturing stream");
  }
  if (s->legacy && any_capture_blocks_sync())
    return fail(cudaErrorStreamCaptureUnsupported,
                "cudaStreamSynchronize(0) while a stream capture is under way");
  return run_until([s] { return stream_done(s); });
}

cudaError_t cudaStreamQuery(cudaStream_t handle) {
  Lock lock(runtime_mutex());
  SENTI_EMU_STICKY();
  CUstream_st* s = nullptr;
  if (const cudaError_t e = resolve_stream(handle, &s)) return e;
  if (s->capture) return fail(cudaErrorStreamCaptureUnsupported, "cudaStreamQuery while capturing");
  if (stream_done(s)) return cudaSuccess;
  if (!executing_work()) run_one();  // polling makes progress, one op at a time
  return cudaErrorNotReady;
}

cudaError_t cudaLaunchHostFunc(cudaStream_t handle, cudaHostFn_t fn, void* user_data) {
  Lock lock(runtime_mutex());
  SENTI_EMU_STICKY();
  CUstream_st* s = nullptr;
  if (const cudaError_t e = resolve_stream(handle, &s)) return e;
  if (!fn) return fail(cudaErrorInvalidValue, "cudaLaunchHostFunc: null function");
  return submit(s, {"host function", [fn, user_data] { fn(user_data); }});
}

cudaError_t cudaDeviceSynchronize() {
  Lock lock(runtime_mutex());
  SENTI_EMU_STICKY();
  if (any_capture_blocks_sync())
    return fail(cudaErrorStreamCaptureUnsupported,
                "cudaDeviceSynchronize while a stream capture is under way");
  return synchronize_device();
}
