#pragma once
// Model and optimizer hyper-parameters. Defaults are the seed recipe:
// Embedding(10000, 128) -> LSTM(64) -> Dense(1, sigmoid); Adam(1e-3, clipnorm=0.1).
#include <cstdint>
#include <string>

#include "kernels/common/math/optim.h"

namespace senti {

struct ModelConfig {
  int vocab_size = 10000;  // V: ids are in [0, V)
  int embed_dim = 128;     // E
  int hidden = 64;         // H
  int gates() const { return 4 * hidden; }  // 4H, Keras gate order i, f, c, o
};

struct OptimizerConfig {
  math::AdamHyper adam;        // lr, beta1, beta2, epsilon (Keras defaults, lr 1e-3)
  float clipnorm = 0.1f;       // per-variable clip (Keras `clipnorm`); 0 = off
  float global_clipnorm = 0.f; // clip all variables together (Keras `global_clipnorm`); 0 = off
};

}  // namespace senti
