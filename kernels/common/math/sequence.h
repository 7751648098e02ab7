#pragma once
// Where the real tokens of a padded row are, and the masked pooling over time: the index rules of
// docs/model.md ("Variable-length sequences"), shared by the CPU backend and the CUDA kernels.
#include <cstdint>

#include "kernels/common/math/hd.h"

namespace senti::math {

// Position in the padded row (0 .. T-1) of real token k (0 .. len-1): post padding keeps the real
// tokens first, pre padding last. Unmasked models use len = T (every position is real).
SENTI_HD int real_token_position(int k, int len, int T, bool pre_padded) {
  return pre_padded ? T - len + k : k;
}

// The token the LSTM direction reads at its step s (0 .. len-1): forward reads real token s, the
// backward direction real token len-1-s (only the real tokens, in reverse).
SENTI_HD int direction_token(int s, int len, bool backward) { return backward ? len - 1 - s : s; }

// Masked max pooling, one element: called for steps s = 0, 1, ... in order; keeps the first step
// that attains the maximum (its gradient goes there).
SENTI_HD void pool_max_update(float h, int s, float* max, int32_t* argmax) {
  if (s == 0 || h > *max) {
    *max = h;
    *argmax = s;
  }
}

}  // namespace senti::math
