#pragma once
// What the `senti train` end-to-end tests share: the command line on the real dataset and the
// reader of the run's JSON-lines logs (metrics.jsonl, events.jsonl).
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_env.h"

namespace senti::test {

// `senti train --device cpu` on the real IMDB archive into `out`, plus `extra` flags.
inline std::string train_cmd(const std::string& out, const std::string& extra) {
  return senti_bin() + " train --device cpu --data " + imdb_archive() + " --out " + out + " " + extra;
}

// One JSON value a non-empty line.
inline std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> v;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) v.push_back(nlohmann::json::parse(line));
  return v;
}

}  // namespace senti::test
