// Emulated CUDA device: events. cudaEventRecord queues a marker op on the stream (or, during
// capture, remembers the capture position); the event is complete when that op has run, which
// happens at a synchronisation point (streams.cpp). Polling with cudaEventQuery runs one queued op
// a call, so a polling loop makes progress. Elapsed times are the host-clock times at which the two
// marker ops ran.
#include "runtime.h"

using namespace senti::emu;

cudaError_t cudaStreamWaitEvent(cudaStream_t handle, cudaEvent_t event, unsigned int flags) {
  Lock lock(runtime_mutex());
  SENTI_EMU_STICKY();
  CUstream_st* s = nullptr;
  if (const cudaError_t e = resolve_stream(handle, &s)) return e;
  if (const cudaError_t e = check_event(event)) return e;
  if (flags != 0) return fail(cudaErrorInvalidValue, "cudaStreamWaitEvent: unsupported flags");
  if (event->captured) return capture_wait_event(s, event);
  if (s->capture) {
    invalidate_capture(s->capture);
    return fail(cudaErrorStreamCaptureIsolation,
                "a capturing stream waits for an event recorded outside the capture");
  }
  if (op_done(event->op)) return cudaSuccess;
  return submit(s, {"wait for event", nullptr}, {event->op});
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags) {
  Lock lock(runtime_mutex());
  SENTI_EMU_STICKY();
  if (!event) return fail(cudaErrorInvalidValue, "cudaEventCreate: null output pointer");
  if (flags & ~unsigned{cudaEventBlockingSync | cudaEventDisableTiming | 0x04})
    return fail(cudaErrorInvalidValue, "cudaEventCreateWithFlags: unknown flags");
  auto* e = new CUevent_st();
  e->flags = flags;
  add_event(e);
  *event = e;
  return cudaSuccess;
}
cudaError_t cudaEventCreate(cudaEvent_t* event) {
  return cudaEventCreateWithFlags(event, cudaEventDefault);
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = check_event(event)) return e;
  remove_event(event);
  delete event;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t handle) {
  Lock lock(runtime_mutex());
  SENTI_EMU_STICKY();
  if (const cudaError_t e = check_event(event)) return e;
  CUstream_st* s = nullptr;
  if (const cudaError_t e = resolve_stream(handle, &s)) return e;
  if (s->capture) {
    event->op = nullptr;
    event->captured = s->capture;
    event->captured_deps = s->capture_deps;
    return cudaSuccess;
  }
  OpPtr op;
  if (const cudaError_t e = submit(s, {"event record", nullptr}, {}, &op)) return e;
  event->op = op;
  event->captured = nullptr;
  return cudaSuccess;
}

cudaError_t cudaEventQuery(cudaEvent_t event) {
  Lock lock(runtime_mutex());
  SENTI_EMU_STICKY();
  if (const cudaError_t e = check_event(event)) return e;
  if (event->captured) return fail(cudaErrorCapturedEvent, "cudaEventQuery");
  if (op_done(event->op)) return cudaSuccess;
  if (!executing_work()) run_one();
  return cudaErrorNotReady;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  Lock lock(runtime_mutex());
  SENTI_EMU_STICKY();
  if (const cudaError_t e = check_event(event)) return e;
  if (event->captured) return fail(cudaErrorCapturedEvent, "cudaEventSynchronize");
  OpPtr op = event->op;
  return run_until([op] { return op_done(op); });
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  Lock lock(runtime_mutex());
  SENTI_EMU_STICKY();
  if (const cudaError_t e = check_event(start)) return e;
  if (const cudaError_t e = check_event(end)) return e;
  if (!ms) return fail(cudaErrorInvalidValue, "cudaEventElapsedTime: null output pointer");
  if ((start->flags | end->flags) & cudaEventDisableTiming)
    return fail(cudaErrorInvalidResourceHandle,
                "cudaEventElapsedTime: an event was created with cudaEventDisableTiming");
  if (!start->op || !end->op)
    return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: an event was never recorded");
  if (!start->op->done || !end->op->done) return fail(cudaErrorNotReady, "cudaEventElapsedTime");
  *ms = static_cast<float>(end->op->done_ms - start->op->done_ms);
  return cudaSuccess;
}

