#include "engine/cpu/lstm_cpu.h"

#include <cblas.h>

#include <algorithm>
#include <cstring>

#include "kernels/common/error.h"
#include "engine/cpu/parallel.h"
#include "engine/cpu/vec_math.h"
#include "kernels/common/math/lstm_cell.h"

namespace senti {
namespace {

// C (m, n) = alpha · op(A) · op(B) + beta · C, all row-major.
void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// Work chunks, fixed independently of the thread count so results are too (see run_chunks).
// Large enough that the GEMMs stay efficient and re-read little; at the seed shape (B 32, 4H 256)
// the recurrence and the gate-column phases have an even number of chunks, so two threads split
// them evenly. Measured best of the sizes tried.
constexpr int kIdRowsPerChunk = 512;       // input projection, embedding gradient: distinct ids
constexpr int kSamplesPerChunk = 16;       // recurrence: samples walked through time together
constexpr int kGateColumnsPerChunk = 128;  // S, dW, dR, db: output columns of the 4H

// The per-element LSTM cell over rows, Keras semantics (kernels/common/math/lstm_cell.h has the same
// formulas for the CUDA kernels). Compiled for x86-64-v4 (AVX-512), x86-64-v3 (AVX2+FMA) and plain
// x86-64; the loader
// picks the best the CPU runs (a fixed choice per machine, so results stay deterministic).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SENTI_CPU_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SENTI_CPU_CLONES
#endif

// Forward for nb samples at one step: z (nb, 4H) holds h_{t-1}·R (or is ignored when hr is false,
// t = 1: h_0 = 0); pre[row] (4H) = x·W + bias of each sample's id. Overwrites z with the activated
// gates i, f, g, o and writes c_t, h_t and tanh(c_t).
SENTI_CPU_CLONES
void cell_forward(int nb, int H, bool hr, float* __restrict z, const float* const* pre,
                  const float* __restrict c_prev, float* __restrict c_next,
                  float* __restrict h_next, float* __restrict tc_next) {
  const int G = 4 * H;
  for (int b = 0; b < nb; ++b) {
    float* __restrict zb = z + static_cast<size_t>(b) * G;
    const float* __restrict pb = pre[b];
    if (hr) {
      for (int j = 0; j < 2 * H; ++j) zb[j] = cpu::vsigmoid(zb[j] + pb[j]);
      for (int j = 2 * H; j < 3 * H; ++j) zb[j] = cpu::vtanh(zb[j] + pb[j]);
      for (int j = 3 * H; j < G; ++j) zb[j] = cpu::vsigmoid(zb[j] + pb[j]);
    } else {
      for (int j = 0; j < 2 * H; ++j) zb[j] = cpu::vsigmoid(pb[j]);
      for (int j = 2 * H; j < 3 * H; ++j) zb[j] = cpu::vtanh(pb[j]);
      for (int j = 3 * H; j < G; ++j) zb[j] = cpu::vsigmoid(pb[j]);
    }
    const size_t o = static_cast<size_t>(b) * H;
    const float* __restrict ig = zb;
    const float* __restrict fg = zb + H;
    const float* __restrict gg = zb + 2 * H;
    const float* __restrict og = zb + 3 * H;
    for (int j = 0; j < H; ++j) {
      const float c = fg[j] * c_prev[o + j] + ig[j] * gg[j];
      const float tc = cpu::vtanh(c);
      c_next[o + j] = c;
      tc_next[o + j] = tc;
      h_next[o + j] = og[j] * tc;
    }
  }
}

// Backward for nb samples at one step: z (nb, 4H) holds the activated gates and becomes dZ_t;
// dh is dL/dh_t, dc is dL/dc_t on entry and dL/dc_{t-1} on return.
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

// Row r of dz (columns [j0, j1)) added to row slot[r] of S, rows in order.
SENTI_CPU_CLONES
void sum_rows_per_id(size_t rows, int G, int j0, int j1, const float* __restrict dz,
                     const int32_t* __restrict slot, float* __restrict S) {
  const int nj = j1 - j0;
  for (size_t r = 0; r < rows; ++r) {
    const float* __restrict src = dz + r * G + j0;
    float* __restrict dst = S + static_cast<size_t>(slot[r]) * G + j0;
    for (int j = 0; j < nj; ++j) dst[j] += src[j];
  }
}

// db[j0, j1) = column sums of S (U rows) in double, rows in order.
SENTI_CPU_CLONES
void column_sums(int U, int G, int j0, int j1, const float* __restrict S, double* __restrict db) {
  const int nj = j1 - j0;
  for (int j = 0; j < nj; ++j) db[j0 + j] = 0.0;
  for (int u = 0; u < U; ++u) {
    const float* __restrict src = S + static_cast<size_t>(u) * G + j0;
    for (int j = 0; j < nj; ++j) db[j0 + j] += src[j];
  }
}

// out (cols, rows) = in (rows, cols)^T, row-major.
void transpose(const float* in, int rows, int cols, float* out) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) out[static_cast<size_t>(c) * rows + r] = in[static_cast<size_t>(r) * cols + c];
}

}  // namespace

