#pragma once
// CPU twins of the CUDA kernels and of one cuDNN LSTM layer, written as plain loops over the shared
// per-element math (kernels/common/math). The kernels' tests compare against these (llm.c style).
#include <cstdint>
#include <vector>

#include "kernels/common/math/activations.h"
#include "kernels/common/math/lstm_cell.h"

namespace senti::test::ref {

// ids (B, T) -> x [T, B, E].
inline std::vector<float> embedding_forward(const std::vector<int32_t>& ids, int B, int T,
                                            const std::vector<float>& table, int E) {
  std::vector<float> x(static_cast<size_t>(T) * B * E);
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t)
      for (int e = 0; e < E; ++e)
        x[(static_cast<size_t>(t) * B + b) * E + e] = table[static_cast<size_t>(ids[b * T + t]) * E + e];
  return x;
}

// dx [T, B, E] -> dense (V, E), summed in double.
inline std::vector<float> embedding_backward(const std::vector<int32_t>& ids, int B, int T,
                                             const std::vector<float>& dx, int V, int E) {
  std::vector<double> acc(static_cast<size_t>(V) * E, 0.0);
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t)
      for (int e = 0; e < E; ++e)
        acc[static_cast<size_t>(ids[b * T + t]) * E + e] += dx[(static_cast<size_t>(t) * B + b) * E + e];
  return std::vector<float>(acc.begin(), acc.end());
}

struct DenseOut {
  std::vector<float> probs, dh, dw;
  float dbias = 0;
  double loss_sum = 0;
  long long correct = 0;
};

inline DenseOut dense_bce(const std::vector<float>& h, int B, int H, const std::vector<float>& w,
                          float bias, const std::vector<float>& labels) {
  DenseOut o;
  o.probs.resize(B);
  o.dh.resize(static_cast<size_t>(B) * H);
  o.dw.assign(H, 0.f);
  std::vector<double> dw(H, 0.0);
  double db = 0;
  for (int b = 0; b < B; ++b) {
    double z = bias;
    for (int k = 0; k < H; ++k) z += static_cast<double>(h[b * H + k]) * w[k];
    const float zf = static_cast<float>(z), y = labels[b];
    o.probs[b] = math::sigmoid(zf);
    o.loss_sum += math::bce_with_logit(zf, y);
    o.correct += math::correct_prediction(zf, y);
    const float dz = math::bce_with_logit_grad(zf, y) / static_cast<float>(B);
    db += dz;
    for (int k = 0; k < H; ++k) {
      o.dh[b * H + k] = dz * w[k];
      dw[k] += static_cast<double>(dz) * h[b * H + k];
    }
  }
  for (int k = 0; k < H; ++k) o.dw[k] = static_cast<float>(dw[k]);
  o.dbias = static_cast<float>(db);
  return o;
}

// One Keras LSTM layer over x [T, B, E] with Keras weights W (E, 4H), R (H, 4H), b (4H);
// h0 = c0 = 0, all T steps. Keeps what backward needs.
struct Lstm {
  int B, T, E, H;
  std::vector<float> W, R, bias;
  std::vector<float> x;                  // [T, B, E]
  std::vector<float> h, c;               // [(T+1), B, H]; row block 0 is the zero initial state
  std::vector<math::LstmGates> gates;    // [T, B, H]

