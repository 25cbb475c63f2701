// kura bridge ... (issue 4): not built yet.
#include "cli/cli_context.h"

namespace kura::cli {

void RegisterBridgeCommands(CLI::App&, CliContext&, Action&) {}

}  // namespace kura::cli
