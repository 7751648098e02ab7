#pragma once
// Model and optimizer hyper-parameters. Defaults are the seed recipe:
// Embedding(10000, 128) -> LSTM(64) -> Dense(1, sigmoid); Adam(1e-3, clipnorm=0.1).
// The options beyond the seed (mask, bidirectional, pooling, dropout, the embedding clip rule) are
// specified in docs/model.md ("Variable-length sequences"); their defaults are the seed model.
#include <cstdint>
#include <string>

#include "kernels/common/math/optim.h"

namespace senti {

// How the classifier input is read off the LSTM outputs (masked: over each row's real tokens).
enum class Pool { Last, Max, Mean, Concat };  // concat = [last, max, mean]

// The classifier's output layer and loss (docs/model.md, "Heads"):
//   Sigmoid     Dense(1, sigmoid) + binary cross-entropy: two classes (the seed model)
//   Softmax     Dense(K) + softmax + sparse categorical cross-entropy from logits: K classes
//   MultiLabel  Dense(K, sigmoid) + binary cross-entropy per label, averaged over the K labels
//               (Keras binary_crossentropy): any subset of K labels per document
//   LanguageModel  `senti pretrain`: Dense(V) over each LSTM direction's state at every step,
//               predicting the next token of that direction's reading order; trained with a
//               sampled softmax of lm_samples candidates (kernels/common/math/lm.h), evaluated
//               with the full softmax. Masked, no pooling, n-grams or dense dropout.
enum class Head { Sigmoid, Softmax, MultiLabel, LanguageModel };
const char* head_name(Head h);  // "sigmoid", "softmax", "multi-label", "language-model"
bool parse_head(const std::string& s, Head* out);  // the inverse; false for anything else

const char* pool_name(Pool p);
// "last", "max", "mean" or "concat"; false for anything else.
bool parse_pool(const std::string& s, Pool* out);

struct ModelConfig {
  int vocab_size = 10000;  // V: ids are in [0, V)
  int embed_dim = 128;     // E
  int hidden = 64;         // H
  bool mask = false;           // Keras Embedding(mask_zero=True): padding steps carry h and c
  bool bidirectional = false;  // Keras Bidirectional(LSTM(H)), merge concat
  Pool pool = Pool::Last;
  float dropout = 0.f;          // on the embedding output, training only (Keras Dropout)
  bool spatial_dropout = false; // the embedding dropout is SpatialDropout1D (one mask per row)
  float dense_dropout = 0.f;    // on the classifier input, training only
  // N-gram features beside the LSTM (docs/model.md, "N-gram features"): a multi-hot vector of the
  // row's 1..ngrams-grams, concatenated to the pooled (and dropped-out) LSTM features before the
  // Dense layer; the n >= 2 grams are hashed into ngram_buckets slots. 0 = off (the seed model).
  int ngrams = 0;
  int ngram_buckets = 1 << 20;
  Head head = Head::Sigmoid;
  int classes = 2;  // K: class names live with the checkpoint; Sigmoid means exactly 2
  int lm_samples = 512;  // S: the language-model head's sampled candidates per step (LM only)
  bool language_model() const { return head == Head::LanguageModel; }
  // O: the Dense layer's width (1 for the sigmoid head, V for the language model, else K).
  int outputs() const {
    return head == Head::Sigmoid ? 1 : language_model() ? vocab_size : classes;
  }
  // Batch::labels entries per row: K 0/1 targets for the multi-label head, else one class index.
  int labels_per_row() const { return head == Head::MultiLabel ? classes : 1; }
  int gates() const { return 4 * hidden; }  // 4H, Keras gate order i, f, c, o
  int directions() const { return bidirectional ? 2 : 1; }
  // F: width of the classifier input (dense kernel rows).
  // The language model's Dense(V) reads one direction's state at a time: F = H.
  int features() const {
    return language_model() ? hidden : hidden * directions() * (pool == Pool::Concat ? 3 : 1);
  }
  // W: width of the n-gram multi-hot vector (V word slots, then the hashed buckets); 0 when off.
  int64_t ngram_width() const {
    return ngrams == 0 ? 0 : vocab_size + (ngrams >= 2 ? static_cast<int64_t>(ngram_buckets) : 0);
  }
  // Rows of the dense kernel: the F LSTM features first, then the W n-gram slots.
  int64_t dense_inputs() const { return features() + ngram_width(); }
};

// Which norm `clipnorm`/`global_clipnorm` take of the embedding gradient (docs/model.md):
// Dense = of the (V, E) gradient (PyTorch, JAX); Sparse = over the per-position rows, duplicates
// not summed (TensorFlow's IndexedSlices, the seed recipe's framework).
enum class EmbeddingClipNorm { Dense, Sparse };
const char* embedding_clip_norm_name(EmbeddingClipNorm r);
bool parse_embedding_clip_norm(const std::string& s, EmbeddingClipNorm* out);

struct OptimizerConfig {
  math::AdamHyper adam;        // lr, beta1, beta2, epsilon (Keras defaults, lr 1e-3)
  float clipnorm = 0.1f;       // per-variable clip (Keras `clipnorm`); 0 = off
  float global_clipnorm = 0.f; // clip all variables together (Keras `global_clipnorm`); 0 = off
  EmbeddingClipNorm embedding_clip_norm = EmbeddingClipNorm::Dense;
  // Fine-tuning a pretrained model (`senti train --init`): the learning rate of each tensor is
  // lr · lr_scale[i] (ParamLayout order), e.g. lower for the pretrained embedding and LSTM. All 1:
  // one rate (every run without --init; the step's arithmetic is then unchanged).
  float lr_scale[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  bool uniform_lr() const {
    for (float s : lr_scale)
      if (s != 1.f) return false;
    return true;
  }
};

// "Embedding(10000, 128, mask_zero) -> Dropout(0.2) -> Bidirectional(LSTM(64)) -> pool concat ->
// Dense(1, sigmoid)": the layers, Keras style, for logs.
std::string describe_model(const ModelConfig& cfg);



}  // namespace senti
