#include "host/onnx/onnx_export.h"

#include <filesystem>
#include <limits>

#include "engine/params.h"
#include "host/onnx/onnx_graph.h"
#include "host/onnx/onnx_ngram.h"
#include "host/text/tokenizers.h"
#include "kernels/common/error.h"
#include "kernels/common/math/ngram.h"

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

// Graph-wide values the pieces share.
struct Ctx {
  GraphBuilder& g;
  const Checkpoint& c;
  const ParamLayout& L;
  std::string ids, lengths;  // graph inputs: (B, T) int64, (B) int64
  std::string T;             // the time dimension, an int64 scalar
};

// mask + pre padding: the real tokens are the last L_b positions. Rolls each row left by T - L_b
// so they come first, as ONNX's LSTM (sequence_lens) and the pools below want them:
// ids'[b, k] = ids[b, (k + T - L_b) mod T].
std::string add_real_tokens_first(Ctx& x) {
  GraphBuilder& g = x.g;
  const std::string zero = g.int64s("zero", {}, {0}), one = g.int64s("one", {}, {1});
  const std::string k = g.op("Range", "positions", {zero, x.T, one});                 // (T)
  const std::string shift = g.op("Sub", "shift", {x.T, x.lengths});                   // (B)
  const std::string axes1 = g.int64s("axis1", {1}, {1});
  const std::string shift_b1 = g.op("Unsqueeze", "shift_col", {shift, axes1});        // (B, 1)
  const std::string src = g.op("Mod", "source_position", {g.op("Add", "shifted", {k, shift_b1}), x.T});
  return g.op("GatherElements", "real_tokens_first", {x.ids, src}, {attr_int("axis", 1)});
}

// Embedding: ids (B, T) -> (T, B, E), time-major as ONNX's LSTM wants it.
std::string add_embedding(Ctx& x, const std::string& ids) {
  const TensorInfo& t = x.L[ParamId::Embedding];
  const std::string table = x.g.floats("embedding/embeddings", t.shape, slice(x.c.state.params, t));
  const std::string e = x.g.op("Gather", "embedding", {table, ids}, {attr_int("axis", 0)});
  return x.g.op("Transpose", "time_major", {e}, {attr_ints("perm", {1, 0, 2})});
}

struct LstmOut {
  std::string Y, Y_h;  // ONNX: Y (T, D, B, H), Y_h (D, B, H)
  int D = 1;
};

// The LSTM, one direction or both (Keras Bidirectional, merge concat: forward first). Without a
// mask it runs over every position, padding included, as in training; with one, ONNX's
// sequence_lens stops each row after its L_b real tokens (which come first, see above) and runs the
// backward direction from L_b - 1 down to 0, as docs/model.md specifies.
LstmOut add_lstm(Ctx& x, const std::string& input) {
  const ModelConfig& m = x.c.model;
  const auto& p = x.c.state.params;
  const int D = m.directions();
  std::vector<float> W, R, B;
  auto append = [&](ParamId k, ParamId r, ParamId b) {
    const LstmWeights w = onnx_lstm_weights(p.data() + x.L[k].offset, p.data() + x.L[r].offset,
                                            p.data() + x.L[b].offset, m.embed_dim, m.hidden);
    W.insert(W.end(), w.W.begin(), w.W.end());
    R.insert(R.end(), w.R.begin(), w.R.end());
    B.insert(B.end(), w.B.begin(), w.B.end());
  };
  append(ParamId::Kernel, ParamId::RecurrentKernel, ParamId::Bias);
  if (D == 2) append(ParamId::KernelBack, ParamId::RecurrentKernelBack, ParamId::BiasBack);
  const int64_t H = m.hidden, E = m.embed_dim;
  std::vector<std::string> in = {input, x.g.floats("lstm/W", {D, 4 * H, E}, W),
                                 x.g.floats("lstm/R", {D, 4 * H, H}, R),
                                 x.g.floats("lstm/B", {D, 8 * H}, B)};
  if (m.mask)
    in.push_back(x.g.op("Cast", "sequence_lens", {x.lengths}, {attr_int("to", TensorProto::INT32)}));
  // Keras's activations are ONNX's defaults: sigmoid gates, tanh cell and output.
  const auto outs = x.g.node("LSTM", "lstm", in, 2,
                             {attr_int("hidden_size", H),
                              attr_string("direction", D == 2 ? "bidirectional" : "forward")});
  return {outs[0], outs[1], D};
}

