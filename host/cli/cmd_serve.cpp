// Scaffold: replaced by the real `senti serve` implementation.
#include "engine/common/error.h"
#include "host/cli/commands.h"

namespace senti::cli {
void register_serve(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "(not built yet)");
  cmd->callback([] { SENTI_FAIL("senti serve is not built yet"); });
}
}  // namespace senti::cli
