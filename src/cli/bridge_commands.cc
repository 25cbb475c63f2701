// kura bridge submit | status | result | run | tokenize-file | purge-expired
// | rotate-keys (issue 4; docs/bridge.md).
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>

#include "bridge/bridge_config.h"
#include "bridge/client.h"
#include "bridge/pan_guard.h"
#include "bridge/runner.h"
#include "bridge/vault_jobs.h"
#include "cli/cli_context.h"
#include "cli/key_source.h"
#include "core/audit/audit_log.h"
#include "core/blob/local_blob_store.h"
#include "core/config/config.h"
#include "core/http/signals.h"
#include "vault/sqlite_card_store.h"
#include "vault/vault_config.h"

namespace kura::cli {
namespace {

using bridge::BridgeClientConfig;
using bridge::BridgeRunnerConfig;

struct SubmitFlags {
  std::string config;
  std::string job;
  std::vector<std::string> params;
  std::string idempotency_key;
  bool wait = false;
  std::string timeout = "1h";
};

struct IdFlags {
  std::string config;
  std::string id;
};

struct RunFlags {
  std::string config;
  bool once = false;
  KeySourceFlags keys;
};

struct VaultJobFlags {
  std::string vault_config;
  KeySourceFlags keys;
  // tokenize-file
  std::string input;
  std::string output;
  std::string pan_column = "pan";
  std::string exp_column = "exp";
  bool masked = false;
  bool last4 = false;
  // rotate-keys
  bool start_new_version = false;
};

// Everything a client command needs, loaded from its config.
struct Client {
  BridgeClientConfig config;
  std::unique_ptr<LocalBlobStore> blob;
  std::unique_ptr<bridge::DropZone> zone;
  std::optional<crypto::Ed25519PublicKey> cde_key;
};

Result<Client> OpenClient(CliContext& ctx, const std::string& path) {
  Client c;
  ASSIGN_OR_RETURN(c.config, bridge::LoadBridgeClientConfig(ctx.fs, path));
  ASSIGN_OR_RETURN(c.blob, LocalBlobStore::Open(ctx.fs, c.config.drop_zone));
  c.zone = std::make_unique<bridge::DropZone>(*c.blob);
  ASSIGN_OR_RETURN(std::string pem, ctx.fs.ReadFile(c.config.cde_public_key_file));
  ASSIGN_OR_RETURN(crypto::Ed25519PublicKey key, crypto::Ed25519PublicKey::FromPem(pem));
  c.cde_key = key;
  return c;
}

int PrintResult(CliContext& ctx, const bridge::BridgeResult& r) {
  ctx.out << bridge::ResultToJson(r) << "\n";
  return bridge::ExitCodeForStatus(r.status);
}

int Submit(CliContext& ctx, const SubmitFlags& f) {
  Result<Client> c = OpenClient(ctx, f.config);
  if (!c.ok()) return Fail(ctx, c.status());
  bridge::SubmitOptions o;
  o.job = f.job;
  o.idempotency_key = f.idempotency_key;
  o.ttl = c->config.request_ttl;
  for (const std::string& kv : f.params) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Fail(ctx, InvalidArgumentError("--param must be KEY=VALUE"));
    }
    if (!o.params.emplace(kv.substr(0, eq), kv.substr(eq + 1)).second) {
      return Fail(ctx, InvalidArgumentError("--param given twice for one key"));
    }
  }
  Result<std::chrono::seconds> timeout = ParseDuration(f.timeout);
  if (!timeout.ok()) return Fail(ctx, InvalidArgumentError("--timeout: bad duration"));
  Result<std::string> pem = ctx.fs.ReadFile(c->config.private_key_file);
  if (!pem.ok()) return Fail(ctx, pem.status());
  Result<crypto::Ed25519PrivateKey> key = crypto::Ed25519PrivateKey::FromPem(*pem);
  if (!key.ok()) return Fail(ctx, key.status());
  Result<std::string> id =
      bridge::SubmitRequest(*c->zone, c->config.submitter, *key, o, ctx.clock, ctx.random);
  if (!id.ok()) return Fail(ctx, id.status());
  if (!f.wait) {
    ctx.out << *id << "\n";
    return kExitOk;
  }
  ctx.err << "kura bridge: submitted " << *id << " (" << f.job << "), waiting\n";
  bridge::WaitOptions w;
  w.timeout = *timeout;
  int64_t last_report = 0;
  w.on_poll = [&ctx, &last_report](std::chrono::milliseconds waited) {
    const int64_t s = waited.count() / 1000;
    if (s >= last_report + 10) {
      last_report = s;
      ctx.err << "kura bridge: still waiting (" << s << "s)\n";
    }
  };
  Result<bridge::BridgeResult> r = bridge::WaitForResult(*c->zone, *id, *c->cde_key, ctx.clock, w);
  if (!r.ok() && r.status().code() == StatusCode::kDeadlineExceeded) {
    ctx.err << "kura bridge: no result for " << *id << " within " << f.timeout << "\n";
    return bridge::kExitWaitTimeout;
  }
  if (!r.ok()) return Fail(ctx, r.status());
  ctx.err << "kura bridge: " << *id << " " << r->status
          << (r->reason.empty() ? "" : ": " + r->reason) << "\n";
  return PrintResult(ctx, *r);
}

