#include "host/cli/flag_names.h"

#include <cerrno>
#include <cstdlib>
#include <map>
#include <stdexcept>

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

namespace {
constexpr const char* kIntegerCheck = "senti-integer";
}  // namespace

CLI::Validator integer_in(int64_t lo, uint64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& value) -> std::string {
        const bool negative = !value.empty() && value[0] == '-';
        const std::string digits = value.substr(negative ? 1 : 0);
        const std::string range = "an integer in " + std::to_string(lo) + ".." + std::to_string(hi);
        if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
          return "expected " + range + " (decimal digits), got '" + value + "'";
        // strto(u)ll with base 10 and ERANGE: no octal or hex reading, no saturation.
        errno = 0;
        if (negative) {
          const long long v = std::strtoll(value.c_str(), nullptr, 10);
          if (errno == ERANGE || v < lo) return "expected " + range + ", got '" + value + "'";
          value = std::to_string(v);
        } else {
          const unsigned long long v = std::strtoull(digits.c_str(), nullptr, 10);
          if (errno == ERANGE || v > hi) return "expected " + range + ", got '" + value + "'";
          value = std::to_string(v);
        }
        return std::string();
      },
      "", kIntegerCheck);
}

void require_integer_checks(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    require_integer_checks(*sub);
    for (CLI::Option* opt : sub->get_options()) {
      const std::string type = opt->get_type_name();
      if (type.rfind("INT", 0) != 0 && type.rfind("UINT", 0) != 0) continue;
      try {
        (void)opt->get_validator(kIntegerCheck);
      } catch (const CLI::OptionNotFound&) {
        throw std::logic_error("senti " + sub->get_name() + " " + opt->get_name() +
                               ": integer flag added without add_integer_option");
      }
    }
  }
}

}  // namespace senti::cli
