#pragma once
// Keras's default initializers for Embedding -> LSTM -> Dense, seeded and reproducible on every
// platform (own uniform/normal transforms over std::mt19937_64; std distributions are
// implementation-defined, so they are not used).
//
//   embedding         uniform(-0.05, 0.05)                        Keras Embedding default
//   kernel            glorot_uniform, fan_in E, fan_out 4H         Keras LSTM kernel default
//   recurrent_kernel  orthogonal (H, 4H): rows orthonormal         Keras LSTM recurrent default
//   bias              zeros, forget block [H, 2H) = 1              unit_forget_bias=True
//   dense_kernel      glorot_uniform, fan_in F, fan_out O          Keras Dense default (F = H for
//                                                                  the seed model)
//   backward LSTM     as the forward one, own streams              bidirectional models only
//   dense_bias        zeros
//
// Each tensor draws from its own generator, seeded from (seed, tensor index), so one tensor's values
// do not depend on the size of another. The values are not Keras's (different RNG), the
// distributions are.
#include <cstdint>
#include <vector>

#include "engine/model_config.h"
#include "engine/params.h"

namespace senti {

// A fresh training state: initialised parameters, zero Adam moments (m, v), step 0.
// Same (cfg, seed) -> bit-identical state on every platform.
TrainState init_train_state(const ModelConfig& cfg, uint64_t seed);

// Writes initialised parameters into `params` (ParamLayout order, layout.total() floats).
void init_params(const ParamLayout& layout, uint64_t seed, float* params);

namespace init_detail {
// Exposed for tests.
// Orthogonal matrix of shape (rows, cols) as Keras's Orthogonal(gain=1) builds it: a normal matrix
// of shape (max, min), reduced QR, columns of Q times sign(diag(R)), transposed when rows < cols.
// Row-major output of rows*cols floats.
void orthogonal(uint64_t seed, int rows, int cols, float* out);
// Glorot-uniform limit sqrt(6 / (fan_in + fan_out)).
double glorot_limit(int fan_in, int fan_out);
}  // namespace init_detail

}  // namespace senti
