#pragma once
// Carving one device workspace into sub-buffers: each piece starts on a 256-byte boundary, the
// alignment cudaMalloc gives and CUB's temporary storage expects. Shared by the kernels that take a
// caller-allocated workspace (clip_norms, embedding_backward).
#include <cstddef>

namespace senti::kernels {

constexpr size_t kWorkspaceAlign = 256;

// n rounded up to a multiple of kWorkspaceAlign.
constexpr size_t align256(size_t n) { return (n + kWorkspaceAlign - 1) & ~(kWorkspaceAlign - 1); }

}  // namespace senti::kernels
