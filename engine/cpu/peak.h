#pragma once
// What this CPU can do, measured, for `senti bench --peak` (docs/performance.md, "Roofline"):
// the FMA throughput of a register-only loop (every thread at once, the widest vector unit the CPU
// has) and the rate of the LSTM's GEMM shapes through each library of engine/cpu/small_gemm.h.
// Together with a step's model FLOPs they say how far a training step is from the machine's peak.
#include <string>
#include <vector>

namespace senti::cpu {

struct FmaPeak {
  std::string isa;          // "avx512f", "avx2+fma" or "scalar"
  int threads = 0;
  double gflops_per_thread = 0;  // single precision, one thread alone
  double gflops_all = 0;         // every thread at once (the figure a step is compared with)
};

// ~0.2 s per measurement; `threads` >= 1.
FmaPeak measure_fma_peak(int threads);

struct GemmRate {
  std::string shape;  // e.g. "recurrence h·R 16x256x64"
  double openblas_gflops = 0, libxsmm_gflops = 0;  // 0 = no kernel
};

// The seed step's GEMM shapes at batch B, hidden H, embedding E (one thread).
std::vector<GemmRate> measure_gemm_rates(int batch, int embed, int hidden);

// Model FLOPs of one training step of an LSTM layer over B·T positions (forward 2·(E+H)·4H per
// position, backward twice that), the usual "model FLOPs" convention: slots shared by repeated
// tokens (engine/cpu/lstm_cpu.h) are counted per position, so the rate can exceed what was executed.
double lstm_step_model_flops(int batch, int maxlen, int embed, int hidden, int directions);

}  // namespace senti::cpu
