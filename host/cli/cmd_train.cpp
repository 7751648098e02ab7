// Scaffold: replaced by the real `senti train` implementation.
#include "engine/common/error.h"
#include "host/cli/commands.h"

namespace senti::cli {
void register_train(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "(not built yet)");
  cmd->callback([] { SENTI_FAIL("senti train is not built yet"); });
}
}  // namespace senti::cli
