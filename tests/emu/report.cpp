// Emulated CUDA device: what ran as our kernels and what through CPU stand-ins (usage_report), and
// the entry point stand-ins use to queue their work.
#include <map>
#include <sstream>
#include <string>

#include "runtime.h"

namespace senti::emu {
namespace {

struct KernelUse {
  uint64_t launches = 0, blocks = 0, threads = 0;
};

std::map<std::string, KernelUse>& kernel_uses() {
  static auto* m = new std::map<std::string, KernelUse>();
  return *m;
}
std::map<std::string, uint64_t>& standin_uses() {
  static auto* m = new std::map<std::string, uint64_t>();
  return *m;
}

}  // namespace

void note_kernel_run(const std::string& site, uint64_t blocks, uint64_t threads) {
  KernelUse& u = kernel_uses()[site];
  ++u.launches;
  u.blocks += blocks;
  u.threads += threads;
}

void note_standin(const std::string& name) { ++standin_uses()[name]; }

cudaError_t enqueue_standin(cudaStream_t stream, const char* name, std::function<void()> work) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  CUstream_st* s = nullptr;
  if (const cudaError_t e = resolve_stream(stream, &s)) return e;
  const std::string n = name;
  return submit(s, {"CPU stand-in " + n, [n, work = std::move(work)] {
                      note_standin(n);
                      work();
                    }});
}

std::string usage_report() {
  Lock lock(runtime_mutex());
  std::ostringstream os;
  for (const auto& [site, u] : kernel_uses())
    os << "senti-emu: kernel ran on the emulated device: " << site << ": " << u.launches
       << " launch(es), " << u.blocks << " block(s), " << u.threads << " thread(s)\n";
  for (const auto& [name, calls] : standin_uses())
    os << "senti-emu: CPU stand-in (not our kernel): " << name << ": " << calls << " call(s)\n";
  if (kernel_uses().empty() && standin_uses().empty())
    os << "senti-emu: no device work ran\n";
  return os.str();
}

}  // namespace senti::emu
