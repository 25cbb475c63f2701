// `kura logs` verbs of the log platform's archive part (docs/logs.md).
#include "cli/cli_context.h"

namespace kura::cli {

void RegisterLogsArchiveCommands(CLI::App& /*logs*/, CliContext& /*ctx*/, Action& /*action*/) {}

}  // namespace kura::cli
