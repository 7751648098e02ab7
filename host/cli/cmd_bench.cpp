// Scaffold: replaced by the real `senti bench` implementation.
#include "engine/common/error.h"
#include "host/cli/commands.h"

namespace senti::cli {
void register_bench(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "(not built yet)");
  cmd->callback([] { SENTI_FAIL("senti bench is not built yet"); });
}
}  // namespace senti::cli
