// Emulated CUDA device: fibers on Boost.Context's fcontext, with sanitizer annotations. See fiber.h.
#include "fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include <boost/context/detail/fcontext.hpp>
#include <cstdio>
#include <cstdlib>
#include <deque>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define SENTI_EMU_ASAN 1
#endif
#if defined(SENTI_EMU_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace ctx = boost::context::detail;

namespace senti::emu {
namespace {

size_t stack_bytes() {
  static const size_t bytes = [] {
    const char* v = std::getenv("SENTI_EMU_STACK_KB");
#if defined(SENTI_EMU_ASAN)
    size_t kb = 256;  // AddressSanitizer's redzones make frames larger
#else
    size_t kb = 128;
#endif
    if (v && std::atoi(v) >= 16) kb = static_cast<size_t>(std::atoi(v));
    return kb * 1024;
  }();
  return bytes;
}

std::deque<Fiber>& pool() {
  static auto* p = new std::deque<Fiber>();  // deque: slots never move
  return *p;
}

void trampoline(ctx::transfer_t t) {
  Fiber& f = *static_cast<Fiber*>(t.data);
  f.caller = t.fctx;
#if defined(SENTI_EMU_ASAN)
  __sanitizer_finish_switch_fiber(nullptr, &f.caller_stack_bottom, &f.caller_stack_size);
#endif
  f.entry(f.arg);
  f.finished = true;
  fiber_suspend(f);
  std::fprintf(stderr, "senti-emu: internal error: a finished fiber was resumed\n");
  std::abort();
}

}  // namespace

Fiber& fiber_slot(int i) {
  std::deque<Fiber>& p = pool();
  const long page = sysconf(_SC_PAGESIZE);
  while (static_cast<int>(p.size()) <= i) {
    Fiber f;
    const size_t bytes = stack_bytes();
    void* mem = mmap(nullptr, bytes + page, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) {
      std::fprintf(stderr, "senti-emu: cannot map a %zu KiB fiber stack\n", bytes / 1024);
      std::abort();
    }
    mprotect(mem, page, PROT_NONE);  // guard page: a stack overflow faults instead of corrupting
    f.stack_bottom = static_cast<char*>(mem) + page;
    f.stack_size = bytes;
#if defined(SENTI_EMU_TSAN)
    f.tsan_fiber = __tsan_create_fiber(0);
    char name[32];
    std::snprintf(name, sizeof name, "cuda thread slot %zu", p.size());
    __tsan_set_fiber_name(f.tsan_fiber, name);
#endif
    p.push_back(f);
  }
  return p[static_cast<size_t>(i)];
}

void fiber_reset(Fiber& f, void (*entry)(void*), void* arg) {
  f.entry = entry;
  f.arg = arg;
  f.finished = false;
  f.asan_fake_stack = nullptr;
  f.context = ctx::make_fcontext(f.stack_bottom + f.stack_size, f.stack_size, trampoline);
}

void fiber_resume(Fiber& f) {
#if defined(SENTI_EMU_ASAN)
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, f.stack_bottom, f.stack_size);
#endif
#if defined(SENTI_EMU_TSAN)
  f.tsan_caller = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(f.tsan_fiber, __tsan_switch_to_fiber_no_sync);
#endif
  const ctx::transfer_t t = ctx::jump_fcontext(f.context, &f);
  f.context = t.fctx;
#if defined(SENTI_EMU_ASAN)
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
}

void fiber_suspend(Fiber& f) {
#if defined(SENTI_EMU_ASAN)
  __sanitizer_start_switch_fiber(f.finished ? nullptr : &f.asan_fake_stack, f.caller_stack_bottom,
                                 f.caller_stack_size);
#endif
#if defined(SENTI_EMU_TSAN)
  __tsan_switch_to_fiber(f.tsan_caller, __tsan_switch_to_fiber_no_sync);
#endif
  const ctx::transfer_t t = ctx::jump_fcontext(f.caller, nullptr);
  f.caller = t.fctx;
#if defined(SENTI_EMU_ASAN)
  __sanitizer_finish_switch_fiber(f.asan_fake_stack, &f.caller_stack_bottom, &f.caller_stack_size);
#endif
}

void fiber_forget_abandoned(int count) {
#if defined(SENTI_EMU_ASAN)
  for (int i = 0; i < count && i < static_cast<int>(pool().size()); ++i)
    __asan_unpoison_memory_region(pool()[i].stack_bottom, pool()[i].stack_size);
#else
  (void)count;
#endif
}

#if defined(SENTI_EMU_TSAN)
void tsan_release(void* sync) { __tsan_release(sync); }
void tsan_acquire(void* sync) { __tsan_acquire(sync); }
void tsan_release_as(Fiber& f, void* sync) {
  void* me = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(f.tsan_fiber, __tsan_switch_to_fiber_no_sync);
  __tsan_release(sync);
  __tsan_switch_to_fiber(me, __tsan_switch_to_fiber_no_sync);
}
void tsan_acquire_as(Fiber& f, void* sync) {
  void* me = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(f.tsan_fiber, __tsan_switch_to_fiber_no_sync);
  __tsan_acquire(sync);
  __tsan_switch_to_fiber(me, __tsan_switch_to_fiber_no_sync);
}
#else
void tsan_release(void*) {}
void tsan_acquire(void*) {}
void tsan_release_as(Fiber&, void*) {}
void tsan_acquire_as(Fiber&, void*) {}
#endif

}  // namespace senti::emu
