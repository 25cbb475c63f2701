// What every `kura` subcommand receives: the injected world (file system,
// clock, randomness) and the process's standard streams. main() builds the
// real one; tests can build one over fakes and string streams.
#ifndef KURA_CLI_CLI_CONTEXT_H_
#define KURA_CLI_CLI_CONTEXT_H_

#include <functional>
#include <iosfwd>

#include <CLI/CLI.hpp>

#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/fs/file_system.h"

namespace kura::cli {

// Exit codes shared by all subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

struct CliContext {
  FileSystem& fs;
  const Clock& clock;
  Random& random;
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

// A subcommand stores its work here during parsing; main() runs it after.
using Action = std::function<int()>;

// Prints "kura: <message>" to ctx.err and returns kExitError.
int Fail(CliContext& ctx, const Status& status);

void RegisterVaultCommands(CLI::App& app, CliContext& ctx, Action& action);
void RegisterKeysCommands(CLI::App& app, CliContext& ctx, Action& action);
void RegisterDevCommand(CLI::App& app, CliContext& ctx, Action& action);
void RegisterBridgeCommands(CLI::App& app, CliContext& ctx, Action& action);
void RegisterScanCommands(CLI::App& app, CliContext& ctx, Action& action);
void RegisterLogsCommands(CLI::App& app, CliContext& ctx, Action& action);

// `kura logs` verbs, one file per part of the log platform; `logs` is the
// group created by RegisterLogsCommands.
void RegisterLogsIngestCommands(CLI::App& logs, CliContext& ctx, Action& action);   // serve
void RegisterLogsArchiveCommands(CLI::App& logs, CliContext& ctx, Action& action);  // init, import, seal, verify, retention, athena-ddl
void RegisterLogsSearchCommands(CLI::App& logs, CliContext& ctx, Action& action);   // search

}  // namespace kura::cli

#endif  // KURA_CLI_CLI_CONTEXT_H_
