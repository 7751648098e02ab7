#include "host/run/checkpoint.h"

#include <cstdint>
#include <filesystem>

#include "kernels/common/error.h"
#include "engine/safetensors.h"

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
  f.metadata["format"] = kCheckpointFormat;
  f.metadata["model"] = nlohmann::json{{"vocab_size", c.model.vocab_size},
                                       {"embed_dim", c.model.embed_dim},
                                       {"hidden", c.model.hidden},
                                       {"architecture", "embedding-lstm-dense-sigmoid"}}
                            .dump();
  f.metadata["optimizer"] = nlohmann::json{{"name", "adam"},
                                           {"learning_rate", o.adam.lr},
                                           {"beta_1", o.adam.beta1},
                                           {"beta_2", o.adam.beta2},
                                           {"epsilon", o.adam.epsilon},
                                           {"clipnorm", o.clipnorm},
                                           {"global_clipnorm", o.global_clipnorm}}
                                .dump();
  f.metadata["step"] = std::to_string(c.state.step);
  f.metadata["epoch"] = std::to_string(c.epoch);
  f.metadata["seed"] = std::to_string(c.seed);
  f.metadata["preprocessing"] = nlohmann::json{{"num_words", c.vocab.num_words},
                                               {"maxlen", c.sequence.maxlen},
                                               {"padding", side_name(c.sequence.padding)},
                                               {"truncating", side_name(c.sequence.truncating)},
                                               {"tokenizer_version", c.tokenizer_version},
                                               {"start_id", data::kStartId},
                                               {"oov_id", data::kOovId},
                                               {"first_word_id", data::kFirstWordId}}
                                    .dump();
  f.metadata["vocabulary"] = nlohmann::json(c.vocab.words).dump();
  f.metadata["vocabulary_source"] = c.vocab.source;
  f.metadata["vocabulary_hash"] = std::to_string(c.vocab.hash());
  f.metadata["train_config"] = c.train_config.dump();
  f.metadata["history"] = c.history.dump();
  safetensors::write_file(path, f);
}

Checkpoint load_checkpoint(const std::string& path_or_dir) {
  const std::string path = checkpoint_file(path_or_dir);
  safetensors::File f = safetensors::read_file(path);
  const auto& m = f.metadata;
  if (meta(m, "format", path) != kCheckpointFormat)
    SENTI_FAIL("'", path, "' has format '", meta(m, "format", path), "', expected ", kCheckpointFormat);
  Checkpoint c;
  try {
    const auto model = meta_json(m, "model", path);
    c.model.vocab_size = int_field(model, "vocab_size", path);
    c.model.embed_dim = int_field(model, "embed_dim", path);
    c.model.hidden = int_field(model, "hidden", path);
    const auto opt = meta_json(m, "optimizer", path);
    c.optimizer.adam.lr = opt.at("learning_rate").get<float>();
    c.optimizer.adam.beta1 = opt.at("beta_1").get<double>();
    c.optimizer.adam.beta2 = opt.at("beta_2").get<double>();
    c.optimizer.adam.epsilon = opt.at("epsilon").get<float>();
    c.optimizer.clipnorm = opt.at("clipnorm").get<float>();
    c.optimizer.global_clipnorm = opt.at("global_clipnorm").get<float>();
    const auto pre = meta_json(m, "preprocessing", path);
    c.vocab.num_words = int_field(pre, "num_words", path);
    c.sequence.maxlen = int_field(pre, "maxlen", path);
    c.sequence.padding = parse_side(pre.at("padding").get<std::string>(), path);
    c.sequence.truncating = parse_side(pre.at("truncating").get<std::string>(), path);
    c.tokenizer_version = int_field(pre, "tokenizer_version", path);
    c.vocab.words = meta_json(m, "vocabulary", path).get<std::vector<std::string>>();
    c.vocab.source = meta(m, "vocabulary_source", path);
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
  if (c.model.vocab_size <= 0 || c.model.embed_dim <= 0 || c.model.hidden <= 0)
    SENTI_FAIL("'", path, "': model shape in metadata is not positive");
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
  return c;
}

}  // namespace senti