LstmCpu::LstmCpu(const ModelConfig& cfg, int max_batch, int maxlen, int threads)
    : cfg_(cfg), max_batch_(max_batch), maxlen_(maxlen), threads_(threads) {
  SENTI_CHECK(max_batch > 0 && maxlen > 0, "LstmCpu needs max_batch, maxlen > 0, got ",
              max_batch, ", ", maxlen);
  SENTI_CHECK(threads >= 1, "LstmCpu needs at least one thread, got ", threads);
  const size_t BT = static_cast<size_t>(max_batch) * maxlen;
  const size_t E = cfg.embed_dim, H = cfg.hidden, G = cfg.gates();
  const size_t max_u = std::min(BT, static_cast<size_t>(cfg.vocab_size));
  slot_of_id_.assign(cfg.vocab_size, -1);
  uids_.resize(max_u);
  slot_.resize(BT);
  xu_.resize(max_u * E);
  pu_.resize(max_u * G);
  gates_.resize(BT * G);
  h_.resize((BT + max_batch) * H);
  c_.resize((BT + max_batch) * H);
  tc_.resize(BT * H);
  dxu_.resize(max_u * E);
  dh_.resize(static_cast<size_t>(max_batch) * H);
  dc_.resize(static_cast<size_t>(max_batch) * H);
  dbias_.resize(G);
  rt_.resize(G * H);
  wt_.resize(G * E);
}

