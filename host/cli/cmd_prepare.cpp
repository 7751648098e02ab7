// Scaffold: replaced by the real `senti prepare` implementation.
#include "engine/common/error.h"
#include "host/cli/commands.h"

namespace senti::cli {
void register_prepare(CLI::App& app) {
  auto* cmd = app.add_subcommand("prepare", "(not built yet)");
  cmd->callback([] { SENTI_FAIL("senti prepare is not built yet"); });
}
}  // namespace senti::cli