// (B, D, H) or (B, T, D, H) with the directions flattened into the last axis.
std::string merge_directions(Ctx& x, const std::string& v, bool with_time) {
  const std::string shape = with_time ? x.g.int64s("shape_b_t_f", {3}, {0, 0, -1})
                                      : x.g.int64s("shape_b_f", {2}, {0, -1});
  return x.g.op("Reshape", with_time ? "outputs" : "features_last", {v, shape});
}

// pool last: each direction's final state (after the last real token; the backward direction's
// after real token 0): (B, D·H).
std::string add_pool_last(Ctx& x, const LstmOut& lstm) {
  return merge_directions(x, x.g.op("Transpose", "last_state", {lstm.Y_h}, {attr_ints("perm", {1, 0, 2})}),
                          false);
}

// The outputs h_d(k) as (B, T, D·H), and with a mask a (B, T, 1) flag of the real positions.
struct Outputs {
  std::string seq, real;  // real: empty without a mask (every position is real)
};

Outputs add_outputs(Ctx& x, const LstmOut& lstm) {
  Outputs o;
  o.seq = merge_directions(x, x.g.op("Transpose", "batch_major", {lstm.Y}, {attr_ints("perm", {2, 0, 1, 3})}),
                           true);
  if (x.c.model.mask) {
    const std::string zero = x.g.int64s("zero_t", {}, {0}), one = x.g.int64s("one_t", {}, {1});
    const std::string t = x.g.op("Range", "time_index", {zero, x.T, one});  // (T)
    const std::string t_1 = x.g.op("Unsqueeze", "time_col", {t, x.g.int64s("axis_last", {1}, {1})});
    const std::string len = x.g.op("Unsqueeze", "length_b11", {x.lengths, x.g.int64s("axes12", {2}, {1, 2})});
    o.real = x.g.op("Less", "is_real", {t_1, len});  // (T, 1) < (B, 1, 1) -> (B, T, 1)
  }
  return o;
}

// pool max over the real positions (masked GlobalMaxPooling1D): (B, D·H).
std::string add_pool_max(Ctx& x, const Outputs& o) {
  std::string v = o.seq;
  if (!o.real.empty()) {
    const std::string lowest = x.g.floats("minus_inf", {}, {-std::numeric_limits<float>::infinity()});
    v = x.g.op("Where", "real_or_lowest", {o.real, v, lowest});
  }
  return x.g.op("ReduceMax", "pool_max", {v}, {attr_ints("axes", {1}), attr_int("keepdims", 0)});
}

// pool mean over the real positions (masked GlobalAveragePooling1D): (B, D·H).
std::string add_pool_mean(Ctx& x, const Outputs& o) {
  if (o.real.empty())
    return x.g.op("ReduceMean", "pool_mean", {o.seq}, {attr_ints("axes", {1}), attr_int("keepdims", 0)});
  GraphBuilder& g = x.g;
  const std::string real = g.op("Cast", "real_as_float", {o.real}, {attr_int("to", TensorProto::FLOAT)});
  const std::string sum = g.op("ReduceSum", "real_sum", {g.op("Mul", "real_outputs", {o.seq, real}),
                                                          g.int64s("time_axis", {1}, {1})},
                               {attr_int("keepdims", 0)});
  const std::string len = g.op("Cast", "length_float", {x.lengths}, {attr_int("to", TensorProto::FLOAT)});
  const std::string len_b1 = g.op("Unsqueeze", "length_col", {len, g.int64s("axis_col", {1}, {1})});
  return g.op("Div", "pool_mean", {sum, len_b1});
}

// The classifier input for the checkpoint's --pool: last, max, mean, or [last, max, mean].
std::string add_pool(Ctx& x, const LstmOut& lstm) {
  const Pool pool = x.c.model.pool;
  if (pool == Pool::Last) return add_pool_last(x, lstm);
  const Outputs o = add_outputs(x, lstm);
  if (pool == Pool::Max) return add_pool_max(x, o);
  if (pool == Pool::Mean) return add_pool_mean(x, o);
  return x.g.op("Concat", "pool_concat", {add_pool_last(x, lstm), add_pool_max(x, o), add_pool_mean(x, o)},
                {attr_int("axis", 1)});
}

