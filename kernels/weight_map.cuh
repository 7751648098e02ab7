#pragma once
// Moves the LSTM weights between the Keras layout (kernel (E,4H), recurrent_kernel (H,4H),
// bias (4H), adjacent in the flat parameter buffer) and cuDNN's opaque weight space, through an
// index map built from cudnnGetRNNWeightParams (engine/cuda/cudnn_lstm.cpp): element k of the Keras
// block lives at weight-space index map[k]. Weight-space elements that no Keras element maps to
// (cuDNN's input-side biases) are never written: they stay zero, as in TensorFlow's cuDNN path.
#include <cstdint>

#include <cuda_runtime_api.h>

namespace senti::kernels {

// ws[map[k]] = keras[k] for k in [0, n).
void scatter_to_weight_space(const float* keras, const int32_t* map, int64_t n, float* ws,
                             cudaStream_t stream);

// keras[k] = ws[map[k]] for k in [0, n) (used for the weight gradient).
void gather_from_weight_space(const float* ws, const int32_t* map, int64_t n, float* keras,
                              cudaStream_t stream);

}  // namespace senti::kernels
