#pragma once
// Embedding backward, deterministic: the dense (V, E) gradient of the table from the gradient of
// the gathered input, dx [T, B, E] (what cudnnRNNBackwardData_v8 writes).
//
//   dtable[v, e] = sum over (b, t) with ids[b, t] == v of dx[(t*B + b)*E + e]   (0 for absent ids)
//
// No float atomics: the N = B*T (id, row) pairs are sorted by id with CUB's stable radix sort, each
// fixed chunk of kChunk sorted rows sums its runs of equal ids, and one pass adds the chunk pieces of
// each id in chunk order. The summation order depends on the ids only, so two runs are bit-identical.
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace senti::kernels {

// Device scratch bytes embedding_backward needs for up to max_rows = B*T rows.
size_t embedding_backward_workspace_bytes(int64_t max_rows, int V, int E);

// ids: device (B, T); dx: device [T, B, E]; dtable: device (V, E), fully overwritten.
// workspace: device, at least embedding_backward_workspace_bytes(B*T, V, E) bytes, 256-aligned.
void embedding_backward(const int32_t* ids, int B, int T, const float* dx, int V, int E,
                        float* dtable, void* workspace, size_t workspace_bytes,
                        cudaStream_t stream);

}  // namespace senti::kernels
