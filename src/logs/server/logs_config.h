// LogsConfig: everything `kura logs serve` reads from its TOML file
// (annotated example in docs/logs.md, "Configuration").
//
// Strict like every Kura config: unknown keys, wrong types and values out
// of range are errors naming file, line and key. Relative paths are
// resolved against data_dir.
#ifndef KURA_LOGS_SERVER_LOGS_CONFIG_H_
#define KURA_LOGS_SERVER_LOGS_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/fs/file_system.h"
#include "logs/archive/retention.h"  // kMinRetentionDays
#include "logs/ingest/file_tailer.h"

namespace kura::logs {

// Where the `kura logs` CLI verbs (search, verify, retention, import, init)
// record their audit events, relative to the data directory. A node with
// [audit] store on follows this file, so reading the logs is itself stored
// and searchable (PCI DSS 10.2.1.3).
inline constexpr std::string_view kAdminAuditFile = "audit/logs-admin.jsonl";

struct LogsConfig {
  std::string source;  // the file it was loaded from

  // [logs]
  std::string node_id = "logs";
  std::string data_dir;  // required, absolute
  // Applied by the sealing node at start and hourly (ApplyRetention).
  int64_t retention_days = kMinRetentionDays;
  bool allow_short_retention = false;

  // [http]: HTTPS ingest (POST /v1/events); absent = off.
  bool http_enabled = false;
  std::string http_listen = "127.0.0.1";
  uint16_t http_port = 8444;
  std::string http_tls_cert;
  std::string http_tls_key;
  size_t http_max_body_bytes = 8 << 20;
  int http_io_threads = 2;
  int http_handler_threads = 32;
  std::string api_keys_file = "api-keys.json";

  // [syslog]: TCP syslog; absent = off.
  bool syslog_enabled = false;
  std::string syslog_listen = "127.0.0.1";
  uint16_t syslog_port = 6514;
  bool syslog_tls = false;
  std::string syslog_tls_cert;
  std::string syslog_tls_key;
  size_t syslog_max_message_bytes = 64 << 10;
  size_t syslog_max_connections = 1024;
  std::chrono::seconds syslog_idle_timeout{300};
  int syslog_io_threads = 2;

  // [wal]
  size_t wal_max_file_bytes = 64 << 20;
  size_t wal_max_pending_bytes = 64 << 20;

  // [seal]
  bool seal_enabled = true;
  size_t seal_max_bytes = 64 << 20;
  std::chrono::seconds seal_max_age{300};
  // The sealing thread runs SCHED_IDLE (only on CPU time nothing else in the
  // system wants: ingest keeps the CPU during bursts and sealing catches up
  // from the WAL after them); false: nice 10, a small fixed share even when
  // other work keeps the CPU busy (hosts shared with CPU-heavy processes).
  bool seal_idle_priority = true;

  // [audit]: where logs' own audit events go (besides the store itself).
  std::string audit_file;  // "" = none
  bool audit_stdout = false;
  // Also ingest them into this node's own store (IngestAuditSink).
  bool audit_store = true;

  // [[tail]]: JSON-lines audit files to follow (the vault's audit file).
  // With audit_store on, the node also follows kAdminAuditFile.
  std::vector<TailSource> tails;
  std::chrono::milliseconds tail_interval{1000};

  std::string InDataDir(const std::string& path) const;
  std::string wal_dir() const { return JoinPath(data_dir, "wal"); }
  std::string archive_dir() const { return JoinPath(data_dir, "archive"); }
  std::string tail_dir() const { return JoinPath(data_dir, "tail"); }
  std::string admin_audit_file() const { return JoinPath(data_dir, kAdminAuditFile); }
};

// Errors: those of ConfigDocument (kInvalidArgument with file:line:key,
// kNotFound) and semantic ones (no receiver enabled, TLS files missing,
// retention under 365 days without allow_short_retention, ...).
Result<LogsConfig> LoadLogsConfig(FileSystem& fs, const std::string& path);

}  // namespace kura::logs

#endif  // KURA_LOGS_SERVER_LOGS_CONFIG_H_
