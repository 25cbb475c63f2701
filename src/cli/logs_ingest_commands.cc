// `kura logs` verbs of the log platform's ingest part (docs/logs.md):
//   kura logs serve --config FILE [--stats-interval-ms MS]
//   kura logs apikey create --config FILE --name NAME [--scopes logs:write]
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "cli/cli_context.h"
#include "core/auth/api_key_store.h"
#include "core/http/signals.h"
#include "logs/server/logs_config.h"
#include "logs/server/logs_server.h"

namespace kura::cli {
namespace {

// Longest --stats-interval-ms accepted (a day).
constexpr int64_t kMaxStatsIntervalMs = 86'400'000;

// Prints `kura logs: stats ...` to `out` every interval until destroyed (for
// operators and bench/logs_ingest_bench.sh, which waits for
// syslog_received to reach what it sent). Counts only, never event content.
class StatsPrinter {
 public:
  StatsPrinter(const logs::LogsServer& server, std::ostream& out, std::chrono::milliseconds every)
      : server_(server), out_(out), every_(every) {
    thread_ = std::thread([this] { Run(); });
  }
  ~StatsPrinter() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  StatsPrinter(const StatsPrinter&) = delete;
  StatsPrinter& operator=(const StatsPrinter&) = delete;

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    std::string last;
    while (!cv_.wait_for(lock, every_, [this] { return stop_; })) {
      const logs::IngestStats st = server_.stats();
      const logs::SyslogServerStats sy = server_.syslog_stats();
      // Printed whenever any counter changed: a syslog connection counts its
      // batch as received just after the ingestor counts it accepted, so a
      // line keyed on `accepted` alone could miss the last received count
      // (the ingest benchmark then waited for it forever).
      const std::string line =
          "kura logs: stats accepted=" + std::to_string(st.accepted) +
          " rejected=" + std::to_string(st.rejected) + " refused=" + std::to_string(st.refused) +
          " commits=" + std::to_string(st.commits) +
          " syslog_received=" + std::to_string(sy.messages_received) +
          " syslog_rejected=" + std::to_string(sy.messages_rejected) +
          " refusing=" + (st.refusing ? "1" : "0");
      if (line == last) continue;
      out_ << line << std::endl;
      last = line;
    }
  }

  const logs::LogsServer& server_;
  std::ostream& out_;
  const std::chrono::milliseconds every_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

int Serve(CliContext& ctx, const std::string& config_path, int64_t stats_interval_ms) {
  if (stats_interval_ms < 0 || stats_interval_ms > kMaxStatsIntervalMs) {
    return Fail(ctx, InvalidArgumentError("--stats-interval-ms must be 0 (off) to " +
                                          std::to_string(kMaxStatsIntervalMs)));
  }
  Result<logs::LogsConfig> config = logs::LoadLogsConfig(ctx.fs, config_path);
  if (!config.ok()) return Fail(ctx, config.status());
  // Signals are blocked before any thread starts so that only sigwait sees them.
  http::BlockTerminationSignals();
  Result<std::unique_ptr<logs::LogsServer>> server =
      logs::LogsServer::Start(*config, logs::LogsEnv{ctx.fs, ctx.clock, ctx.random});
  if (!server.ok()) return Fail(ctx, server.status());
  if ((*server)->http_port() != 0) {
    ctx.out << "kura logs: https listening on " << config->http_listen << ":"
            << (*server)->http_port() << "\n";
  }
  if ((*server)->syslog_port() != 0) {
    ctx.out << "kura logs: syslog listening on " << config->syslog_listen << ":"
            << (*server)->syslog_port() << (config->syslog_tls ? " (tls)" : "") << "\n";
  }
  ctx.out << "kura logs: ready" << std::endl;
  std::optional<StatsPrinter> stats;
  if (stats_interval_ms > 0) {
    stats.emplace(**server, ctx.out, std::chrono::milliseconds(stats_interval_ms));
  }
  const int sig = http::WaitForTerminationSignal();
  stats.reset();
  ctx.err << "kura logs: signal " << sig << ", shutting down gracefully\n";
  (*server)->Shutdown();
  const logs::IngestStats st = (*server)->stats();
  ctx.err << "kura logs: stopped; " << st.accepted << " events accepted, " << st.rejected
          << " rejected\n";
  return kExitOk;
}

int ApiKeyCreate(CliContext& ctx, const std::string& config_path, const std::string& name,
                 const std::string& scopes_csv) {
  Result<logs::LogsConfig> config = logs::LoadLogsConfig(ctx.fs, config_path);
  if (!config.ok()) return Fail(ctx, config.status());
  std::set<std::string> scopes;
  std::stringstream ss(scopes_csv);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) scopes.insert(item);
  }
  if (Status s = ctx.fs.CreateDirs(config->data_dir, 0700); !s.ok()) return Fail(ctx, s);
  Result<std::unique_ptr<auth::ApiKeyStore>> store = auth::ApiKeyStore::Open(
      ctx.fs, config->InDataDir(config->api_keys_file), ctx.clock, ctx.random);
  if (!store.ok()) return Fail(ctx, store.status());
  Result<SecretBytes> key = (*store)->Create(name, scopes);
  if (!key.ok()) return Fail(ctx, key.status());
  ctx.out << key->view() << "\n";  // shown once, to its owner
  return kExitOk;
}

}  // namespace

void RegisterLogsIngestCommands(CLI::App& logs, CliContext& ctx, Action& action) {
  auto config = std::make_shared<std::string>();
  CLI::App* serve = logs.add_subcommand(
      "serve", "Run an ingest node: HTTPS NDJSON, TCP syslog, file tailers, sealing");
  auto stats_ms = std::make_shared<int64_t>(0);
  serve->add_option("--config,-c", *config, "Logs config file (TOML)")->required();
  serve->add_option("--stats-interval-ms", *stats_ms,
                    "Print a `kura logs: stats` counters line this often when they change (0 = off)");
  serve->callback([&ctx, &action, config, stats_ms] {
    action = [&ctx, config, stats_ms] { return Serve(ctx, *config, *stats_ms); };
  });

  auto name = std::make_shared<std::string>();
  auto scopes = std::make_shared<std::string>("logs:write");
  auto key_config = std::make_shared<std::string>();
  CLI::App* apikey = logs.add_subcommand("apikey", "API keys of the logs HTTPS API");
  apikey->require_subcommand(1);
  CLI::App* create = apikey->add_subcommand("create", "Create an API key (printed once)");
  create->add_option("--config,-c", *key_config, "Logs config file (TOML)")->required();
  create->add_option("--name", *name, "Key name")->required();
  create->add_option("--scopes", *scopes, "Comma-separated scopes (logs:write, logs:read)");
  create->callback([&ctx, &action, key_config, name, scopes] {
    action = [&ctx, key_config, name, scopes] { return ApiKeyCreate(ctx, *key_config, *name, *scopes); };
  });
}

}  // namespace kura::cli