void LstmCpu::forward(const ParamViews<const float>& p, const int32_t* ids, int B, int T,
                      float* logits) {
  SENTI_CHECK(B > 0 && B <= max_batch_ && T > 0 && T <= maxlen_, "batch shape (", B, ", ", T,
              ") outside (1..", max_batch_, ", 1..", maxlen_, ")");
  B_ = T_ = 0;  // no valid activations for backward() until this forward completes
  const int V = cfg_.vocab_size, E = cfg_.embed_dim, H = cfg_.hidden, G = cfg_.gates();
  const size_t BT = static_cast<size_t>(B) * T;

  // Distinct ids in order of first appearance (time-major), and each row's index among them.
  // slot_of_id_ is all -1 between calls (reset below, also when an id is rejected).
  int U = 0;
  for (int t = 0; t < T; ++t)
    for (int b = 0; b < B; ++b) {
      const int32_t id = ids[static_cast<size_t>(b) * T + t];
      if (id < 0 || id >= V) {
        for (int u = 0; u < U; ++u) slot_of_id_[uids_[u]] = -1;
        SENTI_FAIL("token id ", id, " at (", b, ", ", t, ") outside [0, ", V, ")");
      }
      int32_t s = slot_of_id_[id];
      if (s < 0) {
        s = slot_of_id_[id] = U;
        uids_[U++] = id;
      }
      slot_[static_cast<size_t>(t) * B + b] = s;
    }
  for (int u = 0; u < U; ++u) slot_of_id_[uids_[u]] = -1;
  U_ = U;

  // P (U, 4H) = Emb[uids] (U, E) · W (E, 4H) + bias, a chunk of distinct ids at a time.
  run_chunks(chunk_count(U, kIdRowsPerChunk), threads_, [&](int chunk) {
    int u0, u1;
    chunk_range(U, kIdRowsPerChunk, chunk, &u0, &u1);
    for (int u = u0; u < u1; ++u) {
      std::memcpy(&xu_[static_cast<size_t>(u) * E], p.embedding + static_cast<size_t>(uids_[u]) * E,
                  sizeof(float) * E);
      float* row = &pu_[static_cast<size_t>(u) * G];
      std::memcpy(row, p.bias, sizeof(float) * G);
    }
    gemm(false, false, u1 - u0, G, E, 1.f, &xu_[static_cast<size_t>(u0) * E], E, p.kernel, G, 1.f,
         &pu_[static_cast<size_t>(u0) * G], G);
  });

  // The recurrence, samples [b0, b1) per chunk. Row (t, b) of a time-major buffer is t*B + b.
  run_chunks(chunk_count(B, kSamplesPerChunk), threads_, [&](int chunk) {
    int b0, b1;
    chunk_range(B, kSamplesPerChunk, chunk, &b0, &b1);
    const int nb = b1 - b0;
    std::fill(&h_[static_cast<size_t>(b0) * H], &h_[static_cast<size_t>(b1) * H], 0.f);  // h_0
    std::fill(&c_[static_cast<size_t>(b0) * H], &c_[static_cast<size_t>(b1) * H], 0.f);  // c_0
    std::vector<const float*> pre(nb);
    for (int t = 0; t < T; ++t) {
      const size_t row = static_cast<size_t>(t) * B + b0;  // first row of this part at t
      float* z = &gates_[row * G];                         // (nb, 4H)
      const float* h_prev = &h_[row * H];                  // (nb, H)
      // Z_t = h_{t-1} (nb, H) · R (H, 4H); h_0 = 0 contributes nothing.
      if (t > 0) gemm(false, false, nb, G, H, 1.f, h_prev, H, p.recurrent_kernel, G, 0.f, z, G);
      for (int b = 0; b < nb; ++b) pre[b] = &pu_[static_cast<size_t>(slot_[row + b]) * G];
      cell_forward(nb, H, t > 0, z, pre.data(), &c_[row * H], &c_[(row + B) * H],
                   &h_[(row + B) * H], &tc_[row * H]);
    }
  });

  // Dense(1) on the final hidden state.
  const float* h_last = &h_[BT * H];  // (B, H)
  for (int b = 0; b < B; ++b) {
    float s = 0.f;
    for (int j = 0; j < H; ++j) s += h_last[static_cast<size_t>(b) * H + j] * p.dense_kernel[j];
    logits[b] = s + p.dense_bias[0];
  }
  B_ = B;
  T_ = T;
}

