#pragma once
// NVTX ranges for Nsight Systems. Compiled in when the CUDA toolkit's header-only NVTX3 is available
// (SENTI_WITH_NVTX); a no-op otherwise, so host code can mark ranges unconditionally.
#if defined(SENTI_WITH_NVTX)
#include <nvtx3/nvtx3.hpp>
#define SENTI_NVTX_CONCAT_(a, b) a##b
#define SENTI_NVTX_CONCAT(a, b) SENTI_NVTX_CONCAT_(a, b)
// Marks the rest of the enclosing scope as a named range, e.g. SENTI_NVTX_RANGE("forward").
#define SENTI_NVTX_RANGE(name) ::nvtx3::scoped_range SENTI_NVTX_CONCAT(senti_nvtx_, __LINE__){name}
#else
#define SENTI_NVTX_RANGE(name) ((void)0)
#endif
