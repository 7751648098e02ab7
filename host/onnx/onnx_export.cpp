#include "host/onnx/onnx_export.h"

#include <filesystem>

#include "engine/params.h"
#include "host/onnx/onnx_graph.h"
#include "host/text/tokenizer.h"
#include "kernels/common/error.h"

namespace senti::onnx {
namespace {

const char* side_name(data::Side s) { return s == data::Side::Pre ? "pre" : "post"; }

// Keras packs the LSTM gates i, f, c, o along 4H; ONNX wants i, o, f, c. keras_gate[g] is the
// Keras block of ONNX gate g.
constexpr int kKerasGateOf[4] = {0, 3, 1, 2};

struct LstmWeights {
  std::vector<float> W, R, B;  // ONNX [4H, E], [4H, H], [8H] for one direction
};

// One direction's weights in ONNX layout from the Keras kernel (E, 4H), recurrent kernel (H, 4H)
// and bias (4H): transposed, gate blocks reordered, and the bias as Wb with a zero Rb (ONNX adds
// both; Keras has one).
LstmWeights onnx_lstm_weights(const float* kernel, const float* recurrent, const float* bias,
                              int E, int H) {
  LstmWeights w;
  w.W.resize(static_cast<size_t>(4) * H * E);
  w.R.resize(static_cast<size_t>(4) * H * H);
  w.B.assign(static_cast<size_t>(8) * H, 0.f);
  const int G = 4 * H;
  for (int g = 0; g < 4; ++g)
    for (int j = 0; j < H; ++j) {
      const int row = g * H + j, col = kKerasGateOf[g] * H + j;
      for (int e = 0; e < E; ++e) w.W[static_cast<size_t>(row) * E + e] = kernel[static_cast<size_t>(e) * G + col];
      for (int k = 0; k < H; ++k) w.R[static_cast<size_t>(row) * H + k] = recurrent[static_cast<size_t>(k) * G + col];
      w.B[row] = bias[col];
    }
  return w;
}

std::vector<float> slice(const std::vector<float>& params, const TensorInfo& t) {
  return std::vector<float>(params.begin() + t.offset, params.begin() + t.offset + t.size);
}

// ---- one function per piece of the model (docs/model.md) ----

// Embedding: ids (B, T) -> (T, B, E), time-major as ONNX's LSTM wants it.
std::string add_embedding(GraphBuilder& g, const Checkpoint& c, const ParamLayout& L,
                          const std::string& ids) {
  const TensorInfo& t = L[ParamId::Embedding];
  const std::string table = g.floats("embedding/embeddings", t.shape, slice(c.state.params, t));
  const std::string x = g.op("Gather", "embedding", {table, ids}, {attr_int("axis", 0)});
  return g.op("Transpose", "time_major", {x}, {attr_ints("perm", {1, 0, 2})});
}

struct LstmOut {
  std::string Y, Y_h;  // ONNX: Y (T, D, B, H), Y_h (D, B, H)
};

// The unidirectional LSTM over every position (no mask: padding steps run, as in training).
LstmOut add_lstm_forward(GraphBuilder& g, const Checkpoint& c, const ParamLayout& L,
                         const std::string& x) {
  const ModelConfig& m = c.model;
  const auto& p = c.state.params;
  const LstmWeights w = onnx_lstm_weights(p.data() + L[ParamId::Kernel].offset,
                                          p.data() + L[ParamId::RecurrentKernel].offset,
                                          p.data() + L[ParamId::Bias].offset, m.embed_dim, m.hidden);
  const int64_t H = m.hidden, E = m.embed_dim;
  const std::string W = g.floats("lstm/W", {1, 4 * H, E}, w.W);
  const std::string R = g.floats("lstm/R", {1, 4 * H, H}, w.R);
  const std::string B = g.floats("lstm/B", {1, 8 * H}, w.B);
  // Keras's activations are ONNX's defaults: sigmoid gates, tanh cell and output.
  const auto outs = g.node("LSTM", "lstm", {x, W, R, B}, 2,
                           {attr_int("hidden_size", H), attr_string("direction", "forward")});
  return {outs[0], outs[1]};
}

// pool last: the final state of each direction, directions concatenated: (B, D·H).
std::string add_pool_last(GraphBuilder& g, const LstmOut& lstm) {
  const std::string bdh = g.op("Transpose", "last_state", {lstm.Y_h}, {attr_ints("perm", {1, 0, 2})});
  const std::string shape = g.int64s("features_shape", {2}, {0, -1});
  return g.op("Reshape", "features", {bdh, shape});
}

// Dense(F, 1) + sigmoid: (B, F) -> (B).
std::string add_dense_sigmoid(GraphBuilder& g, const Checkpoint& c, const ParamLayout& L,
                              const std::string& features) {
  const TensorInfo& k = L[ParamId::DenseKernel];
  const TensorInfo& b = L[ParamId::DenseBias];
  const std::string kernel = g.floats("dense/kernel", k.shape, slice(c.state.params, k));
  const std::string bias = g.floats("dense/bias", b.shape, slice(c.state.params, b));
  const std::string logit = g.op("Add", "logit", {g.op("MatMul", "dense", {features, kernel}), bias});
  const std::string prob = g.op("Sigmoid", "prob", {logit});
  const std::string flat = g.int64s("prob_shape", {1}, {-1});
  return g.op("Reshape", "prob_flat", {prob, flat});
}

std::string unsupported(const std::string& source, const std::string& what) {
  return "senti export: '" + source + "' uses " + what +
         ", which the ONNX exporter cannot express yet; export a checkpoint without it";
}

}  // namespace

ModelOptions check_exportable(const nlohmann::json& model_meta, const nlohmann::json& train_config,
                              const std::string& source) {
  if (!model_meta.is_object()) SENTI_FAIL("'", source, "': model metadata is not a JSON object");
  nlohmann::json options = model_meta;
  for (const char* flag : {"mask", "bidirectional", "pool"})  // wherever the trainer records them
    if (train_config.is_object() && train_config.contains(flag) && !options.contains(flag))
      options[flag] = train_config[flag];
  ModelOptions o;
  for (const auto& [key, value] : options.items()) {
    if (key == "vocab_size" || key == "embed_dim" || key == "hidden") continue;
    if (key == "architecture") {
      if (value != "embedding-lstm-dense-sigmoid")
        SENTI_FAIL(unsupported(source, "architecture " + value.dump()));
    } else if (key == "mask") {
      o.mask = value.is_boolean() && value.get<bool>();
      if (!value.is_boolean()) SENTI_FAIL("'", source, "': model.mask is ", value.dump(), ", expected a boolean");
    } else if (key == "bidirectional") {
      o.bidirectional = value.is_boolean() && value.get<bool>();
      if (!value.is_boolean())
        SENTI_FAIL("'", source, "': model.bidirectional is ", value.dump(), ", expected a boolean");
    } else if (key == "pool") {
      if (!value.is_string()) SENTI_FAIL("'", source, "': model.pool is ", value.dump(), ", expected a string");
      o.pool = value.get<std::string>();
    } else if (key.find("dropout") != std::string::npos) {
      continue;  // training only: inference (and so the exported graph) has no dropout
    } else {
      SENTI_FAIL(unsupported(source, "the model option '" + key + "' = " + value.dump()));
    }
  }
  if (o.mask) SENTI_FAIL(unsupported(source, "masking (--mask)"));
  if (o.bidirectional) SENTI_FAIL(unsupported(source, "a bidirectional LSTM (--bidirectional)"));
  if (o.pool != "last") SENTI_FAIL(unsupported(source, "--pool " + o.pool));
  return o;
}

std::string onnx_model_bytes(const Checkpoint& c, const ModelOptions& opts) {
  SENTI_CHECK(!opts.mask && !opts.bidirectional && opts.pool == "last",
              "options that check_exportable refuses");
  const ParamLayout L(c.model);
  SENTI_CHECK(c.state.params.size() == L.total(), "checkpoint parameters do not match its model");
  ModelProto model;
  model.set_ir_version(8);  // the IR version of opset 17
  model.set_producer_name("senti");
  model.set_producer_version("0.1.0");
  model.set_doc_string(
      "senti IMDB sentiment classifier: Embedding -> LSTM -> Dense(1, sigmoid). token_ids are "
      "[start=1] + word ids padded/truncated to maxlen (see the .vocab.json beside this file).");
  OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  auto meta = [&](const std::string& k, const std::string& v) {
    StringStringEntryProto* e = model.add_metadata_props();
    e->set_key(k);
    e->set_value(v);
  };
  meta("maxlen", std::to_string(c.sequence.maxlen));
  meta("padding", side_name(c.sequence.padding));
  meta("truncating", side_name(c.sequence.truncating));
  meta("num_words", std::to_string(c.vocab.num_words));
  meta("tokenizer_version", std::to_string(c.tokenizer_version));
  meta("epochs_trained", std::to_string(c.epoch));

  GraphProto* graph = model.mutable_graph();
  graph->set_name("senti");
  GraphBuilder g(graph);
  g.input("token_ids", TensorProto::INT64, {"batch", "time"},
          "[start=1] + word ids, padded with 0 / truncated to maxlen on the checkpoint's sides");
  g.input("lengths", TensorProto::INT64, {"batch"},
          "true lengths (start token included); read only by graphs that mask padding");
  const std::string x = add_embedding(g, c, L, "token_ids");
  const LstmOut lstm = add_lstm_forward(g, c, L, x);
  const std::string features = add_pool_last(g, lstm);
  const std::string prob = add_dense_sigmoid(g, c, L, features);
  g.rename_output(prob, "prob_positive");
  g.output("prob_positive", TensorProto::FLOAT, {"batch"}, "probability that the review is positive");
  return model.SerializeAsString();
}

nlohmann::json vocabulary_json(const Checkpoint& c) {
  nlohmann::json ids = nlohmann::json::object();
  for (size_t k = 0; k < c.vocab.words.size(); ++k) {
    const int64_t id = static_cast<int64_t>(k) + data::kFirstWordId;
    if (id >= c.vocab.num_words) break;
    if (!c.vocab.words[k].empty()) ids[c.vocab.words[k]] = id;  // "" = an unused id
  }
  return {{"format", "senti-vocabulary-v1"},
          {"tokenizer_version", c.tokenizer_version},
          {"tokenizer", "senti's rules, docs/data.md (lowercase words; <br /> and punctuation separate)"},
          {"pad_id", data::kPadId},
          {"start_id", data::kStartId},
          {"oov_id", data::kOovId},
          {"num_words", c.vocab.num_words},
          {"maxlen", c.sequence.maxlen},
          {"padding", side_name(c.sequence.padding)},
          {"truncating", side_name(c.sequence.truncating)},
          {"vocabulary_source", c.vocab.source},
          {"word_ids", std::move(ids)}};
}

std::string vocabulary_path_for(const std::string& model_path) {
  std::filesystem::path p(model_path);
  p.replace_extension(".vocab.json");
  return p.string();
}

}  // namespace senti::onnx
