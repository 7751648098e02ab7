#pragma once
// Embedding forward: gathers the rows of the (V, E) table for a (B, T) batch of token ids into the
// sequence-major [T, B, E] layout that cuDNN's RNN reads (CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED).
//
//   x[(t*B + b)*E + e] = table[ids[b*T + t]*E + e]
//
// Plain C++ declarations: included by the engine (.cpp) and the tests as well as by the .cu file.
#include <cstdint>

#include <cuda_runtime_api.h>

namespace senti::kernels {

// ids: device (B, T) row-major, every id in [0, V) (the caller validates; ids outside are not read
// from the table, the row is zero-filled instead so a bad id can never read out of bounds).
// table: device (V, E); x: device [T, B, E]. Asynchronous on `stream`.
void embedding_forward(const int32_t* ids, int B, int T, const float* table, int V, int E, float* x,
                       cudaStream_t stream);

}  // namespace senti::kernels
