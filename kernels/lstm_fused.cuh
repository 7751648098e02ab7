#pragma once
// senti's own LSTM recurrence (issue 13): one layer, FP32, Keras semantics (gates i, f, c(g), o;
// sigmoid / tanh; h0 = c0 = 0), forward and backward, either direction, native per-row lengths.
//
// What these kernels do and what they leave to GEMMs. The input projection P = x·W (no bias) for
// all steps is one GEMM before the forward kernel; the forward kernel runs the T dependent steps
// z_t = P_t + b + h_{t-1}·R, the cell, and stores what backward needs. The backward kernel walks
// the steps in reverse and writes dZ_t (the gradient of the pre-activations); dW = x^T·dZ,
// dR = h_prev^T·dZ, db = colsum(dZ) and dx = dZ·W^T are GEMMs after it (engine/cuda/fused_lstm.cpp).
//
// Layouts (all device memory, time-major like cuDNN's SEQ_MAJOR: row t*B + b is sample b at step t):
//   pre   [T, B, 4H]  x·W, gate-major columns g*H + u (the Keras kernel's column order)
//   y     [T, B, ldy] h_t in columns [0, H); zero at padded positions (so that the shifted GEMM
//                     dR = y_{t-1}^T·dZ_t needs no mask: padded rows give nothing)
//   hy    [B, ldh]    the state after each row's last real step (after its first real token when
//                     reverse)
//   gates [T, B, 4H]  activated gates; c, tc [T, B, H] the cell state and tanh of it
//   dz    [T, B, 4H]  written by backward, zero at padded positions
// ldy / ldh let the two directions of a bidirectional layer write one concatenated [.., 2H] buffer.
//
// Masking (docs/model.md): row b's real tokens are `len = lengths[b]` positions (all T when lengths
// is null); with post padding they are [0, len), with pre padding [T - len, T). A masked step
// carries h and c, so the kernels simply run each row over its real positions only: forward in
// increasing position, reverse from the last real token back to the first. Padded positions get no
// gradient. Lengths outside [0, T] are clamped (a length of 0 gives hy = 0 and no gradient).
//
// Determinism: every sum runs in a fixed order inside one thread or a fixed shuffle tree; no
// atomics. Results are bit-identical run to run.
//
// Two implementations behind the same call (FusedLstmPath):
//   Resident  H in {64, 128}: 4H threads per row, each owning one gate column (forward) or one
//             H-chunk of a row of R (backward); R lives in registers (the first kRegisterRows of
//             each thread's H values) and shared memory (the rest). One barrier per step; the four
//             gates of a unit meet through warp shuffles.
//   Generic   any H >= 1: R (and R^T for backward) read from global memory/L2 every step; a block of
//             up to 1024 threads strides over gate columns and units; two barriers per step.
// Plain C++ declarations: included by the engine and the tests as well as by the .cu files.
#include <cstdint>

#include <cuda_runtime_api.h>

namespace senti::kernels {

enum class Padding { Post, Pre };                 // where a short row's padding sits
enum class FusedLstmPath { Auto, Resident, Generic };

// The batch geometry every call shares.
struct FusedLstmBatch {
  int B = 0, T = 0, H = 0;
  const int32_t* lengths = nullptr;  // device [B] or null (every row has T real steps)
  Padding padding = Padding::Post;
  FusedLstmPath path = FusedLstmPath::Auto;  // Auto: Resident when it exists for H
};

// One direction's forward operands. gates, c and tc may be null for inference (nothing kept),
// y may be null when the sequence output is not wanted.
struct FusedLstmForwardDir {
  const float* recurrent = nullptr;  // R (H, 4H), Keras layout
  const float* bias = nullptr;       // (4H)
  const float* pre = nullptr;        // [T, B, 4H]
  bool reverse = false;
  float* y = nullptr;
  int ldy = 0;  // 0 means H
  float* hy = nullptr;
  int ldh = 0;  // 0 means H
  float* gates = nullptr;
  float* c = nullptr;
  float* tc = nullptr;
};

// One direction's backward operands (the same gates, c, tc as its training forward).
struct FusedLstmBackwardDir {
  const float* recurrent = nullptr;    // R (H, 4H), read by the resident path
  const float* recurrent_t = nullptr;  // R^T (4H, H), read by the generic path (see transpose)
  bool reverse = false;
  const float* gates = nullptr;
  const float* c = nullptr;
  const float* tc = nullptr;
  const float* dhy = nullptr;  // [B, ldh] dL/dhy, or null (zero)
  int ldh = 0;
  const float* dy = nullptr;   // [T, B, ldy] dL/dy, or null (zero: only hy feeds the loss)
  int ldy = 0;
  float* dz = nullptr;         // [T, B, 4H] out
};

// True when the resident implementation exists for this hidden size.
bool fused_lstm_resident(int H);
// The implementation `batch` runs: never Auto.
FusedLstmPath fused_lstm_resolve(const FusedLstmBatch& batch);
// "resident (H 64, 256 threads, R in registers)" / "generic (...)": for describe() and logs.
const char* fused_lstm_path_name(FusedLstmPath path);

// The recurrence for `ndirs` (1 or 2) directions in one launch (grid B x ndirs), on `stream`.
void fused_lstm_forward(const FusedLstmBatch& batch, const FusedLstmForwardDir* dirs, int ndirs,
                        cudaStream_t stream);
void fused_lstm_backward(const FusedLstmBatch& batch, const FusedLstmBackwardDir* dirs, int ndirs,
                         cudaStream_t stream);

// out (cols, rows) = in (rows, cols)^T, row-major (R^T for the generic backward).
void fused_lstm_transpose(const float* in, int rows, int cols, float* out, cudaStream_t stream);

}  // namespace senti::kernels
