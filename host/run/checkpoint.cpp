#include <algorithm>
#include "host/run/checkpoint.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "kernels/common/error.h"
#include "engine/optimizer.h"
#include "engine/safetensors.h"
#include "host/data/hash.h"

namespace senti {
namespace {

const char* side_name(data::Side s) { return s == data::Side::Pre ? "pre" : "post"; }

data::Side parse_side(const std::string& s, const std::string& path) {
  if (s == "pre") return data::Side::Pre;
  if (s == "post") return data::Side::Post;
  SENTI_FAIL("'", path, "': metadata has padding/truncating '", s, "', expected pre or post");
}

std::string meta(const std::map<std::string, std::string>& m, const char* key, const std::string& path) {
  auto it = m.find(key);
  if (it == m.end()) SENTI_FAIL("'", path, "' is not a senti checkpoint: metadata '", key, "' is missing");
  return it->second;
}

nlohmann::json meta_json(const std::map<std::string, std::string>& m, const char* key,
                         const std::string& path) {
  try {
    return nlohmann::json::parse(meta(m, key, path));
  } catch (const nlohmann::json::exception& e) {
    SENTI_FAIL("'", path, "': metadata '", key, "' is not valid JSON: ", e.what());
  }
}

// A float setting read from JSON: out-of-range values become infinity (for the validation to
// refuse) instead of an undefined double-to-float conversion.
float json_float(const nlohmann::json& j) {
  const double d = j.get<double>();
  constexpr float inf = std::numeric_limits<float>::infinity();
  if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max()) return d > 0 ? inf : -inf;
  return static_cast<float>(d);
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

uint64_t tensor_hash(const std::vector<float>& data) {
  return data::xxh64(data.data(), data.size() * sizeof(float));  // the file's little-endian bytes
}

// Index of the first NaN or infinity in data[0, n), or n when all are finite.
size_t first_non_finite(const float* data, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(data[i])) return i;
  return n;
}

// The checks every value read from metadata gets from the rule's owner, before anything is sized
// by it: a malformed value names the file, not a flag.
void validate_metadata(const Checkpoint& c, const std::string& path) {
  try {
    validate_model_config(c.model);
    validate_optimizer_config(c.optimizer);
    data::validate_sequence_options(c.sequence);
  } catch (const InvalidSetting& e) {
    SENTI_FAIL("'", path, "': metadata ", e.what(), " (a corrupt or hand-edited checkpoint)");
  }
  if (c.state.step < 0 || c.epoch < 0)
    SENTI_FAIL("'", path, "': metadata step ", c.state.step, " / epoch ", c.epoch, " is negative");
  // One name per class (the sigmoid head's one output tells two classes apart), all different.
  if (c.classes.size() != static_cast<size_t>(c.model.classes))
    SENTI_FAIL("'", path, "': metadata lists ", c.classes.size(), " class names for a model of ",
               c.model.classes, " classes (", head_name(c.model.head), " head)");
  std::vector<std::string> sorted = c.classes;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    SENTI_FAIL("'", path, "': metadata lists the class name '", *std::adjacent_find(sorted.begin(), sorted.end()),
               "' twice; expected different names");
}

// Every tensor must match the XXH64 stored for it at save time.
void verify_tensors(const safetensors::File& f, const std::string& path) {
  nlohmann::json hashes;
  try {
    hashes = nlohmann::json::parse(meta(f.metadata, "tensor_xxh64", path));
  } catch (const nlohmann::json::exception& e) {
    SENTI_FAIL("'", path, "': metadata 'tensor_xxh64' is not valid JSON: ", e.what());
  }
  if (!hashes.is_object() || hashes.size() != f.tensors.size())
    SENTI_FAIL("'", path, "': metadata 'tensor_xxh64' does not list every tensor of the file (",
               hashes.size(), " hashes, ", f.tensors.size(), " tensors): corrupt checkpoint");
  for (const auto& [name, t] : f.tensors) {
    const auto it = hashes.find(name);
    if (it == hashes.end() || !it->is_string())
      SENTI_FAIL("'", path, "': tensor '", name, "' has no content hash in the metadata: corrupt checkpoint");
    const std::string have = hex64(tensor_hash(t.data));
    if (it->get<std::string>() != have)
      SENTI_FAIL("'", path, "': tensor '", name, "' does not match its content hash (stored ",
                 it->get<std::string>(), ", computed ", have,
                 "): the file is corrupt (a bad disk or an incomplete copy); use another copy, e.g. "
                 "best.safetensors");
  }
}

// An integer metadata field. Only JSON integers that fit an int pass: nlohmann's get<int>() of a
// float like 1e30 is an out-of-range conversion (undefined behaviour), and of 2^40 a silent wrap.
int int_field(const nlohmann::json& obj, const char* key, const std::string& path) {
  const nlohmann::json& v = obj.at(key);
  bool fits = false;
  if (v.is_number_unsigned())
    fits = v.get<uint64_t>() <= INT32_MAX;
  else if (v.is_number_integer())
    fits = v.get<int64_t>() >= INT32_MIN && v.get<int64_t>() <= INT32_MAX;
  if (!fits) SENTI_FAIL("'", path, "': metadata '", key, "' is ", v.dump(), ", expected an integer");
  return v.get<int>();
}

}  // namespace

