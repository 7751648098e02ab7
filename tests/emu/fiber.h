#pragma once
// Emulated CUDA device, internal: one CUDA thread's execution context. A Boost.Context fcontext on
// an mmap'ed stack with a guard page; stacks (and ThreadSanitizer fiber ids) are pooled and reused
// for every block. Each switch is announced to AddressSanitizer (__sanitizer_*_switch_fiber) and
// ThreadSanitizer (__tsan_switch_to_fiber, without implied synchronisation: the block runner adds
// happens-before edges only where CUDA has them: barriers, warp collectives, kernel boundaries).
#include <cstddef>

namespace senti::emu {

struct Fiber {
  // Stack (fixed for the pool slot).
  char* stack_bottom = nullptr;  // lowest usable address
  size_t stack_size = 0;
  // Context.
  void* context = nullptr;         // the fiber's saved context while it is suspended
  void* caller = nullptr;          // the scheduler's context while the fiber runs
  void (*entry)(void* arg) = nullptr;
  void* arg = nullptr;
  bool finished = false;           // entry returned; the fiber must not be resumed again
  // Sanitizer bookkeeping.
  void* asan_fake_stack = nullptr;
  const void* caller_stack_bottom = nullptr;
  size_t caller_stack_size = 0;
  void* tsan_fiber = nullptr;
  void* tsan_caller = nullptr;
};

// The fiber for pool slot i (created on first use; slots are reused for every block).
Fiber& fiber_slot(int i);
// Prepares slot's fiber to run entry(arg) from the start on its next resume.
void fiber_reset(Fiber& f, void (*entry)(void*), void* arg);
// Scheduler side: runs the fiber until it suspends or finishes.
void fiber_resume(Fiber& f);
// Fiber side: returns control to the scheduler; returns when resumed.
void fiber_suspend(Fiber& f);
// After a device fault abandons suspended fibers: clears AddressSanitizer's stack poisoning of
// the first `count` slots so the stacks can be reused.
void fiber_forget_abandoned(int count);

// ThreadSanitizer happens-before edges, attributed to the given fiber (or the calling context).
void tsan_release(void* sync);
void tsan_acquire(void* sync);
void tsan_release_as(Fiber& f, void* sync);
void tsan_acquire_as(Fiber& f, void* sync);

}  // namespace senti::emu
