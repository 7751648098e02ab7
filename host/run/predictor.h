#pragma once
// Predictor: raw review text -> probability of the positive class, with exactly the preprocessing
// the model was trained with, all read from the checkpoint so nothing can drift:
//   text::Encoder (the checkpoint's tokenizer, checked by kind, version and ICU version; the
//   checkpoint's vocabulary, OOV -> 2)
//   -> data::make_sequence ([start] + ids, the checkpoint's maxlen / padding / truncating)
//   -> batched Backend::eval_step.
// `senti predict` and `senti serve` both go through this class: one preprocessing path. The batches
// it hands the backend are built like the trainer's (data::gather_batch uses make_sequence too), so
// on the same backend a review gets bit-identical probabilities here and in evaluate().
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/backend.h"
#include "host/run/checkpoint.h"
#include "host/text/encoder.h"

namespace senti {

// UsageError naming `source` when this build cannot reproduce the checkpoint's tokens: another
// tokenizer version, a tokenizer it lacks, or (unicode) another ICU version.
void check_tokenizer_reproducible(const Checkpoint& ckpt, const std::string& source);

// Throws UsageError naming `source` (the checkpoint path) when the checkpoint cannot be used on raw
// text: a tokenizer it cannot reproduce (check_tokenizer_reproducible), no vocabulary, a vocabulary
// larger than the embedding, or a non-positive maxlen.
void check_inference_ready(const Checkpoint& ckpt, const std::string& source);

// Backend options for inference: the checkpoint's model (mask, bidirectional, pooling; dropout
// off), batches of up to max_batch reviews, sequences of the checkpoint's maxlen.
BackendOptions inference_backend_options(const Checkpoint& ckpt, int max_batch);

// The decision rule of the metrics (kernels/common/math): positive when p > 0.5.
inline bool is_positive(float prob) { return prob > 0.5f; }

// The label printed for a probability of classes[1]: the class name, except that IMDB's folder
// names (neg, pos) print as "negative" / "positive", as they always have.
std::string label_of(float prob, const std::vector<std::string>& classes);

class Predictor {
 public:
  // Checks the checkpoint (check_inference_ready), then loads its parameters into `backend`, which
  // must have been made with inference_backend_options(ckpt, batch) (or a larger batch). Reviews
  // go to the backend `batch` at a time.
  Predictor(const Checkpoint& ckpt, std::unique_ptr<Backend> backend, int batch,
            const std::string& source);

  int batch() const { return batch_; }
  const std::vector<std::string>& classes() const { return classes_; }
  // O: the probabilities per text (1 for a two-class model: of classes[1]; else K, one per class).
  int outputs() const { return outputs_; }
  bool multi_label() const { return multi_label_; }  // K independent sigmoids
  std::string label_of(float prob) const { return senti::label_of(prob, classes_); }
  // The predicted class's name from one text's O probabilities (p > 0.5, or the argmax).
  std::string label_of(const float* probs) const;
  const data::SequenceOptions& sequence() const { return seq_; }
  Backend& backend() { return *backend_; }

  // The outputs() probabilities of each text, (n, O) row-major in order: for a two-class model the
  // probability of classes[1], else each class's (softmax). Any bytes are accepted (invalid
  // UTF-8 separates words, see host/text/tokenizer.h). Not thread-safe: one caller at a time.
  // Throws senti::Error naming the checkpoint rather than return a NaN probability (weights that
  // overflow float32 on some input): a NaN would print as "nan negative" and serve as null.
  std::vector<float> predict(const std::vector<std::string>& texts);
  void predict(const std::string_view* texts, size_t n, float* probs);

  // The padded sequence predict() feeds the model for `text`: writes maxlen ids to `out` and
  // returns the true length (start token included). Not thread-safe.
  int32_t encode(std::string_view text, int32_t* out);

  // The word ids of `text` (no start token, no padding) and each word's bytes in `text`.
  void encode_words(std::string_view text, std::vector<int32_t>* ids,
                    std::vector<std::pair<uint32_t, uint32_t>>* spans) const;
  // Probabilities for reviews given as word-id lists, each turned into a sequence exactly as
  // predict() does (data::make_sequence). For explanations: the same review with words left out.
  void predict_word_ids(const std::vector<std::vector<int32_t>>& reviews, float* probs);

 private:
  // Scores n sequences, fill(r, out) writing sequence r's maxlen ids and returning its length.
  template <typename Fill>
  void run_batches(size_t n, float* probs, const Fill& fill);

  std::unique_ptr<Backend> backend_;
  std::string source_;
  int batch_;
  data::SequenceOptions seq_;
  std::vector<std::string> classes_;
  int outputs_ = 1;
  bool multi_label_ = false;
  text::Encoder encoder_;
  std::vector<int32_t> word_ids_;  // one text's ids, reused
  HostBuffer memory_;              // ids (batch, maxlen), labels (batch), lengths (batch)
  int32_t* ids_ = nullptr;
  float* labels_ = nullptr;        // all zero: eval_step wants labels, predictions ignore them
  int32_t* lengths_ = nullptr;
};

}  // namespace senti
