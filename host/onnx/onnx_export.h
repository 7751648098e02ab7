#pragma once
// `senti export --format onnx`: a checkpoint's inference graph as an ONNX model (opset 17), plus
// its vocabulary as JSON, so the model runs in onnxruntime (or any ONNX runtime) without senti.
//
//   inputs   token_ids      int64 [batch, time]  the padded sequences senti feeds the model:
//                                                [start=1] + word ids, padded with 0 / truncated
//                                                to the checkpoint's maxlen on its padding and
//                                                truncating sides (docs/interop.md)
//            lengths        int64 [batch]        true lengths, start token included (read only by
//                                                graphs that mask padding)
//   output   prob_positive  float [batch]        two classes (the sigmoid head): the probability
//                                                of classes[1], what `senti predict` prints
//        or  probs          float [batch, K]     K classes: softmax head, each class's probability
//                                                (Softmax over the last axis); multi-label head, K
//                                                independent sigmoids; columns in the checkpoint's
//                                                class order (the .vocab.json's "classes")
//
// The graph is built from one function per model option (embedding, LSTM direction(s), pooling,
// n-gram features, dense + the head), following docs/model.md. Options the exporter cannot express yet are refused
// by check_exportable() with a message naming them, before anything is written.
#include <string>

#include <nlohmann/json.hpp>

#include "host/run/checkpoint.h"

namespace senti::onnx {

constexpr int kOpset = 17;

// The model options of a checkpoint, as read from its "model" metadata.
struct ModelOptions {
  bool mask = false;           // Keras mask_zero: padding steps leave the state unchanged
  bool bidirectional = false;  // forward + backward LSTM, concatenated
  std::string pool = "last";   // last | max | mean | concat
  int ngrams = 0;              // n-gram features beside the LSTM (host/onnx/onnx_ngram.h); 0 = off
  std::string head = "sigmoid";  // sigmoid | softmax | multi-label (absent: the sigmoid head)
  int classes = 2;               // K
};

// The graph output's name for a model: "prob_positive" for the sigmoid head, else "probs".
const char* output_name(const ModelConfig& m);
// "prob_positive float [batch]" or "probs float [batch, K]", for messages.
std::string output_description(const ModelConfig& m);

// Reads the options from a checkpoint's "model" metadata (JSON) and the model flags of its
// train_config (mask, bidirectional, pool), and refuses, with a UsageError naming the checkpoint
// and the option, anything this exporter cannot write: an unknown architecture or model key, or an
// option value not implemented yet. Dropout settings are accepted (inference has no dropout).
ModelOptions check_exportable(const nlohmann::json& model_meta, const nlohmann::json& train_config,
                              const std::string& source);

// The serialized ONNX ModelProto for `ckpt` with options `opts`.
std::string onnx_model_bytes(const Checkpoint& ckpt, const ModelOptions& opts);

// The vocabulary and preprocessing a caller needs to build token_ids: word -> id, the special
// ids, maxlen, padding, truncating, tokenizer version; and how to read the output: the head, the
// class names in label order ("classes": the columns of probs, or for prob_positive classes[1] is
// the positive class) and the output's name.
nlohmann::json vocabulary_json(const Checkpoint& ckpt);

// "<dir>/<stem>.vocab.json" for "<dir>/<stem>.onnx".
std::string vocabulary_path_for(const std::string& model_path);

}  // namespace senti::onnx
