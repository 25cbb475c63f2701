// SyslogServer: TCP syslog receiver (RFC 6587 framing, RFC 5424 / 3164
// messages), optionally over TLS (RFC 5425; core TlsContext: TLS 1.2+,
// strong ciphers), on Boost.Asio.
//
// Per connection: reads in large chunks (read_buffer_bytes), frames and
// parses every complete message, and hands them to the Ingestor as ONE
// submission. While a submission is being made durable the connection keeps
// reading and parsing into its next batch, up to read_buffer_bytes of input;
// then it stops reading until the submission completes and the next batch is
// submitted. So at most one batch per connection is in the Ingestor (its
// messages are stored in the order sent), parsing overlaps with the fsync,
// and a sender that outpaces the disk gets TCP backpressure, which is all
// syslog offers: there are no per-message acknowledgements (RELP is out of
// scope). "Received" in the stats means durable.
//
// When ingest is refusing (disk full, failed fsync) the batch is kept and
// retried with backoff while the connection is not read: nothing that was
// read is dropped silently. It is lost only if the server shuts down while
// still refusing (it was never acknowledged).
//
// Bad input (see SyslogFramer and ParseSyslogMessage): a rejected message is
// counted and reported through on_reject (never echoed); the others of the
// connection are kept. A bad octet count closes the connection after its
// earlier messages are durable.
//
// Limits: max_connections (further connections are accepted and closed at
// once), idle_timeout (no bytes for that long: closed), handshake_timeout.
//
// Thread safety: Start/Shutdown from the owner thread; stats() anywhere.
#ifndef KURA_LOGS_INGEST_SYSLOG_SERVER_H_
#define KURA_LOGS_INGEST_SYSLOG_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/http/tls_context.h"
#include "logs/ingest/ingestor.h"
#include "logs/ingest/syslog_framing.h"

namespace kura::logs {

inline constexpr size_t kDefaultSyslogMaxConnections = 1024;
inline constexpr std::chrono::milliseconds kDefaultSyslogIdleTimeout{300'000};
inline constexpr std::chrono::milliseconds kDefaultSyslogHandshakeTimeout{10'000};
inline constexpr size_t kDefaultSyslogReadBytes = 512 << 10;

struct SyslogServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0 = ephemeral, see port()
  bool tls = false;
  http::TlsServerOptions tls_options;  // used when tls
  std::string node_id = "logs";
  size_t max_message_bytes = kDefaultMaxSyslogMessageBytes;  // up to kMaxEventBytes
  size_t max_connections = kDefaultSyslogMaxConnections;
  std::chrono::milliseconds idle_timeout = kDefaultSyslogIdleTimeout;
  std::chrono::milliseconds handshake_timeout = kDefaultSyslogHandshakeTimeout;
  size_t read_buffer_bytes = kDefaultSyslogReadBytes;
  int io_threads = 2;
  // Rejected messages of one read: the peer, how many, the first error.
  // Called on an I/O thread; must be thread-safe and quick.
  std::function<void(const std::string& peer, uint64_t count, const Status& first_error)> on_reject;
};

struct SyslogServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_rejected = 0;  // over max_connections
  uint64_t active_connections = 0;
  uint64_t messages_received = 0;  // durable
  uint64_t messages_rejected = 0;  // bad framing or message
};

class SyslogServer {
 public:
  // Validates options and loads TLS files. Errors: kInvalidArgument. The
  // Ingestor and Clock must outlive the server.
  static Result<std::unique_ptr<SyslogServer>> Create(SyslogServerOptions options,
                                                      Ingestor& ingestor, const Clock& clock);
  ~SyslogServer();
  SyslogServer(const SyslogServer&) = delete;
  SyslogServer& operator=(const SyslogServer&) = delete;

  // Binds and starts the I/O threads. kUnavailable if the address cannot be
  // bound; kFailedPrecondition if called twice.
  Status Start();
  uint16_t port() const;

  // Stops accepting, closes every connection (a batch already submitted
  // completes first), joins the threads. Idempotent.
  void Shutdown();

  SyslogServerStats stats() const;

  struct Impl;

 private:
  explicit SyslogServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kura::logs

#endif  // KURA_LOGS_INGEST_SYSLOG_SERVER_H_
