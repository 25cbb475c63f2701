// kura dev: a throwaway vault on loopback for trying the API by hand (the
// `vault server -dev` convention). Everything lives in a temporary directory
// that is removed on Ctrl-C.
#include <stdlib.h>

#include <filesystem>

#include "cli/cli_context.h"
#include "core/http/signals.h"
#include "core/keyring/key_provider.h"
#include "vault/dev_setup.h"
#include "vault/vault_server.h"

namespace kura::cli {
namespace {

struct DevFlags {
  int port = 8443;
  bool keep = false;
};

int Dev(CliContext& ctx, const DevFlags& f) {
  char tmpl[] = "/tmp/kura-dev-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return Fail(ctx, InternalError("mkdtemp failed"));
  const std::string dir = tmpl;
  vault::DevSetupOptions opts;
  opts.port = static_cast<uint16_t>(f.port);
  Result<vault::DevSetup> d = vault::CreateDevSetup(ctx.fs, dir, opts, ctx.clock, ctx.random);
  if (!d.ok()) return Fail(ctx, d.status().WithContext("preparing the dev vault"));
  keyring::ComponentFilesKeyProvider keys(ctx.fs, d->component_paths);
  http::BlockTerminationSignals();
  Result<std::unique_ptr<vault::VaultServer>> server =
      vault::VaultServer::Start(d->config, keys, vault::VaultEnv{ctx.fs, ctx.clock, ctx.random});
  if (!server.ok()) return Fail(ctx, server.status());
  const std::string url = "https://127.0.0.1:" + std::to_string((*server)->port());
  ctx.out << "Kura dev vault (throwaway keys; NOT for real cards)\n"
          << "  URL:      " << url << "\n"
          << "  API key:  " << d->api_key.view() << "\n"
          << "  CA cert:  " << d->ca_cert_path << "\n"
          << "  data dir: " << dir << "\n\n"
          << "Try:\n"
          << "  curl --cacert " << d->ca_cert_path << " -H 'Authorization: Bearer "
          << d->api_key.view() << "' -H 'Content-Type: application/json' \\\n"
          << "       -d '{\"pan\":\"4111111111111111\",\"exp_month\":12,\"exp_year\":2030}' "
          << url << "/v1/cards\n\n"
          << "Press Ctrl-C to stop.\n"
          << std::flush;
  http::WaitForTerminationSignal();
  (*server)->Shutdown();
  if (!f.keep) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  ctx.err << "kura dev: stopped" << (f.keep ? "; kept " + dir : "; removed " + dir) << "\n";
  return kExitOk;
}

}  // namespace

void RegisterDevCommand(CLI::App& app, CliContext& ctx, Action& action) {
  auto f = std::make_shared<DevFlags>();
  CLI::App* dev = app.add_subcommand(
      "dev", "Run a throwaway vault on loopback with dev keys and a printed API key");
  dev->add_option("--port", f->port, "Port on 127.0.0.1 (0 = any free port)")
      ->capture_default_str();
  dev->add_flag("--keep", f->keep, "Keep the temporary directory on exit");
  dev->callback([&ctx, &action, f] {
    action = [&ctx, f] { return Dev(ctx, *f); };
  });
}

}  // namespace kura::cli
