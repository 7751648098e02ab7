// Emulated CUDA device: warp functions (__shfl*_sync, __ballot_sync, __any_sync, __all_sync,
// __reduce_*_sync, __syncwarp). A lane calling one waits until every lane named in the mask has
// called the same function (same call site, same mask, same width); then all of them get their
// results at once. Checked, as CUDA states the rules (a violation is a device fault):
//   the calling lane is in its own mask; the mask names only lanes that exist and have not exited;
//   lanes whose masks overlap use the same mask; a lane named in a waiting mask does not exit.
// A shuffle that reads a lane outside the mask gets garbage (all bits set: NaN), not a fault: CUDA
// leaves that value undefined and code may legitimately discard it.
#include <cstdio>
#include <cstring>
#include <string>

#include "block_runner.h"
#include "runtime.h"

namespace senti::emu {
namespace {

constexpr uint64_t kUndefined = ~uint64_t{0};

const char* op_name(WarpOp op) {
  switch (op) {
    case WarpOp::Shfl: return "__shfl_sync";
    case WarpOp::ShflUp: return "__shfl_up_sync";
    case WarpOp::ShflDown: return "__shfl_down_sync";
    case WarpOp::ShflXor: return "__shfl_xor_sync";
    case WarpOp::Ballot: return "__ballot_sync";
    case WarpOp::Any: return "__any_sync";
    case WarpOp::All: return "__all_sync";
    case WarpOp::ReduceAdd: return "__reduce_add_sync";
    case WarpOp::ReduceMin: return "__reduce_min_sync";
    case WarpOp::ReduceMax: return "__reduce_max_sync";
    case WarpOp::SyncWarp: return "__syncwarp";
  }
  return "?";
}

std::string hex(unsigned m) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", m);
  return buf;
}

std::string site(const char* file, int line) { return short_path(file) + ":" + std::to_string(line); }

// The lane whose value `lane` receives, or -1 for "its own value".
int source_lane(WarpOp op, int lane, int arg, int width) {
  const int segment = lane & ~(width - 1), in_segment = lane & (width - 1);
  switch (op) {
    case WarpOp::Shfl: return segment + (arg & (width - 1));
    case WarpOp::ShflUp: return in_segment - arg < 0 ? -1 : lane - arg;
    case WarpOp::ShflDown: return in_segment + arg >= width ? -1 : lane + arg;
    case WarpOp::ShflXor: {
      const int src = lane ^ arg;  // earlier segments are readable, later ones are not
      return (src < 0 || src >= segment + width) ? -1 : src;
    }
    default: return -1;
  }
}

uint64_t sign_extend(uint64_t bits, int bytes) {
  if (bytes <= 0 || bytes >= 8) return bits;
  const int shift = 64 - 8 * bytes;
  return static_cast<uint64_t>(static_cast<int64_t>(bits << shift) >> shift);
}

}  // namespace

void Block::init_warps() {
  warps.assign(static_cast<size_t>((nthreads + 31) / 32), WarpState{});
  for (size_t w = 0; w < warps.size(); ++w) {
    const int n = std::min(32, nthreads - static_cast<int>(w) * 32);
    warps[w].lanes = n == 32 ? ~0u : (1u << n) - 1;
  }
}

void Block::reset_warps() {
  for (WarpState& w : warps) {
    w.exited = 0;
    w.open.clear();
  }
}