uint64_t weights_hash(const Checkpoint& c) {
  return data::xxh64(c.state.params.data(), c.state.params.size() * sizeof(float));
}

std::string weights_hash_hex(const Checkpoint& c) { return hex64(weights_hash(c)); }

bool needs_format_v2(const ModelConfig& m) {
  return m.mask || m.bidirectional || m.pool != Pool::Last || m.dropout > 0.f || m.dense_dropout > 0.f ||
         m.ngrams > 0 || m.head != Head::Sigmoid;
}

nlohmann::json model_metadata(const ModelConfig& m) {
  const std::string out = m.head == Head::Softmax ? "softmax" : m.language_model() ? "lm" : "sigmoid";
  nlohmann::json j = {{"vocab_size", m.vocab_size},
          {"embed_dim", m.embed_dim},
          {"hidden", m.hidden},
          {"architecture", m.bidirectional ? "embedding-bilstm-pool-dense-" + out
                                           : "embedding-lstm-dense-" + out},
          {"mask", m.mask},
          {"bidirectional", m.bidirectional},
          {"pool", pool_name(m.pool)},
          {"dropout", m.dropout},
          {"spatial_dropout", m.spatial_dropout},
          {"dense_dropout", m.dense_dropout},
          {"ngrams", m.ngrams},
          {"ngram_buckets", m.ngram_buckets}};
  // The head only when it is not the sigmoid head: the seed model's record stays as it was.
  if (m.head != Head::Sigmoid) {
    j["head"] = head_name(m.head);
    j["classes"] = m.classes;
  }
  if (m.language_model()) j["lm_samples"] = m.lm_samples;
  return j;
}

std::string checkpoint_file(const std::string& path_or_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path_or_dir, ec)) return (fs::path(path_or_dir) / "latest.safetensors").string();
  return path_or_dir;
}

void save_checkpoint(const std::string& path, const Checkpoint& c) {
  const ParamLayout layout(c.model);
  SENTI_CHECK(c.state.params.size() == layout.total(), "params do not match the model");
  const bool with_opt = !c.state.m.empty();
  if (with_opt)
    SENTI_CHECK(c.state.m.size() == layout.total() && c.state.v.size() == layout.total(),
                "optimizer moments do not match the model");
  validate_optimizer_config(c.optimizer);  // a NaN setting would be written as JSON null
  for (const auto* buf : {&c.state.params, &c.state.m, &c.state.v}) {
    const size_t bad = first_non_finite(buf->data(), buf->size());
    if (bad < buf->size())
      SENTI_FAIL("refusing to write '", path, "': the ", buf == &c.state.params ? "weights" : "Adam moments",
                 " hold a non-finite value (", (*buf)[bad], " at element ", bad,
                 "); the file on disk is left as it was");
  }
  safetensors::File f;
  for (const TensorInfo& t : layout.tensors()) {
    auto slice = [&](const std::vector<float>& buf) {
      return safetensors::Tensor{t.shape, std::vector<float>(buf.begin() + t.offset,
                                                             buf.begin() + t.offset + t.size)};
    };
    f.tensors[t.name] = slice(c.state.params);
    if (with_opt) {
      f.tensors[std::string("optimizer/m/") + t.name] = slice(c.state.m);
      f.tensors[std::string("optimizer/v/") + t.name] = slice(c.state.v);
    }
  }
  const auto& o = c.optimizer;
  f.metadata["format"] = needs_format_v2(c.model) ? kCheckpointFormatV2 : kCheckpointFormat;
  f.metadata["model"] = model_metadata(c.model).dump();
  nlohmann::json optimizer = {{"name", "adam"},
                              {"learning_rate", o.adam.lr},
                              {"beta_1", o.adam.beta1},
                              {"beta_2", o.adam.beta2},
                              {"epsilon", o.adam.epsilon},
                              {"clipnorm", o.clipnorm},
                              {"global_clipnorm", o.global_clipnorm},
                              {"embedding_clip_norm", embedding_clip_norm_name(o.embedding_clip_norm)}};
  if (!o.uniform_lr())  // fine-tuning's per-tensor rates (ParamLayout order); absent = all 1
    optimizer["lr_scale"] = std::vector<float>(o.lr_scale, o.lr_scale + layout.count());
  f.metadata["optimizer"] = optimizer.dump();
  f.metadata["step"] = std::to_string(c.state.step);
  f.metadata["epoch"] = std::to_string(c.epoch);
  f.metadata["seed"] = std::to_string(c.seed);
  nlohmann::json pre = nlohmann::json{{"num_words", c.vocab.num_words},
                                     {"maxlen", c.sequence.maxlen},
                                     {"padding", side_name(c.sequence.padding)},
                                     {"truncating", side_name(c.sequence.truncating)},
                                     {"tokenizer_version", c.tokenizer_version},
                                     {"start_id", data::kStartId},
                                     {"oov_id", data::kOovId},
                                     {"first_word_id", data::kFirstWordId}};
  pre["tokenizer"] = text::tokenizer_name(c.tokenizer);
  if (c.tokenizer != text::TokenizerKind::V1) pre["tokenizer_icu"] = c.tokenizer_icu;
  f.metadata["preprocessing"] = pre.dump();
  f.metadata["vocabulary"] = nlohmann::json(c.vocab.words).dump();
  f.metadata["classes"] = nlohmann::json(c.classes).dump();
  f.metadata["vocabulary_source"] = c.vocab.source;
  f.metadata["vocabulary_hash"] = std::to_string(c.vocab.hash());
  f.metadata["train_config"] = c.train_config.dump();
  f.metadata["history"] = c.history.dump();
  nlohmann::json hashes = nlohmann::json::object();
  for (const auto& [name, t] : f.tensors) hashes[name] = hex64(tensor_hash(t.data));
  f.metadata["tensor_xxh64"] = hashes.dump();
  f.metadata["weights_xxh64"] = weights_hash_hex(c);
  safetensors::write_file(path, f);
}

