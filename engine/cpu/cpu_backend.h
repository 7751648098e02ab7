#pragma once
// The CPU backend: the reference implementation every GPU path is tested against, and a real
// trainer. Forward/backward in engine/cpu/lstm_cpu.h, clipping + Adam in engine/optimizer.h.
//
// Threads: the backend splits each phase (gather + input projection, the recurrence, the weight
// gradients) into a fixed number of parts run on its own threads, and calls OpenBLAS
// single-threaded inside them (openblas_set_num_threads(1), a process-wide setting), so OpenBLAS's
// spinning pool never competes with those threads. The count is $SENTI_CPU_THREADS when set, else
// the number of hardware threads; describe() reports it. Every reduction has a fixed order, so
// results are bit-identical run to run for a fixed thread count.
#include <memory>

#include "engine/backend.h"

namespace senti {

std::unique_ptr<Backend> make_cpu_backend(const BackendOptions& opts);

}  // namespace senti
