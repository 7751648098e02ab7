#include "host/run/predictor.h"

#include "host/run/class_report.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/common/error.h"
#include "host/text/tokenizers.h"

namespace senti {
namespace {

// The vocabulary, after the checks (the Encoder is built from it in the member initializers).
const data::Vocabulary& checked_vocab(const Checkpoint& ckpt, const std::string& source) {
  check_inference_ready(ckpt, source);
  return ckpt.vocab;
}

size_t align_up(size_t n) { return (n + 63) / 64 * 64; }

}  // namespace

void check_tokenizer_reproducible(const Checkpoint& ckpt, const std::string& source) {
  const std::string why = text::tokenizer_mismatch(ckpt.tokenizer, ckpt.tokenizer_version, ckpt.tokenizer_icu);
  if (!why.empty())
    SENTI_FAIL("'", source, "' was trained with ", why,
               ": its word ids would not match; retrain or use the senti that trained it");
}

void check_inference_ready(const Checkpoint& ckpt, const std::string& source) {
  if (ckpt.model.language_model())
    SENTI_FAIL("'", source, "' is a pretrained language model (senti pretrain): it predicts words, not "
               "classes; fine-tune a classifier from it with `senti train --init ", source, "`");
  check_tokenizer_reproducible(ckpt, source);
  // ids 0..2 are padding/start/OOV, words start at 3: a usable vocabulary has at least one word.
  if (ckpt.vocab.num_words < data::kFirstWordId + 1 || ckpt.vocab.words.empty())
    SENTI_FAIL("'", source, "' has no vocabulary (num_words ", ckpt.vocab.num_words, ", ",
               ckpt.vocab.words.size(), " words): raw text cannot be encoded for this model");
  if (ckpt.vocab.num_words > ckpt.model.vocab_size)
    SENTI_FAIL("'", source, "': vocabulary of ", ckpt.vocab.num_words,
               " ids does not fit the embedding of ", ckpt.model.vocab_size, " rows");
  if (ckpt.sequence.maxlen < 1)
    SENTI_FAIL("'", source, "': maxlen ", ckpt.sequence.maxlen, " in its metadata is not positive");
}

BackendOptions inference_backend_options(const Checkpoint& ckpt, int max_batch) {
  BackendOptions o;
  o.model = ckpt.model;
  // Inference never drops out nor clips: training-only settings stay out of the backend's way
  // (a backend that lacks them must still serve the model).
  o.model.dropout = o.model.dense_dropout = 0.f;
  o.model.spatial_dropout = false;
  o.optimizer = ckpt.optimizer;
  o.optimizer.embedding_clip_norm = EmbeddingClipNorm::Dense;
  o.max_batch = max_batch;
  o.maxlen = ckpt.sequence.maxlen;
  o.deterministic = true;
  return o;
}

std::string label_of(float prob, const std::vector<std::string>& classes) {
  if (classes == data::imdb_classes()) return is_positive(prob) ? "positive" : "negative";
  SENTI_CHECK(classes.size() == 2, "label_of: ", classes.size(), " classes for one probability");
  return classes[is_positive(prob) ? 1 : 0];
}

std::string Predictor::label_of(const float* probs) const {
  if (outputs_ == 1) return senti::label_of(probs[0], classes_);
  return classes_[static_cast<size_t>(predicted_class(probs, outputs_))];
}

Predictor::Predictor(const Checkpoint& ckpt, std::unique_ptr<Backend> backend, int batch,
                     const std::string& source)
    : backend_(std::move(backend)),
      source_(source),
      batch_(batch),
      seq_(ckpt.sequence),
      classes_(ckpt.classes),
      outputs_(ckpt.model.outputs()),
      multi_label_(ckpt.model.head == Head::MultiLabel),
      encoder_(checked_vocab(ckpt, source), ckpt.tokenizer) {
  SENTI_CHECK(backend_ != nullptr, "Predictor: no backend");
  if (batch_ < 1) SENTI_FAIL("--batch must be >= 1, got ", batch_);
  SENTI_CHECK(batch_ <= backend_->options().max_batch, "Predictor: batch ", batch_,
              " larger than the backend's ", backend_->options().max_batch);
  SENTI_CHECK(seq_.maxlen <= backend_->options().maxlen, "Predictor: maxlen ", seq_.maxlen,
              " larger than the backend's ", backend_->options().maxlen);

  // Inference needs only the parameters; set_state wants Adam moments of the same size.
  TrainState state;
  state.params = ckpt.state.params;
  state.m.assign(state.params.size(), 0.f);
  state.v.assign(state.params.size(), 0.f);
  state.step = ckpt.state.step;
  backend_->set_state(state);

  const size_t B = static_cast<size_t>(batch_), T = static_cast<size_t>(seq_.maxlen);
  const size_t ids_bytes = align_up(B * T * sizeof(int32_t));
  // Dummy labels: a valid class (0) per row, or per label of a multi-label model.
  const size_t label_count = B * static_cast<size_t>(ckpt.model.labels_per_row());
  const size_t labels_bytes = align_up(label_count * sizeof(float));
  memory_ = backend_->alloc_host(ids_bytes + labels_bytes + B * sizeof(int32_t));
  auto* base = static_cast<char*>(memory_.get());
  ids_ = reinterpret_cast<int32_t*>(base);
  labels_ = reinterpret_cast<float*>(base + ids_bytes);
  lengths_ = reinterpret_cast<int32_t*>(base + ids_bytes + labels_bytes);
  std::fill(labels_, labels_ + label_count, 0.f);
}

int32_t Predictor::encode(std::string_view text, int32_t* out) {
  encoder_.encode(text, &word_ids_);
  return data::make_sequence(word_ids_.data(), static_cast<int64_t>(word_ids_.size()), seq_, out);
}

template <typename Fill>
void Predictor::run_batches(size_t n, float* probs, const Fill& fill) {
  for (size_t done = 0; done < n;) {
    const int b = static_cast<int>(std::min<size_t>(static_cast<size_t>(batch_), n - done));
    for (int i = 0; i < b; ++i)
      lengths_[i] = fill(done + i, ids_ + static_cast<size_t>(i) * seq_.maxlen);
    Batch batch;
    batch.ids = ids_;
    batch.labels = labels_;
    batch.lengths = lengths_;
    batch.batch = b;
    batch.maxlen = seq_.maxlen;
    batch.padding = seq_.padding == data::Side::Pre ? PadSide::Pre : PadSide::Post;
    float* out = probs + done * static_cast<size_t>(outputs_);
    backend_->eval_step(batch, out);
    for (size_t i = 0; i < static_cast<size_t>(b) * static_cast<size_t>(outputs_); ++i)
      if (!std::isfinite(out[i]))
        throw Error(detail::concat("'", source_, "': the model gave a non-finite probability (",
                                   out[i],
                                   ") for a review: its weights overflow float32 on this input"));
    done += static_cast<size_t>(b);
  }
  backend_->take_metrics();  // loss/accuracy against the dummy labels mean nothing; drop them
}

void Predictor::encode_words(std::string_view text, std::vector<int32_t>* ids,
                             std::vector<std::pair<uint32_t, uint32_t>>* spans) const {
  encoder_.encode(text, ids, spans);
}

void Predictor::predict_word_ids(const std::vector<std::vector<int32_t>>& reviews, float* probs) {
  run_batches(reviews.size(), probs, [&](size_t r, int32_t* out) {
    return data::make_sequence(reviews[r].data(), static_cast<int64_t>(reviews[r].size()), seq_, out);
  });
}

void Predictor::predict(const std::string_view* texts, size_t n, float* probs) {
  run_batches(n, probs, [&](size_t r, int32_t* out) { return encode(texts[r], out); });
}

std::vector<float> Predictor::predict(const std::vector<std::string>& texts) {
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::vector<float> probs(texts.size() * static_cast<size_t>(outputs_));
  predict(views.data(), views.size(), probs.data());
  return probs;
}

}  // namespace senti