int StatusOrResult(CliContext& ctx, const IdFlags& f, bool full) {
  Result<Client> c = OpenClient(ctx, f.config);
  if (!c.ok()) return Fail(ctx, c.status());
  Result<bridge::BridgeResult> r = bridge::FetchResult(*c->zone, f.id, *c->cde_key);
  if (!r.ok() && r.status().code() == StatusCode::kNotFound) {
    // A request too large to read is still a request waiting (to be rejected).
    const StatusCode request = c->zone->GetRequest(f.id).status().code();
    const bool queued = request == StatusCode::kOk || request == StatusCode::kOutOfRange;
    ctx.out << (queued ? "pending" : "unknown") << "\n";
    return full ? bridge::kExitNoResultYet : kExitOk;
  }
  if (!r.ok()) return Fail(ctx, r.status());
  if (!full) {
    ctx.out << r->status << "\n";
    return kExitOk;
  }
  return PrintResult(ctx, *r);
}

// The vault's storage and keyring, opened directly (no HTTP).
struct VaultHandles {
  vault::VaultConfig config;
  std::unique_ptr<keyring::Keyring> keyring;
  std::unique_ptr<vault::SqliteCardStore> store;
  std::unique_ptr<vault::CardVault> vault;
};

Result<std::unique_ptr<VaultHandles>> OpenVault(CliContext& ctx, const std::string& path,
                                                const KeySourceFlags& keys) {
  auto h = std::make_unique<VaultHandles>();
  ASSIGN_OR_RETURN(h->config, vault::LoadVaultConfig(ctx.fs, path));
  const vault::VaultConfig& c = h->config;
  ASSIGN_OR_RETURN(std::unique_ptr<keyring::KeyProvider> provider, MakeKeyProvider(ctx, c, keys));
  keyring::KeyringOptions kopts;
  kopts.cryptoperiod = std::chrono::duration_cast<std::chrono::milliseconds>(c.cryptoperiod);
  ASSIGN_OR_RETURN(h->keyring, keyring::Keyring::Open(ctx.fs, c.InDataDir(c.keyring_file),
                                                      *provider, ctx.clock, ctx.random, kopts));
  vault::SqliteCardStoreOptions sopts;
  sopts.path = c.InDataDir(c.database_file);
  ASSIGN_OR_RETURN(h->store, vault::SqliteCardStore::Open(sopts));
  vault::CardVaultOptions vopts;
  vopts.fpt_keep_bin = c.fpt_keep_bin;
  vopts.bin_length = c.bin_length;
  vopts.purge_grace = std::chrono::duration_cast<std::chrono::hours>(c.purge_grace);
  ASSIGN_OR_RETURN(h->vault,
                   vault::CardVault::Create(*h->store, *h->keyring, ctx.random, ctx.clock, vopts));
  return h;
}