Checkpoint load_checkpoint(const std::string& path_or_dir) {
  const std::string path = checkpoint_file(path_or_dir);
  safetensors::File f = safetensors::read_file(path);
  const auto& m = f.metadata;
  const std::string format = meta(m, "format", path);
  if (format != kCheckpointFormat && format != kCheckpointFormatV2)
    SENTI_FAIL("'", path, "' has format '", format, "', expected ", kCheckpointFormat, " or ",
               kCheckpointFormatV2);
  Checkpoint c;
  try {
    const auto model = meta_json(m, "model", path);
    c.model.vocab_size = int_field(model, "vocab_size", path);
    c.model.embed_dim = int_field(model, "embed_dim", path);
    c.model.hidden = int_field(model, "hidden", path);
    // Options a v1 checkpoint does not record are the seed model's (the struct's defaults).
    c.model.mask = model.value("mask", false);
    c.model.bidirectional = model.value("bidirectional", false);
    const std::string pool = model.value("pool", std::string("last"));
    if (!parse_pool(pool, &c.model.pool))
      SENTI_FAIL("'", path, "': metadata has pool '", pool, "', expected last, max, mean or concat");
    c.model.dropout = model.value("dropout", 0.f);
    c.model.spatial_dropout = model.value("spatial_dropout", false);
    c.model.dense_dropout = model.value("dense_dropout", 0.f);
    if (model.contains("ngrams")) c.model.ngrams = int_field(model, "ngrams", path);
    if (model.contains("ngram_buckets")) c.model.ngram_buckets = int_field(model, "ngram_buckets", path);
    const std::string head = model.value("head", std::string("sigmoid"));
    if (!parse_head(head, &c.model.head))
      SENTI_FAIL("'", path, "': metadata has head '", head, "', expected sigmoid, softmax, multi-label or language-model");
    if (model.contains("classes")) c.model.classes = int_field(model, "classes", path);
    if (model.contains("lm_samples")) c.model.lm_samples = int_field(model, "lm_samples", path);
    const auto opt = meta_json(m, "optimizer", path);
    c.optimizer.adam.lr = json_float(opt.at("learning_rate"));
    c.optimizer.adam.beta1 = opt.at("beta_1").get<double>();
    c.optimizer.adam.beta2 = opt.at("beta_2").get<double>();
    c.optimizer.adam.epsilon = json_float(opt.at("epsilon"));
    c.optimizer.clipnorm = json_float(opt.at("clipnorm"));
    c.optimizer.global_clipnorm = json_float(opt.at("global_clipnorm"));
    if (opt.contains("lr_scale")) {
      const auto scales = opt.at("lr_scale").get<std::vector<float>>();
      if (scales.size() > static_cast<size_t>(kMaxParamTensors))
        SENTI_FAIL("'", path, "': metadata lr_scale has ", scales.size(), " entries, more than the ",
                   kMaxParamTensors, " tensors a model has");
      for (size_t i = 0; i < scales.size(); ++i) c.optimizer.lr_scale[i] = scales[i];
    }
    const std::string rule = opt.value("embedding_clip_norm", std::string("dense"));
    if (!parse_embedding_clip_norm(rule, &c.optimizer.embedding_clip_norm))
      SENTI_FAIL("'", path, "': metadata has embedding_clip_norm '", rule, "', expected sparse or dense");
    const auto pre = meta_json(m, "preprocessing", path);
    c.vocab.num_words = int_field(pre, "num_words", path);
    c.sequence.maxlen = int_field(pre, "maxlen", path);
    c.sequence.padding = parse_side(pre.at("padding").get<std::string>(), path);
    c.sequence.truncating = parse_side(pre.at("truncating").get<std::string>(), path);
    c.tokenizer_version = int_field(pre, "tokenizer_version", path);
    if (pre.contains("tokenizer")) {
      const std::string name = pre.at("tokenizer").get<std::string>();
      if (!text::parse_tokenizer(name, &c.tokenizer))
        SENTI_FAIL("'", path, "': metadata has tokenizer '", name, "', which this senti does not have (expected ",
                   text::kTokenizerChoices, "); use the senti that trained it");
    }
    c.tokenizer_icu = pre.value("tokenizer_icu", std::string());
    c.vocab.words = meta_json(m, "vocabulary", path).get<std::vector<std::string>>();
    c.vocab.source = meta(m, "vocabulary_source", path);
    if (m.count("classes")) c.classes = meta_json(m, "classes", path).get<std::vector<std::string>>();
    c.train_config = meta_json(m, "train_config", path);
    c.history = meta_json(m, "history", path);
    c.state.step = std::stoll(meta(m, "step", path));
    c.epoch = std::stoll(meta(m, "epoch", path));
    c.seed = std::stoull(meta(m, "seed", path));
  } catch (const nlohmann::json::exception& e) {
    SENTI_FAIL("'", path, "': malformed checkpoint metadata: ", e.what());
  } catch (const std::logic_error& e) {  // std::stoll and friends
    SENTI_FAIL("'", path, "': malformed checkpoint metadata (", e.what(), ")");
  }
  if (format == kCheckpointFormat && needs_format_v2(c.model))
    SENTI_FAIL("'", path, "' says ", kCheckpointFormat, " but its model uses options of ",
               kCheckpointFormatV2, " (corrupt checkpoint)");
  validate_metadata(c, path);
  // Files from before content hashes have neither key; one flipped byte cannot remove both.
  c.content_verified = m.count("tensor_xxh64") || m.count("weights_xxh64");
  if (c.content_verified) verify_tensors(f, path);
  for (const auto& [name, t] : f.tensors) {
    const size_t bad = first_non_finite(t.data.data(), t.data.size());
    if (bad < t.data.size())
      SENTI_FAIL("'", path, "': tensor '", name, "' holds a non-finite value (", t.data[bad],
                 " at element ", bad, "): the model is unusable (did its training diverge?)");
  }
  if (std::to_string(c.vocab.hash()) != meta(m, "vocabulary_hash", path))
    SENTI_FAIL("'", path, "': the stored vocabulary does not match its hash (corrupt checkpoint)");

  const ParamLayout layout(c.model);
  c.state.params.assign(layout.total(), 0.f);
  bool has_m = true;
  for (const TensorInfo& t : layout.tensors()) {
    auto fill = [&](const std::string& name, std::vector<float>& dst, bool required) {
      auto it = f.tensors.find(name);
      if (it == f.tensors.end()) {
        if (required) SENTI_FAIL("'", path, "': tensor '", name, "' is missing");
        return false;
      }
      if (it->second.shape != t.shape)
        SENTI_FAIL("'", path, "': tensor '", name, "' has the wrong shape for a model with V=",
                   c.model.vocab_size, " E=", c.model.embed_dim, " H=", c.model.hidden);
      if (dst.size() != layout.total()) dst.assign(layout.total(), 0.f);
      std::copy(it->second.data.begin(), it->second.data.end(), dst.begin() + t.offset);
      return true;
    };
    fill(t.name, c.state.params, true);
    has_m = fill(std::string("optimizer/m/") + t.name, c.state.m, false) && has_m;
    has_m = fill(std::string("optimizer/v/") + t.name, c.state.v, false) && has_m;
  }
  if (!has_m) {
    c.state.m.clear();
    c.state.v.clear();
  }
  if (c.content_verified && meta(m, "weights_xxh64", path) != weights_hash_hex(c))
    SENTI_FAIL("'", path, "': the weights do not match the metadata's weights_xxh64: corrupt checkpoint");
  return c;
}

}  // namespace senti
