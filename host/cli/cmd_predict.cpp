// Scaffold: replaced by the real `senti predict` implementation.
#include "engine/common/error.h"
#include "host/cli/commands.h"

namespace senti::cli {
void register_predict(CLI::App& app) {
  auto* cmd = app.add_subcommand("predict", "(not built yet)");
  cmd->callback([] { SENTI_FAIL("senti predict is not built yet"); });
}
}  // namespace senti::cli
