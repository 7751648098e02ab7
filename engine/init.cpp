#include "engine/init.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "kernels/common/error.h"

namespace senti {
namespace {

// splitmix64: turns (seed, stream index) into well-mixed, independent generator seeds.
uint64_t mix_seed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Portable draws: mt19937_64's output sequence is fixed by the standard; the transforms are ours.
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  // Uniform in [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform01(); }
  // Standard normal by Box-Muller; both values of each pair are used.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform01();  // (0, 1]: log stays finite
    const double u2 = uniform01();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 6.283185307179586476925 * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

 private:
  std::mt19937_64 gen_;
  double spare_ = 0;
  bool has_spare_ = false;
};

void fill_uniform(uint64_t seed, double limit, float* out, size_t n) {
  Rng rng(seed);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(rng.uniform(-limit, limit));
}

}  // namespace

namespace init_detail {

double glorot_limit(int fan_in, int fan_out) {
  return std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
}

void orthogonal(uint64_t seed, int rows, int cols, float* out) {
  SENTI_CHECK(rows > 0 && cols > 0, "orthogonal: empty shape ", rows, "x", cols);
  const int n = std::max(rows, cols), k = std::min(rows, cols);
  // a: (n, k) standard normal, stored column by column for Gram-Schmidt.
  Rng rng(seed);
  std::vector<double> a(static_cast<size_t>(n) * k);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < k; ++c) a[static_cast<size_t>(c) * n + r] = rng.normal();
  // Modified Gram-Schmidt, each projection done twice ("twice is enough") for orthogonality to
  // double precision. MGS yields the reduced QR with diag(R) > 0, i.e. exactly Q * sign(diag(R))
  // of any other QR, which is the sign fix Keras applies.
  for (int c = 0; c < k; ++c) {
    double* q = &a[static_cast<size_t>(c) * n];
    for (int pass = 0; pass < 2; ++pass) {
      for (int p = 0; p < c; ++p) {
        const double* qp = &a[static_cast<size_t>(p) * n];
        double dot = 0;
        for (int r = 0; r < n; ++r) dot += qp[r] * q[r];
        for (int r = 0; r < n; ++r) q[r] -= dot * qp[r];
      }
    }
    double norm2 = 0;
    for (int r = 0; r < n; ++r) norm2 += q[r] * q[r];
    const double norm = std::sqrt(norm2);
    SENTI_CHECK(norm > 1e-12, "orthogonal: rank-deficient normal draw (column ", c, ")");
    for (int r = 0; r < n; ++r) q[r] /= norm;
  }
  // Q is (n, k). Keras reshapes Q to (rows, cols) when rows >= cols, else uses Q^T.
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const double v = rows >= cols ? a[static_cast<size_t>(c) * n + r]   // Q[r][c]
                                    : a[static_cast<size_t>(r) * n + c];  // Q^T[r][c] = Q[c][r]
      out[static_cast<size_t>(r) * cols + c] = static_cast<float>(v);
    }
}

}  // namespace init_detail

void init_params(const ParamLayout& layout, uint64_t seed, float* params) {
  const ModelConfig& cfg = layout.config();
  const int E = cfg.embed_dim, H = cfg.hidden, G = cfg.gates();
  ParamViews<float> p = make_views(params, layout);
  auto stream = [&](ParamId id) { return mix_seed(seed, static_cast<uint64_t>(id)); };

  fill_uniform(stream(ParamId::Embedding), 0.05, p.embedding, layout[ParamId::Embedding].size);
  // One LSTM direction: glorot kernel, orthogonal recurrent kernel, unit_forget_bias.
  auto init_lstm = [&](ParamId kernel, ParamId recurrent, float* k, float* r, float* b) {
    fill_uniform(stream(kernel), init_detail::glorot_limit(E, G), k, layout[kernel].size);
    init_detail::orthogonal(stream(recurrent), H, G, r);
    for (int j = 0; j < G; ++j) b[j] = (j >= H && j < 2 * H) ? 1.f : 0.f;
  };
  init_lstm(ParamId::Kernel, ParamId::RecurrentKernel, p.kernel, p.recurrent_kernel, p.bias);
  if (cfg.bidirectional)
    init_lstm(ParamId::KernelBack, ParamId::RecurrentKernelBack, p.kernel_back,
              p.recurrent_kernel_back, p.bias_back);
  // Keras's glorot_uniform over the whole kernel: its fan-in is every input of the Dense layer,
  // the n-gram slots included (Concatenate()([pooled, multi_hot]) -> Dense(1)).
  fill_uniform(stream(ParamId::DenseKernel),
               init_detail::glorot_limit(static_cast<int>(cfg.dense_inputs()), cfg.outputs()),
               p.dense_kernel, layout[ParamId::DenseKernel].size);
  std::fill_n(p.dense_bias, layout[ParamId::DenseBias].size, 0.f);
}

TrainState init_train_state(const ModelConfig& cfg, uint64_t seed) {
  const ParamLayout layout(cfg);
  TrainState s;
  s.params.resize(layout.total());
  init_params(layout, seed, s.params.data());
  s.m.assign(layout.total(), 0.f);
  s.v.assign(layout.total(), 0.f);
  s.step = 0;
  return s;
}

}  // namespace senti
