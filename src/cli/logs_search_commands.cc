// `kura logs` verbs of the log platform's search part (docs/logs.md).
#include "cli/cli_context.h"

namespace kura::cli {

void RegisterLogsSearchCommands(CLI::App& /*logs*/, CliContext& /*ctx*/, Action& /*action*/) {}

}  // namespace kura::cli
