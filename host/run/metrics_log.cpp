#include "host/run/metrics_log.h"

#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "engine/atomic_file.h"

namespace senti {

bool rebuild_metrics_log(const std::string& path, const nlohmann::json& history) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream old;
  if (in) old << in.rdbuf();
  const std::string before = old.str();

  const int64_t committed = static_cast<int64_t>(history.size());
  std::map<int64_t, std::vector<std::string>> after_epoch;  // other records, by the epoch before them
  int64_t last_epoch = 0;
  std::istringstream lines(before);
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json rec = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!rec.is_object()) continue;  // a line torn by a crash
    if (rec.contains("epoch") && rec["epoch"].is_number_integer()) {
      last_epoch = rec["epoch"].get<int64_t>();
      continue;
    }
    if (last_epoch <= committed) after_epoch[last_epoch].push_back(rec.dump());
  }
  std::string rebuilt;
  auto add_others = [&](int64_t epoch) {
    for (const std::string& r : after_epoch[epoch]) rebuilt += r + "\n";
  };
  add_others(0);
  for (int64_t e = 1; e <= committed; ++e) {
    rebuilt += history[static_cast<size_t>(e - 1)].dump() + "\n";
    add_others(e);
  }
  if (rebuilt == before) return false;
  write_file_atomically(path, rebuilt);
  return true;
}

}  // namespace senti
