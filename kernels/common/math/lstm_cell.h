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

// Gate `gate`'s activation (0 i, 1 f, 2 g (Keras "c"), 3 o) of its pre-activation z: what
// lstm_cell_forward applies to each gate. Lets a kernel activate the four gates in four lanes.
SENTI_HD float lstm_gate_activation(int gate, float z) { return gate == 2 ? tanhf(z) : sigmoid(z); }

// The cell update from the activated gates: c = f·c_prev + i·g, tanh(c) (kept, so the backward
// needs no transcendental function) and h = o·tanh(c).
SENTI_HD void lstm_cell_update(LstmGates a, float c_prev, float* c_out, float* tc_out, float* h_out) {
  const float c = a.f * c_prev + a.i * a.g;
  const float tc = tanhf(c);
  *c_out = c;
  *tc_out = tc;
  *h_out = a.o * tc;
}

// Forward: activates the gates and returns them; writes the new cell state c, tanh(c) and the
// hidden state. The same arithmetic as lstm_gate_activation + lstm_cell_update, bit for bit.
SENTI_HD LstmGates lstm_cell_forward(float zi, float zf, float zg, float zo, float c_prev,
                                     float* c_out, float* tc_out, float* h_out) {
  const LstmGates a{lstm_gate_activation(0, zi), lstm_gate_activation(1, zf),
                    lstm_gate_activation(2, zg), lstm_gate_activation(3, zo)};
  lstm_cell_update(a, c_prev, c_out, tc_out, h_out);
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
