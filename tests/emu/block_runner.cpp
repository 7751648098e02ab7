// Emulated CUDA device: runs a kernel's grid. Blocks run one at a time in a seeded shuffled order;
// inside a block every CUDA thread is a fiber (fiber.h) and the threads run cooperatively on the
// calling OS thread, in a seeded shuffled order, each until it reaches a barrier, a warp function,
// __nanosleep or its end. So __syncthreads() is a true barrier and warp functions really meet; the
// rules CUDA states for them are checked, and a violation is a device fault naming the kernel,
// block, thread and file:line (warp_collectives.cpp holds the warp half). A kernel that runs longer
// than SENTI_EMU_WATCHDOG_S seconds (default 120) aborts the process with a message.
#include "block_runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "runtime.h"

extern "C" {
// Bounds of the linker section holding every __shared__ variable (weak: absent without any).
extern char __start_senti_emu_shared[] __attribute__((weak));
extern char __stop_senti_emu_shared[] __attribute__((weak));
}

namespace senti::emu {

__thread const ThreadContext* tls_thread = nullptr;
__thread EmuThread* tls_emu_thread = nullptr;
__thread Block* tls_block = nullptr;

namespace {

char g_device_sync;  // ThreadSanitizer: kernel boundaries and block order

uint64_t splitmix(uint64_t* s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// ---- Watchdog ------------------------------------------------------------------------------
struct Watchdog {
  std::mutex mu;
  char site[512] = {0};
  std::atomic<double> started_ms{0};
  std::atomic<uint64_t> block{0};

  void start(const std::string& what) {
    {
      std::lock_guard<std::mutex> lock(mu);
      std::snprintf(site, sizeof site, "%s", what.c_str());
    }
    started_ms = now_ms();
    static std::once_flag once;
    std::call_once(once, [this] { std::thread([this] { watch(); }).detach(); });
  }
  void stop() { started_ms = 0; }

  [[noreturn]] void watch() {
    const double limit_ms = 1000.0 * env_watchdog_seconds();
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const double t0 = started_ms;
      if (t0 == 0 || now_ms() - t0 < limit_ms) continue;
      std::lock_guard<std::mutex> lock(mu);
      std::fprintf(stderr,
                   "senti-emu: watchdog: kernel %s has run for more than %d s (block %llu in run "
                   "order; limit SENTI_EMU_WATCHDOG_S=%d). An endless loop, or a spin-wait on "
                   "another block (blocks run one at a time) or on a thread that never yields "
                   "(use __syncthreads or __nanosleep).\n",
                   site, env_watchdog_seconds(), static_cast<unsigned long long>(block.load()),
                   env_watchdog_seconds());
      std::fflush(stderr);
      std::abort();
    }
  }
};

Watchdog& watchdog() {
  static auto* w = new Watchdog();
  return *w;
}

// ---- Block order ---------------------------------------------------------------------------
std::vector<uint64_t> block_order(uint64_t n, uint64_t* rng) {
  std::vector<uint64_t> order(n);
  for (uint64_t i = 0; i < n; ++i) order[i] = i;
  for (uint64_t i = n; i > 1; --i) std::swap(order[i - 1], order[splitmix(rng) % i]);
  return order;
}

void thread_main(void* arg) {
  EmuThread& t = *static_cast<EmuThread*>(arg);
  try {
    t.block->kernel->invoke(t.block->kernel->closure.get());
    t.wait = Wait::Exited;
  } catch (const std::exception& e) {
    t.wait = Wait::Faulted;
    t.error = std::string("the kernel threw: ") + e.what();
  } catch (...) {
    t.wait = Wait::Faulted;
    t.error = "the kernel threw a non-standard exception";
  }
}

void fill_garbage(char* p, size_t n) {
  if (p && n) std::memset(p, 0xff, n);  // NaN as float or double, -1 as int, invalid as bool
}

}  // namespace

std::string Block::where(const EmuThread& t) const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "block (%u,%u,%u), thread (%u,%u,%u)", block_idx.x, block_idx.y,
                block_idx.z, t.ctx.thread_idx.x, t.ctx.thread_idx.y, t.ctx.thread_idx.z);
  return buf;
}

[[noreturn]] void Block::fault(const std::string& message) const {
  throw DeviceFault{cudaErrorLaunchFailure, "kernel launched at " + kernel->site + ": " + message};
}

