#pragma once
// The CPU backend: the reference implementation every GPU path is tested against, and a real
// trainer. Forward/backward in engine/cpu/lstm_cpu.h, clipping + Adam in engine/optimizer.h.
//
// Threads: the GEMMs run on OpenBLAS's thread pool; everything else is single-threaded with
// fixed-order reductions, so results are bit-identical for a fixed OpenBLAS thread count. The count
// is $SENTI_CPU_THREADS when set (applied with openblas_set_num_threads), otherwise OpenBLAS's own
// default ($OPENBLAS_NUM_THREADS, else one per core). describe() reports the count in use.
#include <memory>

#include "engine/backend.h"

namespace senti {

std::unique_ptr<Backend> make_cpu_backend(const BackendOptions& opts);

}  // namespace senti