Result<std::unique_ptr<AuditLog>> OpenAudit(CliContext& ctx, const BridgeRunnerConfig& c) {
  std::vector<std::unique_ptr<AuditSink>> sinks;
  if (!c.audit_file.empty()) {
    ASSIGN_OR_RETURN(auto sink, FileAuditSink::Open(ctx.fs, c.audit_file));
    sinks.push_back(std::move(sink));
  }
  if (c.audit_stdout) sinks.push_back(std::make_unique<StreamAuditSink>(ctx.out));
  return std::make_unique<AuditLog>(ctx.clock, "bridge", c.runner_id, std::move(sinks));
}

int Run(CliContext& ctx, const RunFlags& f) {
  Result<BridgeRunnerConfig> c = bridge::LoadBridgeRunnerConfig(ctx.fs, f.config);
  if (!c.ok()) return Fail(ctx, c.status());
  Result<std::string> pem = ctx.fs.ReadFile(c->signing_key_file);
  if (!pem.ok()) return Fail(ctx, pem.status());
  Result<crypto::Ed25519PrivateKey> signing_key = crypto::Ed25519PrivateKey::FromPem(*pem);
  if (!signing_key.ok()) return Fail(ctx, signing_key.status());
  std::map<std::string, crypto::Ed25519PublicKey> submitters;
  for (const bridge::SubmitterConfig& s : c->submitters) {
    Result<std::string> pub = ctx.fs.ReadFile(s.public_key_file);
    if (!pub.ok()) return Fail(ctx, pub.status());
    Result<crypto::Ed25519PublicKey> key = crypto::Ed25519PublicKey::FromPem(*pub);
    if (!key.ok()) return Fail(ctx, key.status().WithContext("submitter " + s.id));
    submitters.emplace(s.id, *key);
  }
  if (Status s = ctx.fs.CreateDirs(c->work_dir); !s.ok()) return Fail(ctx, s);
  Result<std::unique_ptr<LocalBlobStore>> blob = LocalBlobStore::Open(ctx.fs, c->drop_zone);
  if (!blob.ok()) return Fail(ctx, blob.status());
  bridge::DropZone zone(**blob);
  Result<std::unique_ptr<bridge::JobStore>> store = bridge::JobStore::Open(c->database_file);
  if (!store.ok()) return Fail(ctx, store.status());
  Result<std::unique_ptr<AuditLog>> audit = OpenAudit(ctx, *c);
  if (!audit.ok()) return Fail(ctx, audit.status());
  std::unique_ptr<VaultHandles> vault;
  std::map<std::string, bridge::BuiltinJob> builtins;
  if (!c->vault_config.empty()) {
    Result<std::unique_ptr<VaultHandles>> v = OpenVault(ctx, c->vault_config, f.keys);
    if (!v.ok()) return Fail(ctx, v.status());
    vault = std::move(*v);
    builtins = bridge::MakeVaultJobs(*vault->vault, *vault->keyring, c->tokenize_input_dir);
  }
  bridge::RunnerOptions o;
  o.runner_id = c->runner_id;
  o.work_root = c->work_dir;
  o.poll_interval = c->poll_interval;
  o.max_concurrent_jobs = c->max_concurrent_jobs;
  o.lease = c->lease;
  o.watch_dir = c->drop_zone;
  bridge::Runner runner(ctx.fs, zone, **store, c->catalog, std::move(submitters), *signing_key,
                        std::move(builtins), **audit, ctx.clock, o);
  if (f.once) {
    if (Status s = runner.Recover(); !s.ok()) return Fail(ctx, s);
    Result<int> n = runner.ProcessPending();
    if (!n.ok()) return Fail(ctx, n.status());
    ctx.err << "kura bridge: handled " << *n << " request(s)\n";
    return kExitOk;
  }
  http::BlockTerminationSignals();
  std::atomic<bool> stop{false};
  Status loop_status;
  std::thread loop([&] { loop_status = runner.Run(stop); });
  ctx.err << "kura bridge: runner " << c->runner_id << " watching " << c->drop_zone << "\n";
  const int sig = http::WaitForTerminationSignal();
  ctx.err << "kura bridge: signal " << sig << ", stopping after the current job\n";
  stop = true;
  loop.join();
  if (!loop_status.ok()) return Fail(ctx, loop_status);
  return kExitOk;
}