void Block::make_ready(int i) {
  threads[i].wait = Wait::Ready;
  ready.push_back(i);
}

void Block::on_exit(EmuThread& t) {
  ++exited;
  warps[t.warp].exited |= 1u << t.lane;
  if (at_barrier > 0)
    fault(where(t) + " exited while " + std::to_string(at_barrier) + " thread(s) of its block wait at " +
          "__syncthreads (" + short_path(barrier_file) + ":" + std::to_string(barrier_line) +
          "): every thread of a block must reach each barrier");
  warp_lane_exited(t);
}

void Block::on_barrier(EmuThread& t) {
  if (exited > 0)
    fault(where(t) + " reached __syncthreads (" + short_path(t.file) + ":" + std::to_string(t.line) + ") after " +
          std::to_string(exited) + " thread(s) of its block had exited: a divergent barrier");
  if (at_barrier == 0) {
    barrier_file = t.file;
    barrier_line = t.line;
    barrier_op = t.barrier_op;
    barrier_acc = t.barrier_op == BarrierOp::And ? 1 : 0;
  } else if (t.line != barrier_line || std::strcmp(t.file, barrier_file) != 0 ||
             t.barrier_op != barrier_op) {
    fault("divergent barrier: " + where(t) + " waits at " + short_path(t.file) + ":" + std::to_string(t.line) +
          " while " + std::to_string(at_barrier) + " thread(s) wait at " + short_path(barrier_file) + ":" +
          std::to_string(barrier_line));
  }
  const int p = t.barrier_pred != 0;
  if (barrier_op == BarrierOp::Count) barrier_acc += p;
  else if (barrier_op == BarrierOp::And) barrier_acc &= p;
  else if (barrier_op == BarrierOp::Or) barrier_acc |= p;
  if (++at_barrier < nthreads) return;
  at_barrier = 0;
  for (int i : order) {
    threads[i].barrier_result = barrier_acc;
    make_ready(i);
  }
}

std::string Block::deadlock_message() const {
  std::string m = "deadlock: no thread can continue.";
  if (at_barrier > 0)
    m += " " + std::to_string(at_barrier) + " of " + std::to_string(nthreads) +
         " thread(s) wait at __syncthreads (" + short_path(barrier_file) + ":" +
         std::to_string(barrier_line) + ").";
  m += warp_waits();
  return m;
}

void Block::run(const uint3& idx) {
  block_idx = idx;
  exited = 0;
  at_barrier = 0;
  ready.clear();
  reset_warps();
  tsan_acquire(&g_device_sync);  // the previous block's writes come before this block's fill
  fill_garbage(__start_senti_emu_shared,
               static_cast<size_t>(__stop_senti_emu_shared - __start_senti_emu_shared));
  fill_garbage(dynamic, kernel->dynamic_shared);
  tsan_release(&g_device_sync);
  for (int i = 0; i < nthreads; ++i) {
    EmuThread& t = threads[i];
    t.ctx.block_idx = idx;
    fiber_reset(*t.fiber, thread_main, &t);
    tsan_acquire_as(*t.fiber, &g_device_sync);
  }
  for (int i = nthreads; i > 1; --i) std::swap(order[i - 1], order[splitmix(&rng) % i]);
  for (int i : order) make_ready(i);
  tls_block = this;
  while (exited < nthreads) {
    if (ready.empty()) fault(deadlock_message());
    const int i = ready.front();
    ready.pop_front();
    EmuThread& t = threads[i];
    t.wait = Wait::Running;
    tls_emu_thread = &t;
    tls_thread = &t.ctx;
    fiber_resume(*t.fiber);
    switch (t.wait) {
      case Wait::Exited: on_exit(t); break;
      case Wait::Barrier: on_barrier(t); break;
      case Wait::Warp: on_warp(t); break;
      case Wait::Yield: make_ready(i); break;
      case Wait::Faulted: fault(where(t) + ": " + t.error);
      default: fault(where(t) + ": internal error: a fiber suspended without saying why");
    }
  }
  for (EmuThread& t : threads) tsan_release_as(*t.fiber, &g_device_sync);
}

