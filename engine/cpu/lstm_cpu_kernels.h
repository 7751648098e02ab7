#pragma once
// The CPU LSTM's inner loops (per-element cell, per-slot sums; its GEMMs: small_gemm.h). The cell
// runs over whole rows with the branch-free exp/sigmoid/tanh of engine/cpu/vec_math.h and the
// formulas of kernels/common/math/lstm_cell.h (which the CUDA kernels use); the loops are GCC
// target clones (x86-64-v4 AVX-512, x86-64-v3 AVX2+FMA, baseline) picked once at load time, so
// results are deterministic on a machine.
#include <cstddef>
#include <cstdint>

namespace senti::cpu {

// Forward for nb rows at one step: z (nb, 4H) holds h_{t-1}·R (ignored when hr is false: the
// first step, h_0 = 0); pre[row] (4H) = x·W + bias of the row's token. Overwrites z with the
// activated gates i, f, g, o and writes c_t, h_t (rows of c_next, h_next) and tanh(c_t).
void cell_forward(int nb, int H, bool hr, float* z, const float* const* pre, const float* c_prev,
                  float* c_next, float* h_next, float* tc_next);

// Backward for nb rows at one step: z (nb, 4H) holds the activated gates and becomes dZ_t; dh is
// dL/dh_t; dc is dL/dc_t on entry and dL/dc_{t-1} on return.
void cell_backward(int nb, int H, float* z, const float* c_prev, const float* tc_cur,
                   const float* dh, float* dc);

// The rows of each of U slots in row order (a stable counting sort of slot[rows]): slot u's rows
// are rows_of_slot[first[u] .. first[u + 1]). first has U + 1 entries.
void group_rows_by_slot(size_t rows, int U, const int32_t* slot, int32_t* first,
                        int32_t* rows_of_slot);

// S[u, j0..j1) = the sum of the dz rows of slot u (columns [j0, j1) of rows of width G). A slot
// of up to 8 rows is summed in row order; a larger one (the padding id of a post-padded batch
// has thousands) by pairwise summation of 8-row blocks, so its rounding error grows with log2 of
// its row count, not with the count (issue 23; tests/cpu/gradient_accuracy_test.cpp).
void sum_rows_per_slot(int U, int G, int j0, int j1, const float* dz, const int32_t* first,
                       const int32_t* rows_of_slot, float* S);

// db[j0, j1) = column sums of S (U rows) in double, rows in order.
void column_sums(int U, int G, int j0, int j1, const float* S, double* db);

// out (cols, rows) = in (rows, cols)^T, row-major.
void transpose(const float* in, int rows, int cols, float* out);

// Σ (a[i] · f[i])² in double over n elements (f = null: all factors 1), in a fixed order.
double scaled_sum_of_squares(const float* a, const float* f, size_t n);

}  // namespace senti::cpu
