#pragma once
// One LSTM unit's step, forward and backward, Keras semantics (activation tanh, recurrent_activation
// sigmoid, gate order i, f, c, o). Pre-activations z = x·W + h_prev·R + b are computed by GEMMs
// elsewhere; these functions are the per-element part that the CPU twin and the CUDA code share.
#include <cmath>

#include "kernels/common/math/activations.h"
#include "kernels/common/math/hd.h"

namespace senti::math {

struct LstmGates {
  float i, f, g, o;  // activated input, forget, candidate ("c" in Keras) and output gates
};

// Forward: activates the gates and returns them; writes the new cell state c, tanh(c) (which the
// backward reads instead of recomputing it) and the hidden state.
SENTI_HD LstmGates lstm_cell_forward(float zi, float zf, float zg, float zo, float c_prev,
                                     float* c_out, float* tc_out, float* h_out) {
  LstmGates a{sigmoid(zi), sigmoid(zf), tanhf(zg), sigmoid(zo)};
  const float c = a.f * c_prev + a.i * a.g;
  const float tc = tanhf(c);
  *c_out = c;
  *tc_out = tc;
  *h_out = a.o * tc;
  return a;
}

// The same step for callers that do not keep tanh(c).
SENTI_HD LstmGates lstm_cell_forward(float zi, float zf, float zg, float zo, float c_prev,
                                     float* c_out, float* h_out) {
  float tc;
  return lstm_cell_forward(zi, zf, zg, zo, c_prev, c_out, &tc, h_out);
}

struct LstmCellGrad {
  float dzi, dzf, dzg, dzo;  // gradient w.r.t. the pre-activations
  float dc_prev;             // gradient flowing to the previous cell state
};

// Backward: dh is dL/dh_t (from the layer above plus the recurrent path), dc is dL/dc_t carried
// from step t+1; the gates, c_{t-1} and tc = tanh(c_t) come from the forward pass (callers keep
// tanh(c_t) from the forward so the backward needs no transcendental functions).
SENTI_HD LstmCellGrad lstm_cell_backward(LstmGates a, float c_prev, float tc, float dh, float dc) {
  const float dct = dc + dh * a.o * (1.f - tc * tc);
  LstmCellGrad r;
  r.dzi = dct * a.g * a.i * (1.f - a.i);
  r.dzf = dct * c_prev * a.f * (1.f - a.f);
  r.dzg = dct * a.i * (1.f - a.g * a.g);
  r.dzo = dh * tc * a.o * (1.f - a.o);
  r.dc_prev = dct * a.f;
  return r;
}

}  // namespace senti::math
