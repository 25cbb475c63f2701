// `kura logs` verbs of the log platform's ingest part (docs/logs.md).
#include "cli/cli_context.h"

namespace kura::cli {

void RegisterLogsIngestCommands(CLI::App& /*logs*/, CliContext& /*ctx*/, Action& /*action*/) {}

}  // namespace kura::cli