// Dense(F, O) + the head: (B, F) -> the graph output, plus the n-gram logits (B, O) when the model
// has them (the kernel's rows after the first F are the n-gram weights, host/onnx/onnx_ngram.cpp).
// The sigmoid head (O = 1) gives (B), the probability of classes[1]; softmax gives (B, K) (Softmax
// over the last axis), multi-label (B, K) independent sigmoids.
std::string add_dense_head(Ctx& x, const std::string& features, const std::string& ngram_logits) {
  const TensorInfo& k = x.L[ParamId::DenseKernel];
  const TensorInfo& b = x.L[ParamId::DenseBias];
  GraphBuilder& g = x.g;
  const int64_t F = x.c.model.features(), O = x.c.model.outputs();
  // The kernel is (F + W, O) row-major: the LSTM rows are its first F·O values.
  const std::vector<float> lstm_rows(x.c.state.params.begin() + static_cast<std::ptrdiff_t>(k.offset),
                                     x.c.state.params.begin() + static_cast<std::ptrdiff_t>(k.offset + F * O));
  const std::string kernel = g.floats("dense/kernel", {F, O}, lstm_rows);
  const std::string bias = g.floats("dense/bias", b.shape, slice(x.c.state.params, b));
  std::string logits = g.op("Add", "logit", {g.op("MatMul", "dense", {features, kernel}), bias});
  if (!ngram_logits.empty()) logits = g.op("Add", "logit_with_ngrams", {logits, ngram_logits});
  switch (x.c.model.head) {
    case Head::Softmax:
      return g.op("Softmax", "softmax", {logits}, {attr_int("axis", -1)});
    case Head::MultiLabel:
      return g.op("Sigmoid", "label_probs", {logits});
    case Head::Sigmoid:
      break;
    case Head::LanguageModel:  // refused before the graph is built (the head check below)
      SENTI_FAIL("export: a language model has no classifier output");
  }
  const std::string prob = g.op("Sigmoid", "prob", {logits});
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
  auto boolean = [&](const std::string& key, const nlohmann::json& v) {
    if (!v.is_boolean()) SENTI_FAIL("'", source, "': model.", key, " is ", v.dump(), ", expected a boolean");
    return v.get<bool>();
  };
  for (const auto& [key, value] : options.items()) {
    if (key == "vocab_size" || key == "embed_dim" || key == "hidden") continue;
    if (key == "architecture") {
      if (value != "embedding-lstm-dense-sigmoid" && value != "embedding-bilstm-pool-dense-sigmoid" &&
          value != "embedding-lstm-dense-softmax" && value != "embedding-bilstm-pool-dense-softmax")
        SENTI_FAIL(unsupported(source, "architecture " + value.dump()));
    } else if (key == "head") {
      Head h;
      if (!value.is_string() || !parse_head(value.get<std::string>(), &h))
        SENTI_FAIL(unsupported(source, "the head " + value.dump()));
      o.head = value.get<std::string>();
    } else if (key == "classes") {
      if (!value.is_number_integer() || value.get<int64_t>() < 2 || value.get<int64_t>() > (1 << 20))
        SENTI_FAIL(unsupported(source, "classes = " + value.dump()));
      o.classes = value.get<int>();
    } else if (key == "mask") {
      o.mask = boolean(key, value);
    } else if (key == "bidirectional") {
      o.bidirectional = boolean(key, value);
    } else if (key == "pool") {
      Pool p;
      if (!value.is_string() || !parse_pool(value.get<std::string>(), &p))
        SENTI_FAIL(unsupported(source, "--pool " + value.dump()));
      o.pool = value.get<std::string>();
    } else if (key == "ngrams") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > math::kMaxNgram)
        SENTI_FAIL(unsupported(source, "--ngrams " + value.dump()));
      o.ngrams = value.get<int>();
    } else if (key == "ngram_buckets") {
      continue;  // checked with the model by load_checkpoint; the n-gram graph reads it from there
    } else if (key.find("dropout") != std::string::npos) {
      continue;  // training only: inference (and so the exported graph) has no dropout
    } else {
      SENTI_FAIL(unsupported(source, "the model option '" + key + "' = " + value.dump()));
    }
  }
  return o;
}