  std::vector<float> forward(const std::vector<float>& x_in) {  // returns hy [B, H]
    x = x_in;
    const int G = 4 * H;
    h.assign(static_cast<size_t>(T + 1) * B * H, 0.f);
    c.assign(static_cast<size_t>(T + 1) * B * H, 0.f);
    gates.resize(static_cast<size_t>(T) * B * H);
    std::vector<double> z(G);
    for (int t = 0; t < T; ++t)
      for (int b = 0; b < B; ++b) {
        const float* xt = &x[(static_cast<size_t>(t) * B + b) * E];
        const float* hp = &h[(static_cast<size_t>(t) * B + b) * H];
        for (int k = 0; k < G; ++k) {
          double s = bias[k];
          for (int e = 0; e < E; ++e) s += static_cast<double>(xt[e]) * W[e * G + k];
          for (int j = 0; j < H; ++j) s += static_cast<double>(hp[j]) * R[j * G + k];
          z[k] = s;
        }
        for (int j = 0; j < H; ++j) {
          const size_t prev = (static_cast<size_t>(t) * B + b) * H + j;
          const size_t cur = (static_cast<size_t>(t + 1) * B + b) * H + j;
          gates[(static_cast<size_t>(t) * B + b) * H + j] = math::lstm_cell_forward(
              static_cast<float>(z[j]), static_cast<float>(z[H + j]),
              static_cast<float>(z[2 * H + j]), static_cast<float>(z[3 * H + j]), c[prev], &c[cur],
              &h[cur]);
        }
      }
    return std::vector<float>(h.end() - static_cast<long>(B) * H, h.end());
  }

  // From dL/dhy [B, H] (dL/dy = 0): dx [T, B, E] and the Keras-layout dW, dR, db.
  void backward(const std::vector<float>& dhy, std::vector<float>* dx, std::vector<float>* dW,
                std::vector<float>* dR, std::vector<float>* db) const {
    const int G = 4 * H;
    std::vector<double> gW(static_cast<size_t>(E) * G, 0.0), gR(static_cast<size_t>(H) * G, 0.0),
        gb(G, 0.0);
    dx->assign(static_cast<size_t>(T) * B * E, 0.f);
    std::vector<float> dh = dhy, dc(static_cast<size_t>(B) * H, 0.f), dz(G);
    for (int t = T - 1; t >= 0; --t) {
      std::vector<float> dh_prev(static_cast<size_t>(B) * H, 0.f);
      for (int b = 0; b < B; ++b) {
        for (int j = 0; j < H; ++j) {
          const size_t i = static_cast<size_t>(b) * H + j;
          const size_t prev = (static_cast<size_t>(t) * B + b) * H + j;
          const size_t cur = (static_cast<size_t>(t + 1) * B + b) * H + j;
          const math::LstmCellGrad g = math::lstm_cell_backward(
              gates[(static_cast<size_t>(t) * B + b) * H + j], c[prev], tanhf(c[cur]), dh[i], dc[i]);
          dz[j] = g.dzi, dz[H + j] = g.dzf, dz[2 * H + j] = g.dzg, dz[3 * H + j] = g.dzo;
          dc[i] = g.dc_prev;
        }
        const float* xt = &x[(static_cast<size_t>(t) * B + b) * E];
        const float* hp = &h[(static_cast<size_t>(t) * B + b) * H];
        float* dxt = &(*dx)[(static_cast<size_t>(t) * B + b) * E];
        for (int k = 0; k < G; ++k) {
          gb[k] += dz[k];
          for (int e = 0; e < E; ++e) gW[static_cast<size_t>(e) * G + k] += static_cast<double>(xt[e]) * dz[k];
          for (int j = 0; j < H; ++j) gR[static_cast<size_t>(j) * G + k] += static_cast<double>(hp[j]) * dz[k];
        }
        for (int e = 0; e < E; ++e) {
          double s = 0;
          for (int k = 0; k < G; ++k) s += static_cast<double>(W[e * G + k]) * dz[k];
          dxt[e] = static_cast<float>(s);
        }
        for (int j = 0; j < H; ++j) {
          double s = 0;
          for (int k = 0; k < G; ++k) s += static_cast<double>(R[j * G + k]) * dz[k];
          dh_prev[static_cast<size_t>(b) * H + j] = static_cast<float>(s);
        }
      }
      dh = dh_prev;
    }
    dW->assign(gW.begin(), gW.end());
    dR->assign(gR.begin(), gR.end());
    db->assign(gb.begin(), gb.end());
  }
};

}  // namespace senti::test::ref
