// kura scan ... (issue 5): not built yet.
#include "cli/cli_context.h"

namespace kura::cli {

void RegisterScanCommands(CLI::App&, CliContext&, Action&) {}

}  // namespace kura::cli
