#include "engine/model_config.h"

#include "kernels/common/error.h"

namespace senti {

const char* pool_name(Pool p) {
  switch (p) {
    case Pool::Last: return "last";
    case Pool::Max: return "max";
    case Pool::Mean: return "mean";
    case Pool::Concat: return "concat";
  }
  return "?";
}

bool parse_pool(const std::string& s, Pool* out) {
  for (Pool p : {Pool::Last, Pool::Max, Pool::Mean, Pool::Concat})
    if (s == pool_name(p)) {
      *out = p;
      return true;
    }
  return false;
}

const char* head_name(Head h) {
  switch (h) {
    case Head::Sigmoid: return "sigmoid";
    case Head::Softmax: return "softmax";
    case Head::MultiLabel: return "multi-label";
    case Head::LanguageModel: return "language-model";
  }
  return "?";
}

bool parse_head(const std::string& s, Head* out) {
  for (Head h : {Head::Sigmoid, Head::Softmax, Head::MultiLabel, Head::LanguageModel})
    if (s == head_name(h)) {
      *out = h;
      return true;
    }
  return false;
}

const char* embedding_clip_norm_name(EmbeddingClipNorm r) {
  return r == EmbeddingClipNorm::Sparse ? "sparse" : "dense";
}

bool parse_embedding_clip_norm(const std::string& s, EmbeddingClipNorm* out) {
  if (s == "sparse") *out = EmbeddingClipNorm::Sparse;
  else if (s == "dense") *out = EmbeddingClipNorm::Dense;
  else return false;
  return true;
}

std::string describe_model(const ModelConfig& c) {
  auto num = [](float v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  std::string s = "Embedding(" + std::to_string(c.vocab_size) + ", " + std::to_string(c.embed_dim) +
                  (c.mask ? ", mask_zero)" : ")");
  if (c.dropout > 0.f)
    s += std::string(c.spatial_dropout ? " -> SpatialDropout1D(" : " -> Dropout(") + num(c.dropout) + ")";
  const std::string lstm = "LSTM(" + std::to_string(c.hidden) + ")";
  s += " -> " + (c.bidirectional ? "Bidirectional(" + lstm + ")" : lstm);
  if (c.pool != Pool::Last) s += std::string(" -> pool ") + pool_name(c.pool);
  if (c.dense_dropout > 0.f) s += " -> Dropout(" + num(c.dense_dropout) + ")";
  if (c.ngrams > 0)
    s += " -> concat multi_hot(" + std::string(c.ngrams == 1 ? "words" : "1.." + std::to_string(c.ngrams) + "-grams") +
         ", " + std::to_string(c.ngram_width()) + ")";
  switch (c.head) {
    case Head::Sigmoid: return s + " -> Dense(1, sigmoid)";
    case Head::Softmax: return s + " -> Dense(" + std::to_string(c.classes) + ", softmax)";
    case Head::MultiLabel: return s + " -> Dense(" + std::to_string(c.classes) + ", sigmoid)";
    case Head::LanguageModel:
      return s + " -> every step: Dense(" + std::to_string(c.vocab_size) + ", sampled softmax of " +
             std::to_string(c.lm_samples) + ")";
  }
  return s;
}

}  // namespace senti
