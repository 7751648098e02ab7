#include "engine/cpu/lstm_cpu.h"

#include <algorithm>
#include <cstring>

#include "engine/cpu/cascade_sum.h"
#include "engine/cpu/lstm_cpu_kernels.h"
#include "engine/cpu/parallel.h"
#include "engine/cpu/row_gemm.h"
#include "engine/cpu/small_gemm.h"
#include "kernels/common/error.h"
#include "kernels/common/math/dropout.h"
#include "kernels/common/math/sequence.h"

namespace senti {
namespace {

using cpu::gemm;  // engine/cpu/small_gemm.h

size_t at(int64_t row, int width) { return static_cast<size_t>(row) * static_cast<size_t>(width); }

}  // namespace

LstmCpu::LstmCpu(const ModelConfig& cfg, int max_batch, int maxlen, int threads)
    : cfg_(cfg), max_batch_(max_batch), maxlen_(maxlen), threads_(threads),
      D_(cfg.directions()), F_(cfg.language_model() ? 0 : cfg.features()),
      need_last_(!cfg.language_model() && (cfg.pool == Pool::Last || cfg.pool == Pool::Concat)),
      need_max_(cfg.pool == Pool::Max || cfg.pool == Pool::Concat),
      need_mean_(cfg.pool == Pool::Mean || cfg.pool == Pool::Concat) {
  SENTI_CHECK(max_batch > 0 && maxlen > 0, "LstmCpu needs max_batch, maxlen > 0, got ",
              max_batch, ", ", maxlen);
  SENTI_CHECK(threads >= 1, "LstmCpu needs at least one thread, got ", threads);
  const size_t BT = static_cast<size_t>(max_batch) * maxlen, B = max_batch;
  const size_t E = cfg.embed_dim, H = cfg.hidden, G = cfg.gates();
  // With dropout every row may be its own slot; otherwise slots are distinct ids.
  const size_t max_u = cfg.dropout > 0.f ? BT : std::min(BT, static_cast<size_t>(cfg.vocab_size));
  slot_of_id_.assign(cfg.vocab_size, -1);
  uid_.resize(max_u);
  ucount_.resize(max_u);
  xu_.resize(max_u * E);
  if (cfg.dropout > 0.f) umask_.resize(max_u * E);
  dxu_.resize(max_u * E);
  for (int d = 0; d < D_; ++d) {
    Direction& r = dir_[d];
    r.slot.resize(BT);
    r.slot_first.resize(max_u + 1);
    r.slot_rows.resize(BT);
    r.pu.resize(max_u * G);
    r.gates.resize(BT * G);
    r.hprev.resize(BT * H);
    r.cprev.resize(BT * H);
    r.tc.resize(BT * H);
    r.hlast.resize(B * H);
    r.clast.resize(B * H);
    if (need_max_) r.pmax.resize(B * H), r.parg.resize(B * H), r.dmax.resize(B * H);
    if (need_mean_) r.psum.resize(B * H), r.dmean.resize(B * H);
    if (need_last_) r.dlast.resize(B * H);
    r.dh.resize(B * H);
    r.dc.resize(B * H);
    r.dbias.resize(G);
    r.rt.resize(G * H);
    r.wt.resize(G * E);
  }
  feat_.resize(B * F_);
  fmask_.resize(B * F_);
  scratch_.resize(static_cast<size_t>(threads) * kNormRowsPerChunk * (G + E));
  // dR's block and cascade levels, per gate chunk of each direction.
  const int gate_chunks = chunk_count(static_cast<int>(G), kGateColumnsPerChunk);
  const size_t dr_width = H * static_cast<size_t>(std::min<size_t>(G, kGateColumnsPerChunk));
  dr_scratch_per_chunk_ =
      dr_width * (1 + cpu::CascadeSum::levels_needed((BT + kRowsPerGemmBlock - 1) / kRowsPerGemmBlock));
  dr_scratch_.resize(static_cast<size_t>(gate_chunks) * D_ * dr_scratch_per_chunk_);
}

// Slots and each row's slot (forward reading order; the backward direction's via the mirror).
void LstmCpu::build_slots(const Batch& batch) {
  const int V = cfg_.vocab_size, E = cfg_.embed_dim, T = batch.maxlen;
  const bool pre = batch.padding == PadSide::Pre;
  const bool spatial = drop_embedding_ && cfg_.spatial_dropout;
  const bool per_row = drop_embedding_ && !cfg_.spatial_dropout;
  const uint32_t threshold = math::dropout_threshold(cfg_.dropout);
  const float keep = math::dropout_keep_scale(cfg_.dropout);
  int U = 0, sample_first_slot = 0;
  auto reset_table = [&](int from) {
    for (int u = from; u < U; ++u) slot_of_id_[uid_[u]] = -1;
  };
  int32_t* slot = dir_[0].slot.data();
  for (int g = 0; g < seq_.groups; ++g)
    for (int j = 0; j < seq_.members(g); ++j) {
      const int b = seq_.order[seq_.first[g] + j], L = seq_.len[b];
      const uint64_t spatial_key =
          spatial ? math::dropout_row_key(key_.seed, key_.step, math::kDropoutSpatial, key_.first_row + b) : 0;
      sample_first_slot = U;
      for (int k = 0; k < L; ++k) {
        const int pos = cfg_.mask ? math::real_token_position(k, L, T, pre) : k;
        const int32_t id = batch.ids[static_cast<size_t>(b) * T + pos];
        if (id < 0 || id >= V || (cfg_.mask && id == 0)) {
          if (!per_row) reset_table(spatial ? sample_first_slot : 0);
          if (id == 0)
            SENTI_CHECK(false, "masked batch row ", b, " has padding id 0 at position ", pos,
                        " inside its length ", L);
          SENTI_FAIL("token id ", id, " at (", b, ", ", pos, ") outside [0, ", V, ")");
        }
        int32_t s;
        if (per_row) {
          s = U++;
          uid_[s] = id;
          ucount_[s] = 0;
          const uint64_t rk = math::dropout_row_key(key_.seed, key_.step, math::kDropoutEmbedding,
                                                    ((key_.first_row + b) << 32) | k);
          math::dropout_factors(rk, E, threshold, keep, &umask_[at(s, E)]);
        } else {
          s = slot_of_id_[id];
          if (s < 0) {
            s = slot_of_id_[id] = U++;
            uid_[s] = id;
            ucount_[s] = 0;
            if (spatial) math::dropout_factors(spatial_key, E, threshold, keep, &umask_[at(s, E)]);
          }
        }
        ++ucount_[s];
        slot[seq_.row(g, k) + j] = s;
      }
      if (spatial) reset_table(sample_first_slot);  // slots are per (sample, id)
    }
  if (!per_row && !spatial) reset_table(0);
  U_ = U;
  if (D_ == 2)
    for (int64_t r = 0; r < seq_.rows; ++r) dir_[1].slot[r] = slot[seq_.mirror[r]];
}

// X (U, E) = the slots' inputs; P_d (U, 4H) = X · W_d + bias_d, a chunk of slots at a time.
void LstmCpu::project(const ParamViews<const float>& p) {
  const int E = cfg_.embed_dim, G = cfg_.gates(), U = U_;
  run_chunks(chunk_count(U, kSlotRowsPerChunk), threads_, [&](int chunk) {
    int u0, u1;
    chunk_range(U, kSlotRowsPerChunk, chunk, &u0, &u1);
    for (int u = u0; u < u1; ++u) {
      float* x = &xu_[at(u, E)];
      const float* emb = p.embedding + at(uid_[u], E);
      if (drop_embedding_) {
        const float* m = &umask_[at(u, E)];
        for (int e = 0; e < E; ++e) x[e] = emb[e] * m[e];
      } else {
        std::memcpy(x, emb, sizeof(float) * E);
      }
    }
    for (int d = 0; d < D_; ++d) {
      const float* bias = d ? p.bias_back : p.bias;
      float* P = dir_[d].pu.data();
      const float* W = d ? p.kernel_back : p.kernel;
      if (row_invariant_) {
        for (int u = u0; u < u1; ++u) std::memcpy(&P[at(u, G)], bias, sizeof(float) * G);
        cpu::gemm_rows(u1 - u0, G, E, &xu_[at(u0, E)], E, W, G, /*accumulate=*/true, &P[at(u0, G)], G);
      } else {
        // The product first, then the bias: a GEMM that starts its sums from C (libxsmm's with
        // beta 1) would round every term against the forget gate's bias of 1 instead of against
        // the small partial sums (seen as 1.5x the float64 distance in gradient_accuracy_test).
        gemm(false, u1 - u0, G, E, &xu_[at(u0, E)], E, W, G, 0.f, &P[at(u0, G)], G);
        for (int u = u0; u < u1; ++u)
          for (int j = 0; j < G; ++j) P[at(u, G) + j] += bias[j];
      }
    }
  });
}

void LstmCpu::recurrence_forward(int g, int d, const float* R) {
  const int H = cfg_.hidden, G = cfg_.gates();
  Direction& r = dir_[d];
  const int m0 = seq_.first[g];
  std::vector<const float*> pre(static_cast<size_t>(seq_.members(g)));
  for (int s = 0; s < seq_.steps[g]; ++s) {
    const int n = seq_.active_at(g, s), nn = seq_.active_at(g, s + 1);
    const int64_t r0 = seq_.row(g, s);
    float* z = &r.gates[at(r0, G)];
    if (s == 0) {  // h_0 = c_0 = 0 (kept as rows for dR)
      std::fill_n(&r.hprev[at(r0, H)], at(n, H), 0.f);
      std::fill_n(&r.cprev[at(r0, H)], at(n, H), 0.f);
    } else {  // Z_s = h_{s-1} (n, H) · R (H, 4H)
      if (row_invariant_)
        cpu::gemm_rows(n, G, H, &r.hprev[at(r0, H)], H, R, G, /*accumulate=*/false, z, G);
      else
        gemm(false, n, G, H, &r.hprev[at(r0, H)], H, R, G, 0.f, z, G);
    }
    for (int j = 0; j < n; ++j) pre[j] = &r.pu[at(r.slot[r0 + j], G)];
    // Members still running after this step hand their state to the next step's rows; the
    // others (a suffix: members are sorted longest first) are done and keep it in hlast.
    const int64_t r1 = nn > 0 ? seq_.row(g, s + 1) : 0;
    if (nn > 0)
      cpu::cell_forward(nn, H, s > 0, z, pre.data(), &r.cprev[at(r0, H)], &r.cprev[at(r1, H)],
                        &r.hprev[at(r1, H)], &r.tc[at(r0, H)]);
    if (n > nn)
      cpu::cell_forward(n - nn, H, s > 0, z + at(nn, G), pre.data() + nn, &r.cprev[at(r0 + nn, H)],
                        &r.clast[at(m0 + nn, H)], &r.hlast[at(m0 + nn, H)],
                        &r.tc[at(r0 + nn, H)]);
    if (need_max_ || need_mean_)
      for (int j = 0; j < n; ++j) {
        const float* h = j < nn ? &r.hprev[at(r1 + j, H)] : &r.hlast[at(m0 + j, H)];
        const size_t o = at(m0 + j, H);
        if (need_max_)
          for (int e = 0; e < H; ++e) math::pool_max_update(h[e], s, &r.pmax[o + e], &r.parg[o + e]);
        if (need_mean_) {
          if (s == 0) std::fill_n(&r.psum[o], H, 0.0);
          for (int e = 0; e < H; ++e) r.psum[o + e] += h[e];
        }
      }
  }
}

void LstmCpu::forward_states(const ParamViews<const float>& p, const Batch& batch,
                             const DropoutKey* dropout) {
  const int B = batch.batch, T = batch.maxlen;
  SENTI_CHECK(B > 0 && B <= max_batch_ && T > 0 && T <= maxlen_, "batch shape (", B, ", ", T,
              ") outside (1..", max_batch_, ", 1..", maxlen_, ")");
  SENTI_CHECK(!cfg_.mask || batch.lengths, "a masked model needs the batch's lengths");
  B_ = T_ = 0;  // no valid activations for backward() until this forward completes
  key_ = dropout ? *dropout : DropoutKey{};
  row_invariant_ = dropout == nullptr;
  drop_embedding_ = dropout && cfg_.dropout > 0.f;
  drop_dense_ = dropout && cfg_.dense_dropout > 0.f;

  seq_.build(cfg_.mask ? batch.lengths : nullptr, B, T, kSamplesPerGroup);
  build_slots(batch);
  project(p);
  run_chunks(seq_.groups * D_, threads_, [&](int chunk) {
    const int g = chunk / D_, d = chunk % D_;
    recurrence_forward(g, d, d ? p.recurrent_kernel_back : p.recurrent_kernel);
  });
  B_ = B;
  T_ = T;
}

void LstmCpu::forward(const ParamViews<const float>& p, const Batch& batch,
                      const DropoutKey* dropout, float* logits) {
  SENTI_CHECK(!cfg_.language_model(), "LstmCpu::forward: a language model has no pooled logits");
  forward_states(p, batch, dropout);
  const int B = B_, T = T_, H = cfg_.hidden;
  B_ = T_ = 0;  // valid again once the logits are written

  // The classifier input: for each pool kind (last, max, mean), each direction, H values.
  const uint32_t threshold = math::dropout_threshold(cfg_.dense_dropout);
  const float keep = math::dropout_keep_scale(cfg_.dense_dropout);
  for (int m = 0; m < B; ++m) {
    const int b = seq_.order[m];
    float* f = &feat_[at(b, F_)];
    int block = 0;
    for (int d = 0; need_last_ && d < D_; ++d, ++block)
      std::memcpy(f + at(block, H), &dir_[d].hlast[at(m, H)], sizeof(float) * H);
    for (int d = 0; need_max_ && d < D_; ++d, ++block)
      std::memcpy(f + at(block, H), &dir_[d].pmax[at(m, H)], sizeof(float) * H);
    for (int d = 0; need_mean_ && d < D_; ++d, ++block)
      for (int e = 0; e < H; ++e)
        f[at(block, H) + e] = static_cast<float>(dir_[d].psum[at(m, H) + e] / seq_.len[b]);
    if (drop_dense_) {
      const uint64_t rk = math::dropout_row_key(key_.seed, key_.step, math::kDropoutDense, key_.first_row + b);
      float* fm = &fmask_[at(b, F_)];
      math::dropout_factors(rk, F_, threshold, keep, fm);
      for (int j = 0; j < F_; ++j) f[j] *= fm[j];
    }
  }
  // logits (B, O) = feat (B, F) · kernel (F, O) + bias, each sum in feature order.
  const int O = cfg_.outputs();
  for (int b = 0; b < B; ++b)
    for (int o = 0; o < O; ++o) {
      float s = 0.f;
      for (int j = 0; j < F_; ++j) s += feat_[at(b, F_) + j] * p.dense_kernel[at(j, O) + o];
      logits[at(b, O) + o] = s + p.dense_bias[o];
    }
  B_ = B;
  T_ = T;
}

void LstmCpu::recurrence_backward(int g, int d) {
  const int H = cfg_.hidden, G = cfg_.gates();
  Direction& r = dir_[d];
  const int m0 = seq_.first[g];
  float* dh = &r.dh[at(m0, H)];  // member rows of this group
  float* dc = &r.dc[at(m0, H)];
  for (int s = seq_.steps[g] - 1; s >= 0; --s) {
    const int n = seq_.active_at(g, s), nn = seq_.active_at(g, s + 1);
    const int64_t r0 = seq_.row(g, s);
    // Members whose last token is at step s start here: dL/dh from the last-state pooling.
    for (int j = nn; j < n; ++j) {
      if (need_last_) std::memcpy(dh + at(j, H), &r.dlast[at(m0 + j, H)], sizeof(float) * H);
      else std::fill_n(dh + at(j, H), H, 0.f);
      std::fill_n(dc + at(j, H), H, 0.f);
    }
    for (int j = 0; j < n; ++j) {
      const size_t o = at(m0 + j, H);
      float* dhj = dh + at(j, H);
      if (need_mean_)
        for (int e = 0; e < H; ++e) dhj[e] += r.dmean[o + e];
      if (need_max_)
        for (int e = 0; e < H; ++e)
          if (r.parg[o + e] == s) dhj[e] += r.dmax[o + e];
    }
    float* z = &r.gates[at(r0, G)];  // gates in, dZ_s out
    cpu::cell_backward(n, H, z, &r.cprev[at(r0, H)], &r.tc[at(r0, H)], dh, dc);
    // dL/dh_{s-1} (n, H) = dZ_s (n, 4H) · R^T; h_0 is a constant, so stop at s = 0.
    if (s > 0) {
      gemm(false, n, H, G, z, G, r.rt.data(), H, 0.f, dh, H);
      // A language model's loss reads h_{s-1} too: the rows of step s start from it.
      if (const float* dy = lm_dstates_[d]) {
        const float* src = dy + at(r0, H);
        for (size_t i = 0; i < at(n, H); ++i) dh[i] += src[i];
      }
    }
  }
}

void LstmCpu::backward(const ParamViews<const float>& p, const float* dlogits,
                       const ParamViews<float>& g, double* position_sumsq) {
  SENTI_CHECK(B_ > 0 && T_ > 0, "LstmCpu::backward called before forward");
  SENTI_CHECK(!cfg_.language_model(), "LstmCpu::backward: a language model has no pooled logits");
  const int B = B_, H = cfg_.hidden;

  // Dense: logits_b = feat_b · k + bias (O outputs); then through dense dropout to the pooled
  // outputs. Every sum runs over the batch (or the outputs) in order.
  const int O = cfg_.outputs();
  for (int o = 0; o < O; ++o) {
    float dbias_dense = 0.f;
    for (int b = 0; b < B; ++b) dbias_dense += dlogits[at(b, O) + o];
    g.dense_bias[o] = dbias_dense;
  }
  for (int j = 0; j < F_ * O; ++j) g.dense_kernel[j] = 0.f;
  for (int b = 0; b < B; ++b)
    for (int j = 0; j < F_; ++j)
      for (int o = 0; o < O; ++o)
        g.dense_kernel[at(j, O) + o] += dlogits[at(b, O) + o] * feat_[at(b, F_) + j];
  for (int m = 0; m < B; ++m) {
    const int b = seq_.order[m];
    auto dfeat = [&](int block, int e) {
      const int j = block * H + e;
      float v = dlogits[at(b, O)] * p.dense_kernel[at(j, O)];
      for (int o = 1; o < O; ++o) v += dlogits[at(b, O) + o] * p.dense_kernel[at(j, O) + o];
      return drop_dense_ ? v * fmask_[at(b, F_) + j] : v;
    };
    int block = 0;
    for (int d = 0; need_last_ && d < D_; ++d, ++block)
      for (int e = 0; e < H; ++e) dir_[d].dlast[at(m, H) + e] = dfeat(block, e);
    for (int d = 0; need_max_ && d < D_; ++d, ++block)
      for (int e = 0; e < H; ++e) dir_[d].dmax[at(m, H) + e] = dfeat(block, e);
    for (int d = 0; need_mean_ && d < D_; ++d, ++block)
      for (int e = 0; e < H; ++e)
        dir_[d].dmean[at(m, H) + e] = dfeat(block, e) / static_cast<float>(seq_.len[b]);
  }
  lm_dstates_[0] = lm_dstates_[1] = nullptr;
  backward_states(p, g, position_sumsq);
}

void LstmCpu::backward_lm(const ParamViews<const float>& p, const float* const dstates[2],
                          const ParamViews<float>& g, double* position_sumsq) {
  SENTI_CHECK(B_ > 0 && T_ > 0, "LstmCpu::backward_lm called before forward_states");
  SENTI_CHECK(cfg_.language_model(), "LstmCpu::backward_lm needs a language model");
  lm_dstates_[0] = dstates[0];
  lm_dstates_[1] = D_ == 2 ? dstates[1] : nullptr;
  backward_states(p, g, position_sumsq);
  lm_dstates_[0] = lm_dstates_[1] = nullptr;
}

void LstmCpu::backward_states(const ParamViews<const float>& p, const ParamViews<float>& g,
                              double* position_sumsq) {
  const int U = U_;
  const int V = cfg_.vocab_size, E = cfg_.embed_dim, H = cfg_.hidden, G = cfg_.gates();
  const size_t N = static_cast<size_t>(seq_.rows);
  // R^T (4H, H) and W^T (4H, E), so the GEMMs by them below are plain NN products (OpenBLAS's
  // small-matrix kernels; its NT path packs the operands on every one of the small calls).
  for (int d = 0; d < D_; ++d) {
    cpu::transpose(d ? p.recurrent_kernel_back : p.recurrent_kernel, H, G, dir_[d].rt.data());
    cpu::transpose(d ? p.kernel_back : p.kernel, E, G, dir_[d].wt.data());
  }

  run_chunks(seq_.groups * D_, threads_,
             [&](int chunk) { recurrence_backward(chunk / D_, chunk % D_); });

  // Weight gradients, per direction. First S (U, 4H): the dZ rows summed per slot (pairwise where
  // a slot has many rows); db from S (in double), dR over all rows; a range of gate columns per
  // chunk.
  for (int d = 0; d < D_; ++d)
    cpu::group_rows_by_slot(N, U, dir_[d].slot.data(), dir_[d].slot_first.data(),
                            dir_[d].slot_rows.data());
  const int gate_chunks = chunk_count(G, kGateColumnsPerChunk);
  run_chunks(gate_chunks * D_, threads_, [&](int chunk) {
    const int d = chunk / gate_chunks;
    Direction& r = dir_[d];
    int j0, j1;
    chunk_range(G, kGateColumnsPerChunk, chunk % gate_chunks, &j0, &j1);
    const int nj = j1 - j0;
    float* S = r.pu.data();  // the forward's P is not needed any more
    const float* dz = r.gates.data();
    cpu::sum_rows_per_slot(U, G, j0, j1, dz, r.slot_first.data(), r.slot_rows.data(), S);
    cpu::column_sums(U, G, j0, j1, S, r.dbias.data());  // db: dZ over all rows = S over slots
    float* gb = d ? g.bias_back : g.bias;
    for (int j = j0; j < j1; ++j) gb[j] = static_cast<float>(r.dbias[j]);
    // dR (H, 4H) = [the rows' start states]^T (H, N) · dZ (N, 4H).
    // In blocks of rows, summed pairwise: one GEMM over all N rows would add ~N/256 of OpenBLAS's
    // K-block results one after another into C.
    float* block = &dr_scratch_[static_cast<size_t>(chunk) * dr_scratch_per_chunk_];
    cpu::CascadeSum sum(block + static_cast<size_t>(H) * nj, static_cast<size_t>(H) * nj);
    for (size_t n0 = 0; n0 < N; n0 += kRowsPerGemmBlock) {
      const int nr = static_cast<int>(std::min<size_t>(kRowsPerGemmBlock, N - n0));
      gemm(true, H, nj, nr, &r.hprev[n0 * H], H, dz + n0 * G + j0, G, 0.f, block, nj);
      sum.add(block);
    }
    sum.finish((d ? g.recurrent_kernel_back : g.recurrent_kernel) + j0, H, nj, G);
    // dW (E, 4H) = X^T (E, U) · S (U, 4H).
    gemm(true, E, nj, U, xu_.data(), E, S + j0, G, 0.f,
         (d ? g.kernel_back : g.kernel) + j0, G);
  });

  // The slots' input gradients S_d · W_d^T (U, E), then the dense (V, E) embedding gradient.
  std::memset(g.embedding, 0, sizeof(float) * static_cast<size_t>(V) * E);
  run_chunks(chunk_count(U, kSlotRowsPerChunk), threads_, [&](int chunk) {
    int u0, u1;
    chunk_range(U, kSlotRowsPerChunk, chunk, &u0, &u1);
    for (int d = 0; d < D_; ++d)
      gemm(false, u1 - u0, E, G, &dir_[d].pu[at(u0, G)], G, dir_[d].wt.data(), E,
           d ? 1.f : 0.f, &dxu_[at(u0, E)], E);
    if (!drop_embedding_)  // one slot per id: rows are distinct, chunks write disjoint rows
      for (int u = u0; u < u1; ++u)
        std::memcpy(g.embedding + at(uid_[u], E), &dxu_[at(u, E)], sizeof(float) * E);
  });
  if (drop_embedding_)  // several slots per id: summed in slot order (dL/dx · mask)
    for (int u = 0; u < U; ++u) {
      float* dst = g.embedding + at(uid_[u], E);
      const float* src = &dxu_[at(u, E)];
      const float* m = &umask_[at(u, E)];
      for (int e = 0; e < E; ++e) dst[e] += src[e] * m[e];
    }
  if (position_sumsq) *position_sumsq = position_sum_of_squares();
}

// Σ_p |g_p|², g_p = dL/d(embedding output at position p) = (Σ_d dZ_d(p) · W_d^T) ⊙ mask_p.
double LstmCpu::position_sum_of_squares() {
  const int E = cfg_.embed_dim, G = cfg_.gates();
  const float* mask = drop_embedding_ ? umask_.data() : nullptr;
  if (drop_embedding_ && !cfg_.spatial_dropout) {  // every slot is one position: S · W^T is g_p
    double s = 0;
    for (int u = 0; u < U_; ++u) s += cpu::scaled_sum_of_squares(&dxu_[at(u, E)], &umask_[at(u, E)], E);
    return s;
  }
  const int rows = static_cast<int>(seq_.rows);
  const int chunks = chunk_count(rows, kNormRowsPerChunk);
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
  const int parts = std::max(1, std::min(chunks, threads_));
  run_parts(parts, [&](int part) {
    float* a = &scratch_[static_cast<size_t>(part) * kNormRowsPerChunk * (G + E)];  // (rows, 4H)
    float* c = a + static_cast<size_t>(kNormRowsPerChunk) * G;                      // (rows, E)
    for (int chunk = part; chunk < chunks; chunk += parts) {
      int r0, r1;
      chunk_range(rows, kNormRowsPerChunk, chunk, &r0, &r1);
      const int n = r1 - r0;
      gemm(false, n, E, G, &dir_[0].gates[at(r0, G)], G, dir_[0].wt.data(), E, 0.f, c, E);
      if (D_ == 2) {  // the same positions in the backward direction's rows
        for (int i = 0; i < n; ++i)
          std::memcpy(a + at(i, G), &dir_[1].gates[at(seq_.mirror[r0 + i], G)], sizeof(float) * G);
        gemm(false, n, E, G, a, G, dir_[1].wt.data(), E, 1.f, c, E);
      }
      double s = 0;
      for (int i = 0; i < n; ++i)
        s += cpu::scaled_sum_of_squares(c + at(i, E),
                                        mask ? mask + at(dir_[0].slot[r0 + i], E) : nullptr, E);
      partial[chunk] = s;
    }
  });
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

}  // namespace senti
