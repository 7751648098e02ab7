#include "host/cli/flag_names.h"

#include <map>

namespace senti::cli {

std::string flag_for_setting(const std::string& setting) {
  static const std::map<std::string, std::string> flags = {
      {"lr", "--lr"},
      {"beta1", "--beta1"},
      {"beta2", "--beta2"},
      {"epsilon", "--epsilon"},
      {"clipnorm", "--clipnorm"},
      {"global_clipnorm", "--global-clipnorm"},
      {"clipnorm+global_clipnorm", "--clipnorm and --global-clipnorm"},
      {"batch_size", "--batch"},
      {"epochs", "--epochs"},
      {"validation_split", "--validation-split"},
      {"validation_split_by", "--validation-split-by"},
      {"limit", "--limit"},
      {"test_limit", "--test-limit"},
      {"log_every", "--log-every"},
      {"max_loss", "--max-loss"},
      {"monitor", "--monitor"},
      {"early_stopping", "--early-stopping"},
      {"bucket", "--bucket"},
      {"vocab_size", "--num-words"},
      {"num_words", "--num-words"},
      {"embed_dim", "--embed"},
      {"hidden", "--hidden"},
      {"model", "the model (--num-words x --embed, --hidden)"},
      {"maxlen", "--maxlen"},
      {"dropout", "--dropout"},
      {"dense_dropout", "--dense-dropout"},
      {"spatial_dropout", "--spatial-dropout"},
      {"ngrams", "--ngrams"},
      {"ngram_buckets", "--ngram-buckets"},
      {"cuda_graph", "--cuda-graph"},
  };
  const auto it = flags.find(setting);
  return it == flags.end() ? setting : it->second;
}

CLI::Validator non_empty_path() {
  return CLI::Validator(
      [](std::string& value) {
        return value.empty() ? std::string("expected a path, got an empty string") : std::string();
      },
      "");
}

CLI::Validator non_negative_integer() {
  return CLI::Validator(
      [](std::string& value) {
        const bool digits = !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
        return digits ? std::string() : "expected an integer >= 0, got '" + value + "'";
      },
      "");
}

}  // namespace senti::cli
