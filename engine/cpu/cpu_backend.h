#pragma once
// The CPU backend: the reference implementation every GPU path is tested against, and a real
// trainer. Forward/backward in engine/cpu/lstm_cpu.h, clipping + Adam in engine/optimizer.h.
//
// Threads: the backend cuts each phase (gather + input projection, the recurrence, the weight
// gradients, Adam) into chunks fixed independently of the thread count, shares them among its own
// threads, and calls OpenBLAS single-threaded inside them (openblas_set_num_threads(1), a
// process-wide setting), so OpenBLAS's spinning pool never competes with those threads. The count
// is $SENTI_CPU_THREADS when set, else the number of hardware threads; describe() reports it.
// Every sum has a fixed order, so results are bit-identical run to run and for any thread count.
// BackendOptions::deterministic is therefore ignored: this backend is always deterministic.
#include <memory>

#include "engine/backend.h"

namespace senti {

// The most threads $SENTI_CPU_THREADS (or `senti bench --threads`) may ask for.
constexpr int kMaxCpuThreads = 1024;

std::unique_ptr<Backend> make_cpu_backend(const BackendOptions& opts);

// The thread count a CPU backend made now would use: $SENTI_CPU_THREADS when set (throws
// senti::Error when it is not an integer in 1..kMaxCpuThreads), else one per hardware thread.
int cpu_backend_threads();

}  // namespace senti
