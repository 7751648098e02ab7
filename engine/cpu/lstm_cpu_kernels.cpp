#include "engine/cpu/lstm_cpu_kernels.h"

#include <algorithm>

#include "engine/cpu/cascade_sum.h"
#include "engine/cpu/vec_math.h"
#include "kernels/common/math/lstm_cell.h"

namespace senti::cpu {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SENTI_CPU_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SENTI_CPU_CLONES
#endif

SENTI_CPU_CLONES
void cell_forward(int nb, int H, bool hr, float* __restrict z, const float* const* pre,
                  const float* __restrict c_prev, float* __restrict c_next,
                  float* __restrict h_next, float* __restrict tc_next) {
  const int G = 4 * H;
  for (int b = 0; b < nb; ++b) {
    float* __restrict zb = z + static_cast<size_t>(b) * G;
    const float* __restrict pb = pre[b];
    if (hr) {
      for (int j = 0; j < 2 * H; ++j) zb[j] = vsigmoid(zb[j] + pb[j]);
      for (int j = 2 * H; j < 3 * H; ++j) zb[j] = vtanh(zb[j] + pb[j]);
      for (int j = 3 * H; j < G; ++j) zb[j] = vsigmoid(zb[j] + pb[j]);
    } else {
      for (int j = 0; j < 2 * H; ++j) zb[j] = vsigmoid(pb[j]);
      for (int j = 2 * H; j < 3 * H; ++j) zb[j] = vtanh(pb[j]);
      for (int j = 3 * H; j < G; ++j) zb[j] = vsigmoid(pb[j]);
    }
    const size_t o = static_cast<size_t>(b) * H;
    const float* __restrict ig = zb;
    const float* __restrict fg = zb + H;
    const float* __restrict gg = zb + 2 * H;
    const float* __restrict og = zb + 3 * H;
    for (int j = 0; j < H; ++j) {
      const float c = fg[j] * c_prev[o + j] + ig[j] * gg[j];
      const float tc = vtanh(c);
      c_next[o + j] = c;
      tc_next[o + j] = tc;
      h_next[o + j] = og[j] * tc;
    }
  }
}

SENTI_CPU_CLONES
void cell_backward(int nb, int H, float* __restrict z, const float* __restrict c_prev,
                   const float* __restrict tc_cur, const float* __restrict dh,
                   float* __restrict dc) {
  const int G = 4 * H;
  for (int b = 0; b < nb; ++b) {
    float* __restrict zb = z + static_cast<size_t>(b) * G;
    const size_t o = static_cast<size_t>(b) * H;
    for (int j = 0; j < H; ++j) {
      const math::LstmCellGrad g = math::lstm_cell_backward(
          {zb[j], zb[H + j], zb[2 * H + j], zb[3 * H + j]}, c_prev[o + j], tc_cur[o + j], dh[o + j],
          dc[o + j]);
      zb[j] = g.dzi, zb[H + j] = g.dzf, zb[2 * H + j] = g.dzg, zb[3 * H + j] = g.dzo;
      dc[o + j] = g.dc_prev;
    }
  }
}

void group_rows_by_slot(size_t rows, int U, const int32_t* slot, int32_t* first,
                        int32_t* rows_of_slot) {
  std::fill_n(first, U + 1, 0);
  for (size_t r = 0; r < rows; ++r) ++first[slot[r] + 1];
  for (int u = 0; u < U; ++u) first[u + 1] += first[u];
  // first[u] serves as slot u's cursor (it ends at slot u + 1's start), then shifts back.
  for (size_t r = 0; r < rows; ++r) rows_of_slot[first[slot[r]]++] = static_cast<int32_t>(r);
  for (int u = U; u > 0; --u) first[u] = first[u - 1];
  first[0] = 0;
}

namespace {
constexpr int kBlockRows = 8;    // rows summed one after another before the pairwise merging
constexpr int kColumnTile = 128;  // columns per pass (a whole gate chunk: each row read once)
constexpr int kPrefetchAhead = 4; // rows: a slot's rows are scattered, the prefetcher cannot guess
}  // namespace

SENTI_CPU_CLONES
void sum_rows_per_slot(int U, int G, int j0, int j1, const float* __restrict dz,
                       const int32_t* __restrict first, const int32_t* __restrict rows_of_slot,
                       float* __restrict S) {
  alignas(64) float levels[CascadeSum::kMaxLevels * kColumnTile];
  alignas(64) float block[kColumnTile];
  for (int u = 0; u < U; ++u) {
    const int32_t* rows = rows_of_slot + first[u];
    const int n = first[u + 1] - first[u];
    for (int c0 = j0; c0 < j1; c0 += kColumnTile) {
      const int nc = std::min(kColumnTile, j1 - c0);
      float* __restrict dst = S + static_cast<size_t>(u) * G + c0;
      if (n <= kBlockRows) {  // most slots: in row order
        for (int c = 0; c < nc; ++c) dst[c] = 0.f;
        for (int i = 0; i < n; ++i) {
          const float* __restrict src = dz + static_cast<size_t>(rows[i]) * G + c0;
          for (int c = 0; c < nc; ++c) dst[c] += src[c];
        }
        if (u + 1 < U)  // the next slot's first rows
          for (int i = first[u + 1]; i < std::min(first[u + 2], first[u + 1] + kPrefetchAhead); ++i)
            for (int c = 0; c < nc; c += 16)
              __builtin_prefetch(dz + static_cast<size_t>(rows_of_slot[i]) * G + c0 + c);
        continue;
      }
      CascadeSum sum(levels, static_cast<size_t>(nc));
      for (int b0 = 0; b0 < n; b0 += kBlockRows) {
        for (int c = 0; c < nc; ++c) block[c] = 0.f;
        for (int i = b0; i < std::min(n, b0 + kBlockRows); ++i) {
          if (i + kPrefetchAhead < n)
            for (int c = 0; c < nc; c += 16)
              __builtin_prefetch(dz + static_cast<size_t>(rows[i + kPrefetchAhead]) * G + c0 + c);
          const float* __restrict src = dz + static_cast<size_t>(rows[i]) * G + c0;
          for (int c = 0; c < nc; ++c) block[c] += src[c];
        }
        sum.add(block);
      }
      sum.finish(dst, 1, static_cast<size_t>(nc), static_cast<size_t>(nc));
    }
  }
}

SENTI_CPU_CLONES
void column_sums(int U, int G, int j0, int j1, const float* __restrict S, double* __restrict db) {
  const int nj = j1 - j0;
  for (int j = 0; j < nj; ++j) db[j0 + j] = 0.0;
  for (int u = 0; u < U; ++u) {
    const float* __restrict src = S + static_cast<size_t>(u) * G + j0;
    for (int j = 0; j < nj; ++j) db[j0 + j] += src[j];
  }
}

void transpose(const float* in, int rows, int cols, float* out) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      out[static_cast<size_t>(c) * rows + r] = in[static_cast<size_t>(r) * cols + c];
}

double scaled_sum_of_squares(const float* a, const float* f, size_t n) {
  double acc[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) {
      const double v = f ? static_cast<double>(a[i + k]) * f[i + k] : a[i + k];
      acc[k] += v * v;
    }
  for (; i < n; ++i) {
    const double v = f ? static_cast<double>(a[i]) * f[i] : a[i];
    acc[0] += v * v;
  }
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

}  // namespace senti::cpu