void run_kernel(const KernelRecord& k) {
  for (const auto& [index, ptr] : k.pointer_params)
    if (!is_device_accessible(ptr)) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "parameter %d is %p, which is neither device nor pinned "
                    "host memory (a kernel cannot read pageable host memory)", index, ptr);
      throw DeviceFault{cudaErrorIllegalAddress, "kernel launched at " + k.site + ": " + buf};
    }
  static uint64_t launches = 0;
  uint64_t rng = env_seed() ^ (0x51ed270b27ull * ++launches);
  Block b;
  b.kernel = &k;
  b.rng = rng;
  b.nthreads = static_cast<int>(k.block.x * k.block.y * k.block.z);
  b.threads.resize(b.nthreads);
  b.order.resize(b.nthreads);
  for (int i = 0; i < b.nthreads; ++i) {
    EmuThread& t = b.threads[i];
    const unsigned u = static_cast<unsigned>(i);
    t.ctx.thread_idx = {u % k.block.x, (u / k.block.x) % k.block.y, u / (k.block.x * k.block.y)};
    t.ctx.block_dim = k.block;
    t.ctx.grid_dim = k.grid;
    t.linear = i;
    t.warp = i / 32;
    t.lane = i % 32;
    t.block = &b;
    t.fiber = &fiber_slot(i);
    b.order[i] = i;
  }
  b.init_warps();
  // Dynamic shared memory: its own heap block of exactly the launch's size (AddressSanitizer
  // reports an access past it), refilled with garbage for every block.
  void* dyn = nullptr;
  if (posix_memalign(&dyn, 16, k.dynamic_shared) != 0)
    throw DeviceFault{cudaErrorMemoryAllocation, "dynamic shared memory"};
  b.dynamic = static_cast<char*>(dyn);
  const uint64_t blocks = uint64_t{k.grid.x} * k.grid.y * k.grid.z;
  watchdog().start(k.site);
  tsan_release(&g_device_sync);  // the host's writes come before the kernel
  try {
    const std::vector<uint64_t> order = block_order(blocks, &rng);
    for (uint64_t n = 0; n < blocks; ++n) {
      const uint64_t id = order[n];
      watchdog().block = n;
      b.run({static_cast<unsigned>(id % k.grid.x), static_cast<unsigned>((id / k.grid.x) % k.grid.y),
             static_cast<unsigned>(id / (uint64_t{k.grid.x} * k.grid.y))});
    }
  } catch (...) {
    // The abandoned fibers' writes still come before whatever the host does next.
    for (EmuThread& t : b.threads) tsan_release_as(*t.fiber, &g_device_sync);
    tsan_acquire(&g_device_sync);
    watchdog().stop();
    tls_block = nullptr;
    std::free(dyn);
    fiber_forget_abandoned(b.nthreads);
    throw;
  }
  watchdog().stop();
  tsan_acquire(&g_device_sync);  // the kernel's writes come before the host's next step
  tls_block = nullptr;
  std::free(dyn);
  note_kernel_run(k.site, blocks, blocks * static_cast<uint64_t>(b.nthreads));
}

// ---- Device-side entry points ------------------------------------------------------------------
EmuThread& current_thread(const char* what) {
  if (!tls_emu_thread || tls_emu_thread->wait != Wait::Running) {
    std::fprintf(stderr, "senti-emu: %s called outside a kernel\n", what);
    std::abort();
  }
  return *tls_emu_thread;
}

void suspend_current(EmuThread& t) { fiber_suspend(*t.fiber); }

int barrier(BarrierOp op, int predicate, const char* file, int line) {
  EmuThread& t = current_thread("__syncthreads");
  t.wait = Wait::Barrier;
  t.barrier_op = op;
  t.barrier_pred = predicate;
  t.file = file;
  t.line = line;
  Block& b = *t.block;
  tsan_release(&b.barrier_sync);
  suspend_current(t);
  tsan_acquire(&b.barrier_sync);
  return t.barrier_result;
}

void yield_thread() {
  EmuThread& t = current_thread("__nanosleep");
  t.wait = Wait::Yield;
  suspend_current(t);
}

void trap(const char* file, int line) {
  EmuThread& t = current_thread("__trap");
  t.wait = Wait::Faulted;
  t.error = "__trap() at " + short_path(file) + ":" + std::to_string(line);
  suspend_current(t);
  std::abort();  // never resumed
}

void* dynamic_shared() { return current_thread("SENTI_DYNAMIC_SHARED").block->dynamic; }

}  // namespace senti::emu
