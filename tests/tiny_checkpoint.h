#pragma once
// A small random model over a 13-word vocabulary, for predict/serve tests that need a checkpoint
// but no training. Its embeddings are scaled up from Keras's init so word choice clearly moves the
// output.
#include "host/run/checkpoint.h"
#include "engine/init.h"
#include "host/text/tokenizer.h"

namespace senti::test {

inline Checkpoint tiny_checkpoint(uint64_t seed) {
  Checkpoint c;
  c.model = ModelConfig{16, 8, 6};
  c.state = init_train_state(c.model, seed);
  const ParamLayout layout(c.model);
  for (size_t i = 0; i < layout[ParamId::Embedding].size; ++i)
    c.state.params[layout[ParamId::Embedding].offset + i] *= 40.f;
  c.vocab.num_words = 16;
  c.vocab.source = "train-split";
  c.vocab.words = {"the", "movie", "good", "bad", "great", "awful", "plot", "acting", "film",
                   "boring", "loved", "hated", "fun"};
  c.sequence.maxlen = 10;
  c.tokenizer_version = static_cast<int>(text::kTokenizerVersion);
  return c;
}

// The same vocabulary with a K-output head over three classes (cats, dogs, fish): softmax or
// multi-label, the dense layer (F [+ W], 3); n-gram features with 32 buckets when ngrams > 0.
inline Checkpoint tiny_k_class_checkpoint(uint64_t seed, Head head = Head::Softmax, int ngrams = 0) {
  Checkpoint c = tiny_checkpoint(seed);
  c.model.head = head;
  c.model.classes = 3;
  c.model.ngrams = ngrams;
  c.model.ngram_buckets = 32;
  c.classes = {"cats", "dogs", "fish"};
  c.state = init_train_state(c.model, seed);
  const ParamLayout layout(c.model);
  for (size_t i = 0; i < layout[ParamId::Embedding].size; ++i)
    c.state.params[layout[ParamId::Embedding].offset + i] *= 40.f;
  return c;
}

}  // namespace senti::test
