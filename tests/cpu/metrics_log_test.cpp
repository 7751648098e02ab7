// metrics.jsonl agrees with the checkpoint on resume: an epoch the checkpoint lacks (logged by a
// run that crashed before its checkpoint), a duplicated epoch or a missing one are repaired.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "data_synthetic_test.h"
#include "host/run/metrics_log.h"
#include "test_env.h"

namespace senti {
namespace {

nlohmann::json history(int epochs) {
  nlohmann::json h = nlohmann::json::array();
  for (int e = 1; e <= epochs; ++e) h.push_back({{"epoch", e}, {"loss", 1.0 / e}});
  return h;
}

std::string lines(const nlohmann::json& records) {
  std::string s;
  for (const auto& r : records) s += r.dump() + "\n";
  return s;
}

TEST(MetricsLog, AgreeingLogIsLeftAlone) {
  const std::string path = test::scratch_dir("mlog") + "/metrics.jsonl";
  const nlohmann::json test_rec = {{"test_acc", 0.8}};
  std::ofstream(path) << lines(history(2)) << test_rec.dump() << "\n";
  EXPECT_FALSE(rebuild_metrics_log(path, history(2)));
}

TEST(MetricsLog, RebuildsFromTheCheckpointHistory) {
  const std::string path = test::scratch_dir("mlog") + "/metrics.jsonl";
  const nlohmann::json test_rec = {{"test_acc", 0.8}, {"test_loss", 0.4}};
  struct Case {
    const char* name;
    std::string file;
  } cases[] = {
      // epoch 3 logged, its checkpoint never written; a test record after it is dropped too
      {"ahead", lines(history(3)) + test_rec.dump() + "\n"},
      // the audit: after a crash and a resume, epoch 2 appeared twice
      {"duplicate", lines(history(2)) + history(2)[1].dump() + "\n"},
      // a full disk: epoch 2 checkpointed but its line lost
      {"behind", lines(history(1))},
      {"torn last line", lines(history(2)) + "{\"epoch\": 3, \"lo"},
      {"missing file", ""},
  };
  for (const Case& c : cases) {
    if (std::string(c.name) == "missing file")
      std::remove(path.c_str());
    else
      std::ofstream(path, std::ios::trunc) << c.file;
    EXPECT_TRUE(rebuild_metrics_log(path, history(2))) << c.name;
    EXPECT_EQ(test::read_bytes(path), lines(history(2))) << c.name;
  }
  // A test record after a committed epoch stays where it was.
  std::ofstream(path, std::ios::trunc) << lines(history(1)) << test_rec.dump() << "\n"
                                       << lines(history(3)).substr(lines(history(1)).size());
  EXPECT_TRUE(rebuild_metrics_log(path, history(2)));
  EXPECT_EQ(test::read_bytes(path), lines(history(1)) + test_rec.dump() + "\n" + history(2)[1].dump() + "\n");
}

}  // namespace
}  // namespace senti
