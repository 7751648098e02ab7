#pragma once
// The double-precision twin of one direction of the fused LSTM (kernels/lstm_fused.cuh): Keras
// LSTM semantics with per-row lengths (docs/model.md: a masked step carries h and c; post padding
// = real tokens first, pre = last; reverse reads the real tokens backwards), written from the
// formulas in double (its own exp/tanh, not kernels/common/math), so it also checks the shared
// cell math. Keeps every intermediate so tests can compare the kernels' gates, c and dZ directly.
#include <cmath>
#include <cstdint>
#include <vector>

namespace senti::test::ref {

struct FusedLstmRef {
  int B = 0, T = 0, E = 0, H = 0;
  bool reverse = false, pre_padding = false;
  std::vector<int> lengths;          // [B]; empty = all T
  std::vector<double> W, R, bias;    // (E, 4H), (H, 4H), (4H): Keras layout
  std::vector<double> pre;           // [T,B,4H] x·W, computed by forward() when empty
  // Forward results, time-major like the kernels.
  std::vector<double> x, y, gates, c, h_prev, c_prev;  // y, c [T,B,H]; gates [T,B,4H]
  std::vector<double> hy;                              // [B, H]
  // Backward results.
  std::vector<double> dz, dW, dR, db, dx;

  int len(int b) const { return lengths.empty() ? T : lengths[b]; }
  int first(int b) const { return pre_padding ? T - len(b) : 0; }
  int pos(int b, int k) const { return reverse ? first(b) + len(b) - 1 - k : first(b) + k; }
  size_t row(int t, int b) const { return static_cast<size_t>(t) * B + b; }
  static double sig(double v) { return 1.0 / (1.0 + std::exp(-v)); }

  // pre = x·W (no bias).
  void project(const std::vector<float>& x_in) {
    const int G = 4 * H;
    pre.assign(static_cast<size_t>(T) * B * G, 0.0);
    for (size_t r = 0; r < static_cast<size_t>(T) * B; ++r)
      for (int e = 0; e < E; ++e)
        for (int j = 0; j < G; ++j) pre[r * G + j] += x_in[r * E + e] * W[static_cast<size_t>(e) * G + j];
  }

  void forward(const std::vector<float>& x_in) {
    const int G = 4 * H;
    if (pre.empty()) project(x_in);
    x.assign(x_in.begin(), x_in.end());
    y.assign(static_cast<size_t>(T) * B * H, 0.0);
    c = h_prev = c_prev = y;
    gates.assign(static_cast<size_t>(T) * B * G, 0.0);
    hy.assign(static_cast<size_t>(B) * H, 0.0);
    std::vector<double> z(G);
    for (int b = 0; b < B; ++b) {
      std::vector<double> h(H, 0.0), cs(H, 0.0);
      for (int k = 0; k < len(b); ++k) {
        const size_t r = row(pos(b, k), b);
        for (int j = 0; j < G; ++j) {
          double s = pre[r * G + j] + bias[j];
          for (int m = 0; m < H; ++m) s += h[m] * R[static_cast<size_t>(m) * G + j];
          z[j] = s;
        }
        for (int u = 0; u < H; ++u) {
          const double i = sig(z[u]), f = sig(z[H + u]), g = std::tanh(z[2 * H + u]),
                       o = sig(z[3 * H + u]);
          h_prev[r * H + u] = h[u];
          c_prev[r * H + u] = cs[u];
          cs[u] = f * cs[u] + i * g;
          h[u] = o * std::tanh(cs[u]);
          double* ga = &gates[r * G];
          ga[u] = i, ga[H + u] = f, ga[2 * H + u] = g, ga[3 * H + u] = o;
          c[r * H + u] = cs[u];
          y[r * H + u] = h[u];
        }
      }
      for (int u = 0; u < H; ++u) hy[static_cast<size_t>(b) * H + u] = h[u];
    }
  }

  // dhy [B, H]; dy [T, B, H] or empty. weights = false computes dz only (not dW, dR, db, dx).
  void backward(const std::vector<float>& dhy, const std::vector<float>& dy, bool weights = true) {
    const int G = 4 * H;
    dz.assign(static_cast<size_t>(T) * B * G, 0.0);
    dW.assign(static_cast<size_t>(E) * G, 0.0);
    dR.assign(static_cast<size_t>(H) * G, 0.0);
    db.assign(G, 0.0);
    dx.assign(static_cast<size_t>(T) * B * E, 0.0);
    for (int b = 0; b < B; ++b) {
      std::vector<double> dh(H), dc(H, 0.0);
      for (int u = 0; u < H; ++u) dh[u] = dhy[static_cast<size_t>(b) * H + u];
      for (int k = len(b) - 1; k >= 0; --k) {
        const size_t r = row(pos(b, k), b);
        const double* ga = &gates[r * G];
        double* d = &dz[r * G];
        for (int u = 0; u < H; ++u) {
          if (!dy.empty()) dh[u] += dy[r * H + u];
          const double i = ga[u], f = ga[H + u], g = ga[2 * H + u], o = ga[3 * H + u];
          const double tc = std::tanh(c[r * H + u]);
          const double dct = dc[u] + dh[u] * o * (1 - tc * tc);
          d[u] = dct * g * i * (1 - i);
          d[H + u] = dct * c_prev[r * H + u] * f * (1 - f);
          d[2 * H + u] = dct * i * (1 - g * g);
          d[3 * H + u] = dh[u] * tc * o * (1 - o);
          dc[u] = dct * f;
        }
        for (int m = 0; m < H; ++m) {
          double s = 0;
          for (int j = 0; j < G; ++j) s += R[static_cast<size_t>(m) * G + j] * d[j];
          dh[m] = s;
        }
        if (!weights) continue;
        for (int j = 0; j < G; ++j) {
          db[j] += d[j];
          for (int e = 0; e < E; ++e) dW[static_cast<size_t>(e) * G + j] += x[r * E + e] * d[j];
          for (int m = 0; m < H; ++m) dR[static_cast<size_t>(m) * G + j] += h_prev[r * H + m] * d[j];
        }
        for (int e = 0; e < E; ++e) {
          double s = 0;
          for (int j = 0; j < G; ++j) s += W[static_cast<size_t>(e) * G + j] * d[j];
          dx[r * E + e] = s;
        }
      }
    }
  }
};

// Widen a float vector for the reference.
inline std::vector<double> widen(const std::vector<float>& v) { return {v.begin(), v.end()}; }
inline std::vector<float> narrow(const std::vector<double>& v) { return {v.begin(), v.end()}; }

}  // namespace senti::test::ref
