// Scaffold: replaced by the real `senti eval` implementation.
#include "engine/common/error.h"
#include "host/cli/commands.h"

namespace senti::cli {
void register_eval(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "(not built yet)");
  cmd->callback([] { SENTI_FAIL("senti eval is not built yet"); });
}
}  // namespace senti::cli
