// `kura logs ...`: the audit log platform (docs/logs.md). The verbs live in
// one file per part: logs_ingest_commands.cc, logs_archive_commands.cc,
// logs_search_commands.cc.
#include "cli/cli_context.h"

namespace kura::cli {

void RegisterLogsCommands(CLI::App& app, CliContext& ctx, Action& action) {
  CLI::App* logs = app.add_subcommand("logs", "Audit log platform: ingest, archive, search, verify");
  logs->require_subcommand(1);
  RegisterLogsIngestCommands(*logs, ctx, action);
  RegisterLogsArchiveCommands(*logs, ctx, action);
  RegisterLogsSearchCommands(*logs, ctx, action);
}

}  // namespace kura::cli
