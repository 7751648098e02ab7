#pragma once
// Emulated CUDA device, internal: the state of the block being run (block_runner.cpp) and its warps
// (warp_collectives.cpp).
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "cuda_runtime.h"
#include "fiber.h"
#include "kernel_record.h"

namespace senti::emu {

enum class Wait { Ready, Running, Barrier, Warp, Yield, Exited, Faulted };

struct Block;

struct EmuThread {
  ThreadContext ctx{};
  Fiber* fiber = nullptr;
  Block* block = nullptr;
  int linear = 0, warp = 0, lane = 0;
  Wait wait = Wait::Ready;
  const char* file = "";  // where it waits
  int line = 0;
  // __syncthreads(_count/_and/_or)
  BarrierOp barrier_op = BarrierOp::Plain;
  int barrier_pred = 0;
  int barrier_result = 0;
  // warp function
  WarpOp warp_op = WarpOp::Shfl;
  unsigned mask = 0;
  uint64_t bits = 0;     // the value it passes
  int bytes = 0;
  int arg = 0;           // source lane, delta, lane mask, or signedness for reductions
  int width = 32;
  uint64_t warp_result = 0;
  std::string error;     // why it faulted
};

// Lanes of one warp waiting in the same warp function with the same mask.
struct WarpGroup {
  WarpOp op;
  unsigned mask;
  unsigned arrived;
  int width;
  const char* file;
  int line;
};

struct WarpState {
  unsigned lanes = 0;   // lanes that exist (the last warp of a block may be partial)
  unsigned exited = 0;
  std::vector<WarpGroup> open;
  char tsan_sync = 0;
};

struct Block {
  const KernelRecord* kernel = nullptr;
  uint3 block_idx{};
  int nthreads = 0;
  std::vector<EmuThread> threads;
  std::vector<int> order;  // resume order, reshuffled per block
  std::deque<int> ready;
  std::vector<WarpState> warps;
  char* dynamic = nullptr;
  uint64_t rng = 0;
  int exited = 0;
  int at_barrier = 0;
  const char* barrier_file = "";
  int barrier_line = 0;
  BarrierOp barrier_op = BarrierOp::Plain;
  int barrier_acc = 0;
  char barrier_sync = 0;

  void run(const uint3& idx);
  std::string where(const EmuThread& t) const;
  [[noreturn]] void fault(const std::string& message) const;
  void make_ready(int i);
  void on_exit(EmuThread& t);
  void on_barrier(EmuThread& t);
  std::string deadlock_message() const;
  // warp_collectives.cpp
  void init_warps();
  void reset_warps();
  void on_warp(EmuThread& t);
  void warp_lane_exited(EmuThread& t);
  std::string warp_waits() const;
};

EmuThread& current_thread(const char* what);
void suspend_current(EmuThread& t);

}  // namespace senti::emu
