#pragma once
// metrics.jsonl is a log derived from the checkpoints: the trainer writes an epoch's checkpoint
// first and appends its metrics line after, so the checkpoint is the commit point and the log can
// only lag behind it (a crash or a full disk between the two). On resume the log is made to agree
// with the checkpoint's history again, so no epoch is listed twice, none is missing, and none is
// listed that no checkpoint holds.
#include <string>

#include <nlohmann/json.hpp>

namespace senti {

// Rewrites `path` (atomically) so that its epoch records are exactly `history` (one per epoch, in
// order), keeping the other records (test results) after the epoch they followed; a record after an
// epoch the checkpoint does not have, and a torn last line, are dropped. Leaves the file untouched
// when it already agrees. Returns true when it rewrote the file.
bool rebuild_metrics_log(const std::string& path, const nlohmann::json& history);

}  // namespace senti
