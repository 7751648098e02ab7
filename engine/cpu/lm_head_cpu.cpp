#include "engine/cpu/lm_head_cpu.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/cpu/lstm_cpu_kernels.h"
#include "engine/cpu/parallel.h"
#include "engine/cpu/small_gemm.h"
#include "kernels/common/error.h"
#include "kernels/common/math/lm.h"

namespace senti {
namespace {

size_t at(int64_t row, int64_t width) { return static_cast<size_t>(row) * static_cast<size_t>(width); }

struct Partial {  // one chunk's sums, added in chunk order
  double loss = 0, objective = 0;
  int64_t correct = 0, tokens = 0;
};

LmSums add_partials(const std::vector<Partial>& parts) {
  LmSums s;
  for (const Partial& p : parts) {
    s.loss_sum += p.loss;
    s.objective += p.objective;
    s.correct += p.correct;
    s.tokens += p.tokens;
  }
  return s;
}

}  // namespace

LmHeadCpu::LmHeadCpu(const ModelConfig& cfg, int threads) : cfg_(cfg), threads_(threads) {
  SENTI_CHECK(cfg.language_model(), "LmHeadCpu needs a language-model head");
  const size_t V = cfg.vocab_size, H = cfg.hidden, S = cfg.lm_samples;
  samples_.resize(S);
  sample_bias_.resize(S);
  ws_.resize(H * S);
  wst_.resize(S * H);
  dws_.resize(H * S);
  dbs_.resize(S);
  wt_.resize(V * H);
  dwt_.resize(V * H);
  db_.resize(V);
}

void LmHeadCpu::build_rows(const LstmCpu& lstm, int mean_rows) {
  const cpu::PackedSequences& seq = lstm.packed();
  step_of_row_.resize(static_cast<size_t>(seq.rows));
  weight_.resize(static_cast<size_t>(seq.rows));
  const double scale = 1.0 / (static_cast<double>(cfg_.directions()) * mean_rows);
  for (int g = 0; g < seq.groups; ++g)
    for (int s = 0; s < seq.steps[g]; ++s)
      for (int j = 0; j < seq.active_at(g, s); ++j) {
        const int64_t r = seq.row(g, s) + j;
        const int len = seq.len[seq.order[seq.first[g] + j]];
        step_of_row_[r] = s;
        weight_[r] = s == 0 ? 0.f : static_cast<float>(scale / (len - 1));
      }
}

LmSums LmHeadCpu::train(const LstmCpu& lstm, const ParamViews<const float>& p, uint64_t seed,
                        uint64_t step, int mean_rows, const ParamViews<float>& g) {
  SENTI_CHECK(mean_rows > 0, "LmHeadCpu::train: mean_rows must be positive, got ", mean_rows);
  const int V = cfg_.vocab_size, H = cfg_.hidden, S = cfg_.lm_samples, Z = S + 1;
  const int N = static_cast<int>(lstm.packed().rows);
  build_rows(lstm, mean_rows);
  // The step's candidates and the columns of W they read.
  for (int k = 0; k < S; ++k) {
    const int32_t id = math::lm_sample_id(seed, step, static_cast<uint32_t>(k), V);
    samples_[k] = id;
    sample_bias_[k] = p.dense_bias[id] - math::lm_log_expected_count(id, V, S);
    for (int h = 0; h < H; ++h) ws_[at(h, S) + k] = wst_[at(k, H) + h] = p.dense_kernel[at(h, V) + id];
  }
  cpu::transpose(p.dense_kernel, H, V, wt_.data());  // (V, H): a target's column as a row
  std::fill(dwt_.begin(), dwt_.end(), 0.f);
  std::fill(db_.begin(), db_.end(), 0.0);
  z_.resize(at(N, Z));
  const int chunks = chunk_count(N, kRowsPerChunk);
  std::vector<Partial> partial(static_cast<size_t>(chunks) * cfg_.directions());
  for (int d = 0; d < cfg_.directions(); ++d) {
    const float* X = lstm.states(d);
    dstate_[d].resize(at(N, H));
    float* dX = dstate_[d].data();
    dstate_ptr_[d] = dX;
    run_chunks(chunks, threads_, [&](int c) {
      int r0, r1;
      chunk_range(N, kRowsPerChunk, c, &r0, &r1);
      const int n = r1 - r0;
      // The candidates' logits (n, S) = X · Ws, beside each row's target column.
      cpu::gemm(false, n, S, H, X + at(r0, H), H, ws_.data(), S, 0.f, &z_[at(r0, Z) + 1], Z);
      Partial& part = partial[static_cast<size_t>(d) * chunks + c];
      for (int r = r0; r < r1; ++r) {
        float* z = &z_[at(r, Z)];
        if (step_of_row_[r] == 0) {  // predicts nothing: no loss, no gradient
          std::fill_n(z, Z, 0.f);
          continue;
        }
        const int32_t t = lstm.row_token(d, r);
        const float* x = X + at(r, H);
        const float* wt = &wt_[at(t, H)];
        float dot = 0.f;
        for (int h = 0; h < H; ++h) dot += x[h] * wt[h];
        z[0] = dot + p.dense_bias[t] - math::lm_log_expected_count(t, V, S);
        for (int k = 0; k < S; ++k)
          z[1 + k] = samples_[k] == t ? math::kLmRemovedLogit : z[1 + k] + sample_bias_[k];
        part.correct += math::lm_target_wins(z, Z) ? 1 : 0;
        const float loss = math::lm_softmax_ce(z, Z, weight_[r], z);  // z becomes dL/dZ
        part.loss += loss;
        part.objective += static_cast<double>(weight_[r]) * loss;
        ++part.tokens;
      }
      // dX (n, H) = dZ_candidates · Ws^T + dz_target · W[:, t].
      cpu::gemm(false, n, H, S, &z_[at(r0, Z) + 1], Z, wst_.data(), H, 0.f, dX + at(r0, H), H);
      for (int r = r0; r < r1; ++r) {
        if (step_of_row_[r] == 0) continue;
        const float dz0 = z_[at(r, Z)];
        const float* wt = &wt_[at(lstm.row_token(d, r), H)];
        float* dx = dX + at(r, H);
        for (int h = 0; h < H; ++h) dx[h] += dz0 * wt[h];
      }
    });
    // The candidates' columns: dWs (H, S) = X^T · dZ, db_s = Σ_r dZ; a range of columns a chunk.
    run_chunks(chunk_count(S, kColumnsPerChunk), threads_, [&](int c) {
      int k0, k1;
      chunk_range(S, kColumnsPerChunk, c, &k0, &k1);
      cpu::gemm(true, H, k1 - k0, N, X, H, &z_[1 + k0], Z, 0.f, &dws_[k0], S);
      for (int k = k0; k < k1; ++k) {
        double s = 0;
        for (int r = 0; r < N; ++r) s += z_[at(r, Z) + 1 + k];
        dbs_[k] = s;
      }
    });
    // Into W's gradient, in a fixed order (a candidate drawn twice adds twice).
    for (int k = 0; k < S; ++k) {
      float* dw = &dwt_[at(samples_[k], H)];
      for (int h = 0; h < H; ++h) dw[h] += dws_[at(h, S) + k];
      db_[samples_[k]] += dbs_[k];
    }
    for (int r = 0; r < N; ++r) {
      if (step_of_row_[r] == 0) continue;
      const int32_t t = lstm.row_token(d, r);
      const float dz0 = z_[at(r, Z)];
      const float* x = X + at(r, H);
      float* dw = &dwt_[at(t, H)];
      for (int h = 0; h < H; ++h) dw[h] += dz0 * x[h];
      db_[t] += dz0;
    }
  }
  cpu::transpose(dwt_.data(), V, H, g.dense_kernel);
  for (int v = 0; v < V; ++v) g.dense_bias[v] = static_cast<float>(db_[v]);
  return add_partials(partial);
}

LmSums LmHeadCpu::evaluate(const LstmCpu& lstm, const ParamViews<const float>& p) {
  const int V = cfg_.vocab_size, H = cfg_.hidden;
  const int N = static_cast<int>(lstm.packed().rows);
  build_rows(lstm, 1);
  const int chunks = chunk_count(N, kEvalRowsPerChunk);
  const int parts = std::max(1, std::min(chunks, threads_));
  eval_logits_.resize(at(static_cast<int64_t>(parts) * kEvalRowsPerChunk, V));
  std::vector<Partial> partial(static_cast<size_t>(chunks) * cfg_.directions());
  for (int d = 0; d < cfg_.directions(); ++d) {
    const float* X = lstm.states(d);
    run_parts(parts, [&](int part) {
      float* logits = &eval_logits_[at(static_cast<int64_t>(part) * kEvalRowsPerChunk, V)];
      for (int c = part; c < chunks; c += parts) {
        int r0, r1;
        chunk_range(N, kEvalRowsPerChunk, c, &r0, &r1);
        cpu::gemm(false, r1 - r0, V, H, X + at(r0, H), H, p.dense_kernel, V, 0.f, logits, V);
        Partial& sum = partial[static_cast<size_t>(d) * chunks + c];
        for (int r = r0; r < r1; ++r) {
          if (step_of_row_[r] == 0) continue;
          float* z = logits + at(r - r0, V);
          for (int v = 0; v < V; ++v) z[v] += p.dense_bias[v];
          const int32_t t = lstm.row_token(d, r);
          int best = 0;
          for (int v = 1; v < V; ++v) best = z[v] > z[best] ? v : best;
          double e = 0;
          for (int v = 0; v < V; ++v) e += std::exp(static_cast<double>(z[v] - z[best]));
          sum.loss += static_cast<double>(z[best]) + std::log(e) - z[t];
          sum.correct += best == t ? 1 : 0;
          ++sum.tokens;
        }
      }
    });
  }
  return add_partials(partial);
}

}  // namespace senti
