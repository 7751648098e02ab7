#include "engine/cpu/head_cpu.h"

#include <vector>

#include "kernels/common/error.h"
#include "kernels/common/math/activations.h"
#include "kernels/common/math/head.h"

namespace senti {
namespace {

HeadSums sigmoid_head(const float* z, int B, int N, const float* y, const float* cw, float* dz,
                      float* probs) {
  HeadSums s;
  for (int b = 0; b < B; ++b) {
    const float w = cw ? cw[math::class_of_label(y[b])] : 1.f;
    const float loss = math::bce_with_logit(z[b], y[b]);
    s.loss_sum += cw ? w * loss : loss;
    s.correct += math::correct_prediction(z[b], y[b]);
    if (dz) {
      // Mean loss over the N rows: dL/dlogit_b = (sigmoid(z_b) - y_b) / N (times the weight).
      const float g = math::bce_with_logit_grad(z[b], y[b]) / static_cast<float>(N);
      dz[b] = cw ? g * w : g;
    }
    if (probs) probs[b] = math::sigmoid(z[b]);
  }
  return s;
}

HeadSums softmax_head(const float* logits, int B, int N, int K, const float* labels,
                      const float* cw, float* dlogits, float* probs) {
  HeadSums s;
  for (int b = 0; b < B; ++b) {
    const float* z = logits + static_cast<int64_t>(b) * K;
    const int y = math::class_of_label(labels[b]);
    SENTI_CHECK(y >= 0 && y < K, "label ", labels[b], " of row ", b, " is not a class in 0..", K - 1);
    int arg = 0;
    for (int k = 1; k < K; ++k)
      if (z[k] > z[arg]) arg = k;
    const float m = z[arg];
    float sum = 0.f;
    for (int k = 0; k < K; ++k) sum += math::softmax_exp(z[k], m);
    const float w = cw ? cw[y] : 1.f;
    s.loss_sum += static_cast<double>(w) * math::softmax_ce(z[y], m, sum);
    s.correct += arg == y ? 1 : 0;
    for (int k = 0; k < K; ++k) {
      const float p = math::softmax_prob(z[k], m, sum);
      if (probs) probs[static_cast<int64_t>(b) * K + k] = p;
      if (dlogits) dlogits[static_cast<int64_t>(b) * K + k] = math::softmax_ce_grad(p, k == y, w, N);
    }
  }
  return s;
}

HeadSums multi_label_head(const float* logits, int B, int N, int K, const float* labels,
                          float* dlogits, float* probs) {
  HeadSums s;
  for (int b = 0; b < B; ++b) {
    const int64_t row = static_cast<int64_t>(b) * K;
    double loss = 0;
    bool all_right = true;
    for (int k = 0; k < K; ++k) {
      const float z = logits[row + k], y = labels[row + k];
      loss += math::bce_with_logit(z, y);
      all_right = all_right && math::correct_prediction(z, y);
      if (probs) probs[row + k] = math::sigmoid(z);
      if (dlogits) dlogits[row + k] = math::multi_label_grad(z, y, K, N);
    }
    s.loss_sum += loss / K;
    s.correct += all_right ? 1 : 0;
  }
  return s;
}

}  // namespace

HeadSums head_loss(const ModelConfig& cfg, const float* logits, int B, const float* labels,
                   const float* class_weights, float* dlogits, float* probs, int mean_rows) {
  const int N = mean_rows > 0 ? mean_rows : B;
  SENTI_CHECK(N >= B, "head_loss: the mean's ", N, " rows are fewer than the batch's ", B);
  switch (cfg.head) {
    case Head::Sigmoid: return sigmoid_head(logits, B, N, labels, class_weights, dlogits, probs);
    case Head::Softmax:
      return softmax_head(logits, B, N, cfg.classes, labels, class_weights, dlogits, probs);
    case Head::MultiLabel:
      SENTI_CHECK(class_weights == nullptr, "class weights are not defined for a multi-label head");
      return multi_label_head(logits, B, N, cfg.classes, labels, dlogits, probs);
    case Head::LanguageModel:  // per token, over its own rows: engine/cpu/lm_head_cpu.h
      SENTI_FAIL("head_loss: a language model's loss is LmHeadCpu's, not a classifier head's");
  }
  return {};
}

}  // namespace senti
