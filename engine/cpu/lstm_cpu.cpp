#include "engine/cpu/lstm_cpu.h"

#include <cblas.h>

#include <algorithm>
#include <cstring>

#include "engine/common/error.h"
#include "engine/cpu/parallel.h"
#include "engine/math/lstm_cell.h"

namespace senti {
namespace {

// C (m, n) = alpha · op(A) · op(B) + beta · C, all row-major.
void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// Work chunks, fixed independently of the thread count so results are too (see run_chunks).
// Large enough that the GEMMs stay efficient and re-read little (each column chunk of dW re-reads
// X, each of dX re-reads dZ); at the seed shape (B 32, T 500, 4H 256, E 128) every phase has an
// even number of chunks, so two threads split it evenly. Measured best of the sizes tried.
constexpr int kRowsPerChunk = 2048;         // gather + input projection: rows of (T·B, ·)
constexpr int kSamplesPerChunk = 16;        // recurrence: samples walked through time together
constexpr int kGateColumnsPerChunk = 128;   // dW, dR, db: output columns of the 4H
constexpr int kEmbedColumnsPerChunk = 64;   // dX and the embedding scatter: columns of E

}  // namespace

LstmCpu::LstmCpu(const ModelConfig& cfg, int max_batch, int max_steps, int threads)
    : cfg_(cfg), max_batch_(max_batch), max_steps_(max_steps), threads_(threads) {
  SENTI_CHECK(max_batch > 0 && max_steps > 0, "LstmCpu needs max_batch, max_steps > 0, got ",
              max_batch, ", ", max_steps);
  SENTI_CHECK(threads >= 1, "LstmCpu needs at least one thread, got ", threads);
  const size_t BT = static_cast<size_t>(max_batch) * max_steps;
  const size_t E = cfg.embed_dim, H = cfg.hidden, G = cfg.gates();
  ids_tm_.resize(BT);
  x_.resize(BT * E);
  gates_.resize(BT * G);
  h_.resize((BT + max_batch) * H);
  c_.resize((BT + max_batch) * H);
  dx_.resize(BT * E);
  dh_.resize(static_cast<size_t>(max_batch) * H);
  dc_.resize(static_cast<size_t>(max_batch) * H);
  dbias_.resize(G);
}

void LstmCpu::forward(const ParamViews<const float>& p, const int32_t* ids, int B, int T,
                      float* logits) {
  SENTI_CHECK(B > 0 && B <= max_batch_ && T > 0 && T <= max_steps_, "batch shape (", B, ", ", T,
              ") outside (1..", max_batch_, ", 1..", max_steps_, ")");
  B_ = T_ = 0;  // no valid activations for backward() until this forward completes
  const int V = cfg_.vocab_size, E = cfg_.embed_dim, H = cfg_.hidden, G = cfg_.gates();
  const size_t BT = static_cast<size_t>(B) * T;

  // Gather x[r] = embedding[id of row r] and project every position at once,
  // Z (T·B, 4H) = X (T·B, E) · W (E, 4H), a chunk of rows at a time.
  const int rows = static_cast<int>(BT);
  run_chunks(chunk_count(rows, kRowsPerChunk), threads_, [&](int chunk) {
    int r0, r1;
    chunk_range(rows, kRowsPerChunk, chunk, &r0, &r1);
    for (int r = r0; r < r1; ++r) {
      const int t = r / B, b = r % B;
      const int32_t id = ids[static_cast<size_t>(b) * T + t];
      SENTI_CHECK(id >= 0 && id < V, "token id ", id, " at (", b, ", ", t, ") outside [0, ", V,
                  ")");
      ids_tm_[r] = id;
      std::memcpy(&x_[static_cast<size_t>(r) * E], p.embedding + static_cast<size_t>(id) * E,
                  sizeof(float) * E);
    }
    if (r1 > r0)
      gemm(false, false, r1 - r0, G, E, 1.f, &x_[static_cast<size_t>(r0) * E], E, p.kernel, G,
           0.f, &gates_[static_cast<size_t>(r0) * G], G);
  });

  // The recurrence, samples [b0, b1) per chunk. Row (t, b) of a time-major buffer is t*B + b.
  run_chunks(chunk_count(B, kSamplesPerChunk), threads_, [&](int chunk) {
    int b0, b1;
    chunk_range(B, kSamplesPerChunk, chunk, &b0, &b1);
    const int nb = b1 - b0;
    std::fill(&h_[static_cast<size_t>(b0) * H], &h_[static_cast<size_t>(b1) * H], 0.f);  // h_0
    std::fill(&c_[static_cast<size_t>(b0) * H], &c_[static_cast<size_t>(b1) * H], 0.f);  // c_0
    for (int t = 0; t < T; ++t) {
      const size_t row = static_cast<size_t>(t) * B + b0;       // first row of this part at t
      float* z = &gates_[row * G];                              // (nb, 4H)
      const float* h_prev = &h_[row * H];                       // (nb, H)
      const float* c_prev = &c_[row * H];                       // (nb, H)
      float* h_next = &h_[(row + B) * H];                       // (nb, H)
      float* c_next = &c_[(row + B) * H];                       // (nb, H)
      // Z_t += h_{t-1} (nb, H) · R (H, 4H); h_0 = 0 contributes nothing.
      if (t > 0) gemm(false, false, nb, G, H, 1.f, h_prev, H, p.recurrent_kernel, G, 1.f, z, G);
      for (int b = 0; b < nb; ++b) {
        float* zb = z + static_cast<size_t>(b) * G;
        const size_t o = static_cast<size_t>(b) * H;
        for (int j = 0; j < H; ++j) {
          const math::LstmGates a = math::lstm_cell_forward(
              zb[j] + p.bias[j], zb[H + j] + p.bias[H + j], zb[2 * H + j] + p.bias[2 * H + j],
              zb[3 * H + j] + p.bias[3 * H + j], c_prev[o + j], &c_next[o + j], &h_next[o + j]);
          zb[j] = a.i;  // keep the activated gates for backward
          zb[H + j] = a.f;
          zb[2 * H + j] = a.g;
          zb[3 * H + j] = a.o;
        }
      }
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
  const int B = B_, T = T_;
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
      float* z = &gates_[row * G];                   // (nb, 4H) gates in, dZ_t out
      const float* c_prev = &c_[row * H];            // (nb, H)
      const float* c_cur = &c_[(row + B) * H];       // (nb, H)
      for (int b = 0; b < nb; ++b) {
        float* zb = z + static_cast<size_t>(b) * G;
        const size_t o = static_cast<size_t>(b) * H;
        for (int j = 0; j < H; ++j) {
          const math::LstmGates a{zb[j], zb[H + j], zb[2 * H + j], zb[3 * H + j]};
          const math::LstmCellGrad d =
              math::lstm_cell_backward(a, c_prev[o + j], c_cur[o + j], dh[o + j], dc[o + j]);
          zb[j] = d.dzi;
          zb[H + j] = d.dzf;
          zb[2 * H + j] = d.dzg;
          zb[3 * H + j] = d.dzo;
          dc[o + j] = d.dc_prev;
        }
      }
      // dL/dh_{t-1} (nb, H) = dZ_t (nb, 4H) · R^T; h_0 is a constant, so stop at t = 0.
      if (t > 0) gemm(false, true, nb, H, G, 1.f, z, G, p.recurrent_kernel, G, 0.f, dh, H);
    }
  });

  // Weight gradients, a range of output columns per chunk: the first chunks cover dW, dR and db,
  // the rest dX and the embedding scatter. Each element is one GEMM over all T·B rows.
  const float* dz = gates_.data();  // (T·B, 4H)
  std::memset(g.embedding, 0, sizeof(float) * static_cast<size_t>(V) * E);
  const int gate_chunks = chunk_count(G, kGateColumnsPerChunk);
  const int embed_chunks = chunk_count(E, kEmbedColumnsPerChunk);
  run_chunks(gate_chunks + embed_chunks, threads_, [&](int chunk) {
    int j0 = 0, j1 = 0, e0 = 0, e1 = 0;
    if (chunk < gate_chunks)
      chunk_range(G, kGateColumnsPerChunk, chunk, &j0, &j1);
    else
      chunk_range(E, kEmbedColumnsPerChunk, chunk - gate_chunks, &e0, &e1);
    const int K = static_cast<int>(BT);
    if (j1 > j0) {
      // dW (E, 4H) = X^T (E, T·B) · dZ (T·B, 4H), columns [j0, j1).
      gemm(true, false, E, j1 - j0, K, 1.f, x_.data(), E, dz + j0, G, 0.f, g.kernel + j0, G);
      // dR (H, 4H) = [h_0 .. h_{T-1}]^T (H, T·B) · dZ; those states are rows [0, T·B) of h_.
      gemm(true, false, H, j1 - j0, K, 1.f, h_.data(), H, dz + j0, G, 0.f,
           g.recurrent_kernel + j0, G);
      // db (4H) = column sums of dZ, in double, rows in order.
      std::fill(dbias_.begin() + j0, dbias_.begin() + j1, 0.0);
      for (size_t r = 0; r < BT; ++r) {
        const float* src = dz + r * G;
        for (int j = j0; j < j1; ++j) dbias_[j] += src[j];
      }
      for (int j = j0; j < j1; ++j) g.bias[j] = static_cast<float>(dbias_[j]);
    }
    if (e1 > e0) {
      // dX (T·B, E) = dZ · W^T, columns [e0, e1), then scatter-added per token id into the dense
      // (V, E) gradient in row order (repeated ids sum; deterministic).
      gemm(false, true, K, e1 - e0, G, 1.f, dz, G, p.kernel + static_cast<size_t>(e0) * G, G, 0.f,
           dx_.data() + e0, E);
      for (size_t r = 0; r < BT; ++r) {
        float* dst = g.embedding + static_cast<size_t>(ids_tm_[r]) * E;
        const float* src = &dx_[r * E];
        for (int e = e0; e < e1; ++e) dst[e] += src[e];
      }
    }
  });
}

}  // namespace senti
