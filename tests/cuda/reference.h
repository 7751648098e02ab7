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

// Masked pooling over time (kernels/sequence_pool.cuh), written from docs/model.md: row b's real
// positions (lengths clamped to [0, T]; all T without lengths), the forward direction reading them
// in increasing order, the backward one (columns [H, 2H)) in decreasing order; features for each
// pool kind (last, max, mean) each direction's H values; max keeps the first step that attains it.
struct SequencePoolRef {
  int B = 0, T = 0, H = 0, D = 1;
  std::vector<int> lengths;  // empty: all T
  bool pre = false, last = true, max = false, mean = false;
  std::vector<float> features;  // [B, F]
  std::vector<int> argmax;      // [B, D*H] positions

  int kinds() const { return int(last) + int(max) + int(mean); }
  int F() const { return kinds() * D * H; }
  void real(int b, int* first, int* len) const {
    int n = lengths.empty() ? T : lengths[b];
    n = n < 0 ? 0 : n > T ? T : n;
    *len = n;
    *first = pre ? T - n : 0;
  }
  void forward(const std::vector<float>& y, const std::vector<float>& hy) {
    const int DH = D * H;
    features.assign(static_cast<size_t>(B) * F(), 0.f);
    argmax.assign(static_cast<size_t>(B) * DH, -1);
    for (int b = 0; b < B; ++b) {
      int first, len;
      real(b, &first, &len);
      for (int c = 0; c < DH; ++c) {
        float* f = &features[static_cast<size_t>(b) * F()];
        int k = 0;
        if (last) f[k++ * DH + c] = hy[static_cast<size_t>(b) * DH + c];
        float best = 0.f;
        int best_pos = -1;
        double sum = 0;
        for (int s = 0; s < len; ++s) {
          const int pos = c < H ? first + s : first + len - 1 - s;
          const float h = y[(static_cast<size_t>(pos) * B + b) * DH + c];
          if (s == 0 || h > best) best = h, best_pos = pos;
          sum += h;
        }
        if (max) {
          f[k++ * DH + c] = best;
          argmax[static_cast<size_t>(b) * DH + c] = best_pos;
        }
        if (mean) f[k * DH + c] = len ? static_cast<float>(sum / len) : 0.f;
      }
    }
  }
  // dfeatures [B, F] -> dy [T, B, D*H], dhy [B, D*H].
  void backward(const std::vector<float>& df, std::vector<float>* dy,
                std::vector<float>* dhy) const {
    const int DH = D * H;
    dy->assign(static_cast<size_t>(T) * B * DH, 0.f);
    dhy->assign(static_cast<size_t>(B) * DH, 0.f);
    for (int b = 0; b < B; ++b) {
      int first, len;
      real(b, &first, &len);
      const float* g = &df[static_cast<size_t>(b) * F()];
      for (int c = 0; c < DH; ++c) {
        int k = 0;
        if (last) (*dhy)[static_cast<size_t>(b) * DH + c] = g[k++ * DH + c];
        const int mx = max ? k++ : -1, mn = mean ? k : -1;
        for (int t = first; t < first + len; ++t) {
          float& d = (*dy)[(static_cast<size_t>(t) * B + b) * DH + c];
          if (mn >= 0) d += g[mn * DH + c] / static_cast<float>(len);
          if (mx >= 0 && argmax[static_cast<size_t>(b) * DH + c] == t) d += g[mx * DH + c];
        }
      }
    }
  }
};

}  // namespace senti::test::ref
