#pragma once
// The seed model's exact gradients in double precision, by backpropagation through time: the
// analytic twin of tests/cpu/lstm_reference.h (which differentiates numerically, far too slowly
// for a seed-shape batch of 32 × 500 steps). Seed model only: one direction, no mask, last-state
// pooling, no dropout, no n-grams; Keras gate order i, f, g, o. Written from the textbook LSTM
// equations, sharing nothing with engine/cpu: every sum a plain double loop.
#include <cmath>
#include <cstddef>
#include <vector>

#include "engine/model_config.h"
#include "engine/params.h"

namespace senti::ref {

struct SeedGradients {
  double loss = 0;
  std::vector<double> grads;  // the ParamLayout of the model
};

// Mean BCE of the B rows of ids (B, T) against labels, and its gradient at theta.
inline SeedGradients seed_gradients(const ModelConfig& cfg, const std::vector<double>& theta,
                                    const std::vector<int>& ids, const std::vector<float>& labels,
                                    int B, int T) {
  const ParamLayout L(cfg);
  const int E = cfg.embed_dim, H = cfg.hidden, G = 4 * H;
  auto at = [&](ParamId id) { return &theta[L[id].offset]; };
  const double *emb = at(ParamId::Embedding), *W = at(ParamId::Kernel);
  const double *R = at(ParamId::RecurrentKernel), *bias = at(ParamId::Bias);
  const double *dk = at(ParamId::DenseKernel), dense_bias = *at(ParamId::DenseBias);
  SeedGradients out;
  out.grads.assign(L.total(), 0.0);
  auto grad = [&](ParamId id) { return &out.grads[L[id].offset]; };
  double *gemb = grad(ParamId::Embedding), *gW = grad(ParamId::Kernel);
  double *gR = grad(ParamId::RecurrentKernel), *gb = grad(ParamId::Bias);
  double *gdk = grad(ParamId::DenseKernel), *gdb = grad(ParamId::DenseBias);
  auto sig = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };

  // Per row: the activated gates and the states of every step, then the backward walk.
  std::vector<double> act(static_cast<size_t>(T) * G), c(static_cast<size_t>(T + 1) * H),
      h(static_cast<size_t>(T + 1) * H);
  std::vector<double> dh(H), dc(H), dz(G), dh_prev(H);
  for (int b = 0; b < B; ++b) {
    const int* row = &ids[static_cast<size_t>(b) * T];
    std::fill(c.begin(), c.begin() + H, 0.0);
    std::fill(h.begin(), h.begin() + H, 0.0);
    for (int t = 0; t < T; ++t) {
      const double* x = emb + static_cast<size_t>(row[t]) * E;
      const double* hp = &h[static_cast<size_t>(t) * H];
      double* z = &act[static_cast<size_t>(t) * G];
      for (int k = 0; k < G; ++k) z[k] = bias[k];
      for (int e = 0; e < E; ++e)
        for (int k = 0; k < G; ++k) z[k] += x[e] * W[static_cast<size_t>(e) * G + k];
      for (int j = 0; j < H; ++j)
        for (int k = 0; k < G; ++k) z[k] += hp[j] * R[static_cast<size_t>(j) * G + k];
      const double* cp = &c[static_cast<size_t>(t) * H];
      double* cn = &c[static_cast<size_t>(t + 1) * H];
      double* hn = &h[static_cast<size_t>(t + 1) * H];
      for (int j = 0; j < H; ++j) {
        z[j] = sig(z[j]);
        z[H + j] = sig(z[H + j]);
        z[2 * H + j] = std::tanh(z[2 * H + j]);
        z[3 * H + j] = sig(z[3 * H + j]);
        cn[j] = z[H + j] * cp[j] + z[j] * z[2 * H + j];
        hn[j] = z[3 * H + j] * std::tanh(cn[j]);
      }
    }
    const double* hT = &h[static_cast<size_t>(T) * H];
    double logit = dense_bias;
    for (int j = 0; j < H; ++j) logit += hT[j] * dk[j];
    const double p = sig(logit), y = labels[b];
    out.loss -= (y * std::log(p) + (1 - y) * std::log(1 - p)) / B;
    const double dlogit = (p - y) / B;
    *gdb += dlogit;
    for (int j = 0; j < H; ++j) gdk[j] += dlogit * hT[j], dh[j] = dlogit * dk[j], dc[j] = 0;

    for (int t = T - 1; t >= 0; --t) {
      const double* z = &act[static_cast<size_t>(t) * G];
      const double* cp = &c[static_cast<size_t>(t) * H];
      const double* cn = &c[static_cast<size_t>(t + 1) * H];
      const double* hp = &h[static_cast<size_t>(t) * H];
      for (int j = 0; j < H; ++j) {
        const double i = z[j], f = z[H + j], g = z[2 * H + j], o = z[3 * H + j];
        const double tc = std::tanh(cn[j]);
        const double dct = dc[j] + dh[j] * o * (1 - tc * tc);
        dz[j] = dct * g * i * (1 - i);
        dz[H + j] = dct * cp[j] * f * (1 - f);
        dz[2 * H + j] = dct * i * (1 - g * g);
        dz[3 * H + j] = dh[j] * tc * o * (1 - o);
        dc[j] = dct * f;
      }
      const double* x = emb + static_cast<size_t>(row[t]) * E;
      double* gx = gemb + static_cast<size_t>(row[t]) * E;
      for (int k = 0; k < G; ++k) gb[k] += dz[k];
      for (int e = 0; e < E; ++e) {
        double s = 0;
        for (int k = 0; k < G; ++k) {
          gW[static_cast<size_t>(e) * G + k] += x[e] * dz[k];
          s += W[static_cast<size_t>(e) * G + k] * dz[k];
        }
        gx[e] += s;
      }
      for (int j = 0; j < H; ++j) {
        double s = 0;
        for (int k = 0; k < G; ++k) {
          gR[static_cast<size_t>(j) * G + k] += hp[j] * dz[k];
          s += R[static_cast<size_t>(j) * G + k] * dz[k];
        }
        dh_prev[j] = s;
      }
      dh.swap(dh_prev);
    }
  }
  return out;
}

}  // namespace senti::ref
