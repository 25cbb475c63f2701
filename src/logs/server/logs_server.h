// LogsServer: a running `kura logs serve` node — WAL + Ingestor, the HTTPS
// NDJSON receiver (POST /v1/events), the TCP syslog receiver, the file
// tailers (the vault's audit file), and the sealing loop that moves durable
// WAL records into the archive (Archive::Seal, then Wal::DropThrough).
//
// Start-up: opens the archive (<data-dir>/archive, digest signing key from
// <data-dir>/keys, see `kura logs init`), joins the WAL to the archive's
// tail (refusing to start on a broken chain: kDataLoss), then starts the
// receivers. Audit events (service "logs"): service.start / service.stop,
// logs.ingest.refuse / logs.ingest.resume (fail-closed transitions),
// logs.ingest.reject (bad input, without its content), logs.seal failures.
//
// Sealing: every second the loop seals when the unsealed WAL holds
// seal_max_bytes, its oldest record is seal_max_age old, or the UTC day
// changed since it was received. Only durable records are sealed.
//
// Thread safety: Start/Shutdown from one thread.
#ifndef KURA_LOGS_SERVER_LOGS_SERVER_H_
#define KURA_LOGS_SERVER_LOGS_SERVER_H_

#include <cstdint>
#include <memory>

#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/base/status.h"
#include "core/fs/file_system.h"
#include "logs/ingest/ingestor.h"
#include "logs/ingest/syslog_server.h"
#include "logs/server/logs_config.h"

namespace kura::logs {

struct LogsEnv {
  FileSystem& fs;
  const Clock& clock;
  Random& random;
};

class LogsServer {
 public:
  static Result<std::unique_ptr<LogsServer>> Start(const LogsConfig& config, LogsEnv env);
  ~LogsServer();
  LogsServer(const LogsServer&) = delete;
  LogsServer& operator=(const LogsServer&) = delete;

  // Bound ports (0 when that receiver is off).
  uint16_t http_port() const;
  uint16_t syslog_port() const;

  IngestStats stats() const;
  // The syslog receiver's counters (all zero when it is off); thread-safe.
  SyslogServerStats syslog_stats() const;

  // Seals everything durable at the time of the call, in as many segments
  // of at most [seal] max_bytes as it takes (also used by tests). Errors of the
  // archive; OK when there is nothing to seal.
  Status SealNow();

  // Graceful: stops accepting, lets in-flight requests and syslog batches
  // finish, writes and fsyncs everything queued, emits service.stop.
  // Idempotent.
  void Shutdown();

  struct Impl;

 private:
  explicit LogsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kura::logs

#endif  // KURA_LOGS_SERVER_LOGS_SERVER_H_