int TokenizeFile(CliContext& ctx, const VaultJobFlags& f) {
  const TimePoint started = ctx.clock.Now();
  Result<std::unique_ptr<VaultHandles>> v = OpenVault(ctx, f.vault_config, f.keys);
  if (!v.ok()) return Fail(ctx, v.status());
  const TimePoint opened = ctx.clock.Now();
  bridge::TokenizeOptions o;
  o.pan_column = f.pan_column;
  o.exp_column = f.exp_column;
  o.add_masked = f.masked;
  o.add_last4 = f.last4;
  o.max_batches_in_flight = bridge::kVaultBatchesInFlight;
  Result<bridge::TokenizeReport> r =
      bridge::TokenizeCsvFile(f.input, f.output, o, bridge::VaultBatchTokenizer(*(*v)->vault));
  if (!r.ok()) return Fail(ctx, r.status());
  const TimePoint tokenized = ctx.clock.Now();
  // The output is meant to leave the CDE: check it like the runner would.
  Result<bridge::PanGuardReport> scan = bridge::ScanFileForPans(f.output);
  if (!scan.ok() || !scan->clean()) {
    ::unlink(f.output.c_str());
    return Fail(ctx, DataLossError("output failed the PAN guard and was removed"));
  }
  const TimePoint scanned = ctx.clock.Now();
  ctx.out << r->Summary() << "\n";
  // Where the time went (benchmarks read this; counts only, no data).
  auto ms = [](TimePoint a, TimePoint b) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count());
  };
  ctx.err << "kura: tokenize-file timings: open_ms=" << ms(started, opened)
          << " tokenize_ms=" << ms(opened, tokenized) << " scan_ms=" << ms(tokenized, scanned)
          << "\n";
  return kExitOk;
}

int PurgeExpired(CliContext& ctx, const VaultJobFlags& f) {
  Result<std::unique_ptr<VaultHandles>> v = OpenVault(ctx, f.vault_config, f.keys);
  if (!v.ok()) return Fail(ctx, v.status());
  Result<std::string> s = bridge::PurgeAll(*(*v)->vault);
  if (!s.ok()) return Fail(ctx, s.status());
  ctx.out << *s << "\n";
  return kExitOk;
}

int RotateKeys(CliContext& ctx, const VaultJobFlags& f) {
  Result<std::unique_ptr<VaultHandles>> v = OpenVault(ctx, f.vault_config, f.keys);
  if (!v.ok()) return Fail(ctx, v.status());
  Result<std::string> s =
      bridge::ReencryptAndRetire(*(*v)->vault, *(*v)->keyring, f.start_new_version);
  if (!s.ok()) return Fail(ctx, s.status());
  ctx.out << *s << "\n";
  return kExitOk;
}

CLI::App* VaultJobCommand(CLI::App& bridge, const char* name, const char* help, VaultJobFlags& f) {
  CLI::App* cmd = bridge.add_subcommand(name, help);
  cmd->add_option("--vault-config", f.vault_config, "Vault config file")->required();
  AddKeySourceFlags(*cmd, f.keys);
  return cmd;
}

}  // namespace