std::string onnx_model_bytes(const Checkpoint& c, const ModelOptions& opts) {
  SENTI_CHECK(opts.mask == c.model.mask && opts.bidirectional == c.model.bidirectional &&
                  opts.pool == pool_name(c.model.pool) && opts.ngrams == c.model.ngrams &&
                  opts.head == head_name(c.model.head) && opts.classes == c.model.classes,
              "the checkpoint's metadata and its loaded model disagree");
  const ParamLayout L(c.model);
  SENTI_CHECK(c.state.params.size() == L.total(), "checkpoint parameters do not match its model");
  ModelProto model;
  model.set_ir_version(8);  // the IR version of opset 17
  model.set_producer_name("senti");
  model.set_producer_version("0.1.0");
  const bool two_classes = c.model.head == Head::Sigmoid;
  model.set_doc_string(
      (two_classes ? std::string("senti IMDB sentiment classifier: ")
                   : "senti " + std::to_string(c.model.classes) + "-class text classifier (" +
                         head_name(c.model.head) + "; probs columns in the classes metadata's order): ") +
      describe_model(c.model) + ". token_ids are [start=1] + word ids padded/truncated to maxlen (see "
      "the .vocab.json beside this file).");
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
  meta("tokenizer", text::tokenizer_name(c.tokenizer));
  meta("tokenizer_version", std::to_string(c.tokenizer_version));
  if (c.tokenizer != text::TokenizerKind::V1) meta("tokenizer_icu", c.tokenizer_icu);
  meta("epochs_trained", std::to_string(c.epoch));
  meta("mask", c.model.mask ? "true" : "false");
  meta("bidirectional", c.model.bidirectional ? "true" : "false");
  meta("pool", pool_name(c.model.pool));
  meta("ngrams", std::to_string(c.model.ngrams));
  if (c.model.ngrams >= 2) meta("ngram_buckets", std::to_string(c.model.ngram_buckets));
  meta("head", head_name(c.model.head));
  meta("classes", nlohmann::json(c.classes).dump());  // label order: probs' columns
  meta("output", output_name(c.model));

  GraphProto* graph = model.mutable_graph();
  graph->set_name("senti");
  GraphBuilder g(graph);
  g.input("token_ids", TensorProto::INT64, {"batch", "time"},
          "[start=1] + word ids, padded with 0 / truncated to maxlen on the checkpoint's sides");
  g.input("lengths", TensorProto::INT64, {"batch"},
          c.model.mask ? "true lengths (start token included): the real tokens of each row"
                       : "true lengths (start token included); unused: this model reads the padding");
  Ctx x{g, c, L, "token_ids", "lengths", ""};
  x.T = g.op("Gather", "time_steps", {g.op("Shape", "ids_shape", {x.ids}), g.int64s("time_dim", {}, {1})},
             {attr_int("axis", 0)});
  const bool pre = c.sequence.padding == data::Side::Pre;
  const std::string ids = c.model.mask && pre ? add_real_tokens_first(x) : x.ids;
  const LstmOut lstm = add_lstm(x, add_embedding(x, ids));
  // The n-gram features read the ids as given: padding is never part of one, on either side.
  const std::string ngram_logit = c.model.ngrams > 0 ? add_ngram_logit(g, c, x.ids) : "";
  const std::string out = add_dense_head(x, add_pool(x, lstm), ngram_logit);
  g.rename_output(out, output_name(c.model));
  if (two_classes)
    g.output("prob_positive", TensorProto::FLOAT, {"batch"}, "probability that the review is positive");
  else
    g.output("probs", TensorProto::FLOAT, {"batch", static_cast<int64_t>(c.model.classes)},
             c.model.head == Head::Softmax
                 ? "each class's probability (softmax; a row sums to 1), in the classes metadata's order"
                 : "each label's probability (independent sigmoids), in the classes metadata's order");
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
          {"tokenizer", c.tokenizer == text::TokenizerKind::Unicode
                            ? "senti's unicode rules, docs/data.md (ICU " + c.tokenizer_icu +
                                  " word boundaries, NFKC_Casefold)"
                            : std::string("senti's rules, docs/data.md (lowercase words; <br /> and "
                                          "punctuation separate)")},
          {"tokenizer_name", text::tokenizer_name(c.tokenizer)},
          {"pad_id", data::kPadId},
          {"start_id", data::kStartId},
          {"oov_id", data::kOovId},
          {"num_words", c.vocab.num_words},
          {"maxlen", c.sequence.maxlen},
          {"padding", side_name(c.sequence.padding)},
          {"truncating", side_name(c.sequence.truncating)},
          {"vocabulary_source", c.vocab.source},
          {"head", head_name(c.model.head)},
          {"output", output_name(c.model)},
          {"classes", c.classes},
          {"word_ids", std::move(ids)}};
}

const char* output_name(const ModelConfig& m) { return m.head == Head::Sigmoid ? "prob_positive" : "probs"; }

std::string output_description(const ModelConfig& m) {
  if (m.head == Head::Sigmoid) return "prob_positive float [batch]";
  return std::string("probs float [batch, ") + std::to_string(m.classes) + "] (" + head_name(m.head) + ")";
}

std::string vocabulary_path_for(const std::string& model_path) {
  std::filesystem::path p(model_path);
  p.replace_extension(".vocab.json");
  return p.string();
}

}  // namespace senti::onnx
