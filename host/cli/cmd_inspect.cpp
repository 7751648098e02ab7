// `senti inspect`: what a checkpoint holds, after verifying it (every tensor against its XXH64, all
// values finite): the model, how far it was trained, its settings and preprocessing, and its
// weights_xxh64, the content hash that two files with the same weights share whatever their
// wall-clock fields say.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "host/cli/checkpoint_flag.h"
#include "host/cli/commands.h"
#include "host/run/checkpoint.h"

namespace senti::cli {
namespace {

const char* side_name(data::Side s) { return s == data::Side::Pre ? "pre" : "post"; }

// The checkpoint's model metadata plus the Keras-style layer line and the parameter count.
nlohmann::json model_json(const ModelConfig& m) {
  nlohmann::json j = model_metadata(m);
  j["layers"] = describe_model(m);
  j["parameters"] = ParamLayout(m).total();
  return j;
}

nlohmann::json describe(const Checkpoint& c, const std::string& file) {
  const auto& o = c.optimizer;
  return {{"checkpoint", file},
          {"content_verified", c.content_verified},
          {"weights_xxh64", weights_hash_hex(c)},
          {"model", model_json(c.model)},
          {"epoch", c.epoch},
          {"step", c.state.step},
          {"seed", c.seed},
          {"optimizer_state", !c.state.m.empty()},
          {"optimizer", {{"learning_rate", o.adam.lr}, {"beta_1", o.adam.beta1},
                         {"beta_2", o.adam.beta2}, {"epsilon", o.adam.epsilon},
                         {"clipnorm", o.clipnorm}, {"global_clipnorm", o.global_clipnorm},
                         {"embedding_clip_norm", embedding_clip_norm_name(o.embedding_clip_norm)}}},
          {"preprocessing", {{"num_words", c.vocab.num_words}, {"maxlen", c.sequence.maxlen},
                             {"padding", side_name(c.sequence.padding)},
                             {"truncating", side_name(c.sequence.truncating)},
                             {"tokenizer", text::tokenizer_name(c.tokenizer)},
                             {"tokenizer_version", c.tokenizer_version},
                             {"tokenizer_icu", c.tokenizer_icu}}},
          {"vocabulary", {{"words", c.vocab.words.size()}, {"source", c.vocab.source},
                          {"hash", std::to_string(c.vocab.hash())}}},
          {"train_config", c.train_config},
          {"history", c.history}};
}

void print_text(const nlohmann::json& j) {
  const auto& m = j["model"];
  std::printf("checkpoint: %s (%s)\n", j["checkpoint"].get<std::string>().c_str(),
              j["content_verified"].get<bool>()
                  ? "verified: every tensor matches its XXH64, all values finite"
                  : "NOT verified: written by a senti before content hashes; all values finite");
  std::printf("weights_xxh64: %s\n", j["weights_xxh64"].get<std::string>().c_str());
  std::printf("model: %s; %zu parameters\n", m["layers"].get<std::string>().c_str(),
              m["parameters"].get<size_t>());
  std::printf("trained: %lld epochs, %lld steps, seed %llu; Adam moments %s\n",
              j["epoch"].get<long long>(), j["step"].get<long long>(), j["seed"].get<unsigned long long>(),
              j["optimizer_state"].get<bool>() ? "included (resumable)" : "not included");
  std::printf("optimizer: adam %s\n", j["optimizer"].dump().c_str());
  std::printf("preprocessing: %s\n", j["preprocessing"].dump().c_str());
  std::printf("vocabulary: %s\n", j["vocabulary"].dump().c_str());
  std::printf("train_config: %s\n", j["train_config"].dump().c_str());
  for (const auto& rec : j["history"]) std::printf("history: %s\n", rec.dump().c_str());
}

}  // namespace

void register_inspect(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "inspect", "Verify a checkpoint and show what it holds, with its content hash (weights_xxh64)");
  add_checkpoint_flag(cmd, path.get(), "checkpoint");
  cmd->add_flag("--json", *json, "Print one JSON object instead of text");
  cmd->callback([path, json] {
    const std::string file = checkpoint_file(*path);
    const nlohmann::json j = describe(load_checkpoint(file), file);
    if (*json)
      std::printf("%s\n", j.dump().c_str());
    else
      print_text(j);
  });
}

}  // namespace senti::cli