void LstmCpu::backward(const ParamViews<const float>& p, const float* dlogits,
                       const ParamViews<float>& g) {
  SENTI_CHECK(B_ > 0 && T_ > 0, "LstmCpu::backward called before forward");
  const int B = B_, T = T_, U = U_;
  const int V = cfg_.vocab_size, E = cfg_.embed_dim, H = cfg_.hidden, G = cfg_.gates();
  const size_t BT = static_cast<size_t>(B) * T;

  // Dense: logit_b = h_T[b] · k + bias.
  const float* h_last = &h_[BT * H];  // (B, H)
  float dbias_dense = 0.f;
  for (int j = 0; j < H; ++j) g.dense_kernel[j] = 0.f;
  for (int b = 0; b < B; ++b) {
    dbias_dense += dlogits[b];
    for (int j = 0; j < H; ++j) {
      g.dense_kernel[j] += dlogits[b] * h_last[static_cast<size_t>(b) * H + j];
      dh_[static_cast<size_t>(b) * H + j] = dlogits[b] * p.dense_kernel[j];
    }
  }
  g.dense_bias[0] = dbias_dense;
  // R^T (4H, H) and W^T (4H, E), so the GEMMs by them below are plain NN products (OpenBLAS's
  // small-matrix kernels; its NT path packs the operands on every one of the T small calls).
  transpose(p.recurrent_kernel, H, G, rt_.data());
  transpose(p.kernel, E, G, wt_.data());

  // Walk back through time, samples [b0, b1) per chunk; gates_ rows of step t become dZ_t.
  run_chunks(chunk_count(B, kSamplesPerChunk), threads_, [&](int chunk) {
    int b0, b1;
    chunk_range(B, kSamplesPerChunk, chunk, &b0, &b1);
    const int nb = b1 - b0;
    float* dh = &dh_[static_cast<size_t>(b0) * H];  // (nb, H) dL/dh_t
    float* dc = &dc_[static_cast<size_t>(b0) * H];  // (nb, H) dL/dc_t
    std::fill(dc, dc + static_cast<size_t>(nb) * H, 0.f);
    for (int t = T - 1; t >= 0; --t) {
      const size_t row = static_cast<size_t>(t) * B + b0;
      float* z = &gates_[row * G];  // (nb, 4H) gates in, dZ_t out
      cell_backward(nb, H, z, &c_[row * H], &tc_[row * H], dh, dc);
      // dL/dh_{t-1} (nb, H) = dZ_t (nb, 4H) · R^T; h_0 is a constant, so stop at t = 0.
      if (t > 0) gemm(false, false, nb, H, G, 1.f, z, G, rt_.data(), H, 0.f, dh, H);
    }
  });

  // Weight gradients. First S (U, 4H): the dZ rows summed per distinct id, rows in order; db from
  // S (in double), dR over all rows; a range of gate columns per chunk.
  const float* dz = gates_.data();  // (T·B, 4H)
  float* S = pu_.data();            // the forward's P is not needed any more
  const int gate_chunks = chunk_count(G, kGateColumnsPerChunk);
  run_chunks(gate_chunks, threads_, [&](int chunk) {
    int j0, j1;
    chunk_range(G, kGateColumnsPerChunk, chunk, &j0, &j1);
    const int nj = j1 - j0;
    for (int u = 0; u < U; ++u) std::fill_n(S + static_cast<size_t>(u) * G + j0, nj, 0.f);
    sum_rows_per_id(BT, G, j0, j1, dz, slot_.data(), S);
    column_sums(U, G, j0, j1, S, dbias_.data());  // db: dZ summed over all rows = S over ids
    for (int j = j0; j < j1; ++j) g.bias[j] = static_cast<float>(dbias_[j]);
    // dR (H, 4H) = [h_0 .. h_{T-1}]^T (H, T·B) · dZ; those states are rows [0, T·B) of h_.
    gemm(true, false, H, nj, static_cast<int>(BT), 1.f, h_.data(), H, dz + j0, G, 0.f,
         g.recurrent_kernel + j0, G);
    // dW (E, 4H) = Emb[uids]^T (E, U) · S (U, 4H).
    gemm(true, false, E, nj, U, 1.f, xu_.data(), E, S + j0, G, 0.f, g.kernel + j0, G);
  });

  // The dense (V, E) embedding gradient: zero except the distinct ids' rows S · W^T (U, E).
  std::memset(g.embedding, 0, sizeof(float) * static_cast<size_t>(V) * E);
  run_chunks(chunk_count(U, kIdRowsPerChunk), threads_, [&](int chunk) {
    int u0, u1;
    chunk_range(U, kIdRowsPerChunk, chunk, &u0, &u1);
    float* d = &dxu_[static_cast<size_t>(u0) * E];
    gemm(false, false, u1 - u0, E, G, 1.f, S + static_cast<size_t>(u0) * G, G, wt_.data(), E, 0.f,
         d, E);
    for (int u = u0; u < u1; ++u)
      std::memcpy(g.embedding + static_cast<size_t>(uids_[u]) * E, d + static_cast<size_t>(u - u0) * E,
                  sizeof(float) * E);
  });
}

}  // namespace senti
