// `kura`: one binary, one subcommand group per part (vault, keys, dev; later
// logs, bridge, scan, otp).
#include <sys/prctl.h>
#include <sys/resource.h>

#include <iostream>

#include "cli/cli_context.h"
#include "core/base/status.h"

namespace kura::cli {

int Fail(CliContext& ctx, const Status& status) {
  ctx.err << "kura: " << status.ToString() << "\n";
  return kExitError;
}

namespace {

// Key material and PANs live in this process's memory: never let it reach a
// core file, and refuse ptrace attachment by other same-uid processes.
void HardenProcess() {
  struct rlimit no_core {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

}  // namespace
}  // namespace kura::cli

int main(int argc, char** argv) {
  kura::cli::HardenProcess();
  kura::PosixFileSystem fs;
  kura::SystemClock clock;
  kura::OsRandom random;
  kura::cli::CliContext ctx{fs, clock, random, std::cin, std::cout, std::cerr};

  CLI::App app{"kura: the software of a PCI DSS card-issuer platform"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kura 0.1.0");
  kura::cli::Action action;
  kura::cli::RegisterVaultCommands(app, ctx, action);
  kura::cli::RegisterKeysCommands(app, ctx, action);
  kura::cli::RegisterDevCommand(app, ctx, action);
  kura::cli::RegisterBridgeCommands(app, ctx, action);
  kura::cli::RegisterScanCommands(app, ctx, action);
  kura::cli::RegisterLogsCommands(app, ctx, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!action) {
    std::cerr << app.help();
    return kura::cli::kExitUsage;
  }
  try {
    return action();
  } catch (const std::exception& e) {
    // Exceptions never carry secrets by our contracts, but print only the
    // type of failure to be safe.
    std::cerr << "kura: internal error (unexpected exception)\n";
    return kura::cli::kExitError;
  }
}