void RegisterBridgeCommands(CLI::App& app, CliContext& ctx, Action& action) {
  CLI::App* bridge = app.add_subcommand(
      "bridge", "One-way zone bridge: run CDE batch jobs from an out-of-scope scheduler");
  bridge->require_subcommand(1);

  auto sf = std::make_shared<SubmitFlags>();
  CLI::App* submit = bridge->add_subcommand(
      "submit",
      "Drop a signed job request (exit codes: 0 ok, 3 failed, 4 rejected, 5 expired, "
      "6 wait timeout)");
  submit->add_option("--config,-c", sf->config, "Client config file")->required();
  submit->add_option("job", sf->job, "Job name from the CDE's catalog")->required();
  submit->add_option("--param,-p", sf->params, "Job parameter KEY=VALUE (repeatable)");
  submit->add_option("--idempotency-key", sf->idempotency_key,
                     "Key that makes retries safe (default: the request id)");
  submit->add_flag("--wait", sf->wait, "Wait for the result and print it as JSON");
  submit->add_option("--timeout", sf->timeout, "How long --wait waits (e.g. 30m)");
  submit->callback([&ctx, &action, sf] { action = [&ctx, sf] { return Submit(ctx, *sf); }; });

  auto st = std::make_shared<IdFlags>();
  CLI::App* status = bridge->add_subcommand("status", "Print pending|unknown|<result status>");
  status->add_option("--config,-c", st->config, "Client config file")->required();
  status->add_option("id", st->id, "Request id")->required();
  status->callback(
      [&ctx, &action, st] { action = [&ctx, st] { return StatusOrResult(ctx, *st, false); }; });

  auto rs = std::make_shared<IdFlags>();
  CLI::App* result = bridge->add_subcommand(
      "result", "Print the verified result as JSON (exit code as submit --wait; 7 if none yet)");
  result->add_option("--config,-c", rs->config, "Client config file")->required();
  result->add_option("id", rs->id, "Request id")->required();
  result->callback(
      [&ctx, &action, rs] { action = [&ctx, rs] { return StatusOrResult(ctx, *rs, true); }; });

  auto rf = std::make_shared<RunFlags>();
  CLI::App* run = bridge->add_subcommand("run", "CDE side: watch the drop zone and run jobs");
  run->add_option("--config,-c", rf->config, "Bridge (runner) config file")->required();
  run->add_flag("--once", rf->once, "Process pending requests once and exit");
  AddKeySourceFlags(*run, rf->keys);
  run->callback([&ctx, &action, rf] { action = [&ctx, rf] { return Run(ctx, *rf); }; });

  auto tf = std::make_shared<VaultJobFlags>();
  CLI::App* tok = VaultJobCommand(*bridge, "tokenize-file",
                                  "Replace a CSV file's PAN column with vault tokens", *tf);
  tok->add_option("--input", tf->input, "CSV file inside the CDE")->required();
  tok->add_option("--output", tf->output, "Tokenized CSV to write")->required();
  tok->add_option("--pan-column", tf->pan_column, "Header of the PAN column");
  tok->add_option("--exp-column", tf->exp_column, "Header of the expiry column (MM/YY)");
  tok->add_flag("--masked", tf->masked, "Add <pan-column>_masked");
  tok->add_flag("--last4", tf->last4, "Add <pan-column>_last4");
  tok->callback([&ctx, &action, tf] { action = [&ctx, tf] { return TokenizeFile(ctx, *tf); }; });

  auto pf = std::make_shared<VaultJobFlags>();
  CLI::App* purge =
      VaultJobCommand(*bridge, "purge-expired", "The vault's retention purge, to completion", *pf);
  purge->callback([&ctx, &action, pf] { action = [&ctx, pf] { return PurgeExpired(ctx, *pf); }; });

  auto kf = std::make_shared<VaultJobFlags>();
  CLI::App* rot = VaultJobCommand(
      *bridge, "rotate-keys", "Re-encrypt cards under old DEKs, then retire those versions", *kf);
  rot->add_flag("--start-new-version", kf->start_new_version, "Rotate to a new DEK first");
  rot->callback([&ctx, &action, kf] { action = [&ctx, kf] { return RotateKeys(ctx, *kf); }; });
}

}  // namespace kura::cli