void Block::on_warp(EmuThread& t) {
  WarpState& w = warps[t.warp];
  const unsigned bit = 1u << t.lane;
  auto call = [&t] { return std::string(op_name(t.warp_op)) + " (" + site(t.file, t.line) + ")"; };
  if (!(t.mask & bit))
    fault(where(t) + ": lane " + std::to_string(t.lane) + " calls " + call() + " with mask " +
          hex(t.mask) + ", which does not include the calling lane");
  if (t.mask & ~w.lanes)
    fault(where(t) + ": " + call() + " mask " + hex(t.mask) + " names lanes " + hex(t.mask & ~w.lanes) +
          " that do not exist (the block has " + std::to_string(nthreads) + " threads)");
  if (t.mask & w.exited)
    fault(where(t) + ": " + call() + " mask " + hex(t.mask) + " names lanes " + hex(t.mask & w.exited) +
          " that have already exited");
  if (t.width < 1 || t.width > 32 || (t.width & (t.width - 1)))
    fault(where(t) + ": " + call() + " width " + std::to_string(t.width) +
          " is not a power of two in [1, 32]");
  WarpGroup* g = nullptr;
  for (WarpGroup& o : w.open) {
    if (o.mask == t.mask) {
      g = &o;
      break;
    }
    if (o.mask & t.mask)
      fault(where(t) + ": lane " + std::to_string(t.lane) + " calls " + call() + " with mask " +
            hex(t.mask) + " while lanes " + hex(o.arrived) + " wait in " + op_name(o.op) + " (" +
            site(o.file, o.line) + ") with mask " + hex(o.mask) +
            ": lanes named in a mask must all pass the same mask");
  }
  if (g && (g->op != t.warp_op || g->line != t.line || std::strcmp(g->file, t.file) != 0 ||
            g->width != t.width))
    fault(where(t) + ": lane " + std::to_string(t.lane) + " calls " + call() + " while lanes " +
          hex(g->arrived) + " of the same mask " + hex(t.mask) + " wait in " + op_name(g->op) +
          " (" + site(g->file, g->line) + ", width " + std::to_string(g->width) + ")");
  if (!g) {
    w.open.push_back({t.warp_op, t.mask, 0u, t.width, t.file, t.line});
    g = &w.open.back();
  }
  g->arrived |= bit;
  if (g->arrived != g->mask) return;

  // Everyone named has arrived: compute every lane's result, then release them in lane order.
  const int base = t.warp * 32;
  const WarpGroup done = *g;
  w.open.erase(w.open.begin() + (g - w.open.data()));
  uint64_t combined = 0;
  bool all = true, any = false;
  int64_t smin = INT64_MAX, smax = INT64_MIN;
  uint64_t umin = UINT64_MAX, umax = 0;
  for (int l = 0; l < 32; ++l) {
    if (!(done.mask & (1u << l))) continue;
    const EmuThread& u = threads[base + l];
    const bool p = u.bits != 0;
    any = any || p;
    all = all && p;
    if (done.op == WarpOp::Ballot && p) combined |= uint64_t{1} << l;
    if (done.op == WarpOp::ReduceAdd) combined += u.bits;
    const int64_t s = static_cast<int64_t>(sign_extend(u.bits, u.bytes));
    smin = std::min(smin, s), smax = std::max(smax, s);
    umin = std::min(umin, u.bits), umax = std::max(umax, u.bits);
  }
  for (int l = 0; l < 32; ++l) {
    if (!(done.mask & (1u << l))) continue;
    EmuThread& u = threads[base + l];
    switch (done.op) {
      case WarpOp::Shfl:
      case WarpOp::ShflUp:
      case WarpOp::ShflDown:
      case WarpOp::ShflXor: {
        const int src = source_lane(done.op, l, u.arg, done.width);
        u.warp_result = src < 0 ? u.bits
                        : (src < 32 && (done.mask & (1u << src))) ? threads[base + src].bits
                                                                  : kUndefined;
        break;
      }
      case WarpOp::Ballot: u.warp_result = combined; break;
      case WarpOp::Any: u.warp_result = any; break;
      case WarpOp::All: u.warp_result = all; break;
      case WarpOp::ReduceAdd: u.warp_result = combined; break;
      case WarpOp::ReduceMin: u.warp_result = u.arg ? static_cast<uint64_t>(smin) : umin; break;
      case WarpOp::ReduceMax: u.warp_result = u.arg ? static_cast<uint64_t>(smax) : umax; break;
      case WarpOp::SyncWarp: u.warp_result = 0; break;
    }
    make_ready(base + l);
  }
}

void Block::warp_lane_exited(EmuThread& t) {
  const unsigned bit = 1u << t.lane;
  for (const WarpGroup& g : warps[t.warp].open)
    if (g.mask & bit)
      fault(where(t) + " exited while lanes " + hex(g.arrived) + " of its warp wait for it in " +
            op_name(g.op) + " (" + site(g.file, g.line) + ") with mask " + hex(g.mask));
}

std::string Block::warp_waits() const {
  std::string m;
  for (size_t w = 0; w < warps.size(); ++w)
    for (const WarpGroup& g : warps[w].open) {
      m += " Warp " + std::to_string(w) + ": lanes " + hex(g.arrived) + " wait in " + op_name(g.op) +
           " (" + site(g.file, g.line) + ") with mask " + hex(g.mask) + " for lanes " +
           hex(g.mask & ~g.arrived);
      for (int l = 0; l < 32; ++l) {
        if (!((g.mask & ~g.arrived) & (1u << l))) continue;
        const EmuThread& u = threads[w * 32 + l];
        m += std::string(" [lane ") + std::to_string(l) +
             (u.wait == Wait::Barrier ? " waits at __syncthreads (" + site(u.file, u.line) + ")"
              : u.wait == Wait::Warp  ? std::string(" waits in ") + op_name(u.warp_op) + " (" +
                                           site(u.file, u.line) + ") with mask " + hex(u.mask)
                                      : std::string(" is elsewhere")) +
             "]";
      }
      m += ".";
    }
  return m;
}

uint64_t warp_collective(WarpOp op, unsigned mask, uint64_t bits, int bytes, int arg, int width,
                         const char* file, int line) {
  EmuThread& t = current_thread(op_name(op));
  t.wait = Wait::Warp;
  t.warp_op = op;
  t.mask = mask;
  t.bits = bits;
  t.bytes = bytes;
  t.arg = arg;
  t.width = width;
  t.file = file;
  t.line = line;
  char* sync = &t.block->warps[t.warp].tsan_sync;
  tsan_release(sync);
  suspend_current(t);
  tsan_acquire(sync);
  return t.warp_result;
}

unsigned active_mask() {
  EmuThread& t = current_thread("__activemask");
  const WarpState& w = t.block->warps[t.warp];
  return w.lanes & ~w.exited;
}

}  // namespace senti::emu
