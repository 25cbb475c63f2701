// HttpServer: the HTTPS/1.1 server every Kura service runs on (Boost.Beast
// over Boost.Asio and OpenSSL).
//
// Threading model: `io_threads` run all socket I/O on per-connection
// strands. Each complete request is handed to a separate pool of
// `handler_threads`, where the Handler may block (the vault waits for a
// group-committed database write); its response is posted back to the
// connection's strand and written there. If the server was created with an
// InlinePolicy and it returns true for a request, the Handler instead runs
// directly on the I/O thread that read the request and the response is
// written from there: two thread hand-offs (and usually two context
// switches) fewer per request, at the price of that I/O thread serving no
// other connection while the handler runs — so the policy must only pick
// short handlers that never wait for other requests (see InlinePolicy).
// Requests picked by a DeferredPolicy go to a DeferredHandler on the I/O
// thread, which starts the work and returns; whoever completes the work
// answers through the Responder (from any thread), and the response is
// built and written on the connection's strand: no thread waits for it.
// Graceful shutdown waits for deferred answers up to shutdown_grace, like
// for the pool's; an answer that comes later still has its build function
// run (its response is dropped), see Responder.
//
// Limits (all overridable through HttpServerOptions):
//   - request header larger than max_header_bytes   -> 431 JSON error, close
//   - request body larger than max_body_bytes        -> 413 JSON error, close
//   - malformed HTTP                                 -> 400 JSON error, close
//   - a request (headers + body) not fully received within request_timeout
//     (slowloris guard; measured from the end of the TLS handshake for a
//     connection's first request, from the first byte for later ones)
//                                                    -> connection closed
//     (no 408 is sent: the timed-out socket is already torn down)
//   - keep-alive connection idle for idle_timeout    -> connection closed
//   - TLS handshake longer than handshake_timeout    -> connection closed
//   - more than max_connections open connections     -> new connections are
//     accepted and closed at once (counted in Stats::connections_rejected)
//   - a Handler that throws, or returns a response Beast cannot encode
//     (e.g. a header field over 64 KiB)              -> 500 JSON error
//
// Not supported: "Expect: 100-continue" (clients that send it wait their own
// timeout, curl's is 1 s, before sending the body), chunked responses,
// HTTP/2. Handlers should not return a body for HEAD requests.
//
// Every response carries Content-Type (if any), Content-Length,
// Server: <server_header>, X-Request-Id (a fresh random id per request,
// also given to the handler in HttpRequest::request_id) and, unless the
// handler set one, Cache-Control: no-store.
//
// Thread safety: Start(), Shutdown() and the destructor must be called from
// one thread (the owner); port() and stats() may be called from any thread.
#ifndef KURA_CORE_HTTP_HTTP_SERVER_H_
#define KURA_CORE_HTTP_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/base/random.h"
#include "core/base/status.h"
#include "core/http/http_types.h"
#include "core/http/tls_context.h"

namespace kura::http {

inline constexpr size_t kDefaultMaxHeaderBytes = 8 * 1024;
inline constexpr size_t kDefaultMaxBodyBytes = 64 * 1024;
inline constexpr std::chrono::milliseconds kDefaultRequestTimeout{10'000};
inline constexpr std::chrono::milliseconds kDefaultIdleTimeout{60'000};
inline constexpr std::chrono::milliseconds kDefaultHandshakeTimeout{10'000};
inline constexpr size_t kDefaultMaxConnections = 1024;
inline constexpr std::chrono::milliseconds kDefaultShutdownGrace{10'000};

struct HttpServerOptions {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal
  uint16_t port = 0;                  // 0 = ephemeral; see HttpServer::port()
  TlsServerOptions tls;
  size_t max_header_bytes = kDefaultMaxHeaderBytes;
  size_t max_body_bytes = kDefaultMaxBodyBytes;
  // Whole request read, headers and body, from its first byte.
  std::chrono::milliseconds request_timeout = kDefaultRequestTimeout;
  // Wait for the next request on a keep-alive connection.
  std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout;
  std::chrono::milliseconds handshake_timeout = kDefaultHandshakeTimeout;
  size_t max_connections = kDefaultMaxConnections;
  int io_threads = 2;
  int handler_threads = 32;
  // How long Shutdown() waits for in-flight requests before closing
  // connections forcibly.
  std::chrono::milliseconds shutdown_grace = kDefaultShutdownGrace;
  std::string server_header = "kura";
  // Source of request ids. Not owned; must outlive the server. Null means
  // the server uses its own OsRandom.
  Random* random = nullptr;
};

// Counters since Start(). A snapshot; values may move between fields.
struct HttpServerStats {
  uint64_t connections_accepted = 0;  // admitted (below max_connections)
  uint64_t connections_rejected = 0;  // closed at once: over the limit
  uint64_t active_connections = 0;
  uint64_t requests = 0;              // complete requests handed to the handler
  uint64_t inline_requests = 0;       // of those, run on an I/O thread
  uint64_t deferred_requests = 0;     // of those, given to the DeferredHandler
  uint64_t error_responses = 0;       // 400/413/431 answered by the server itself
};

class HttpServer {
 public:
  // Validates `options` and loads the TLS certificate and key (nothing is
  // bound yet). `handler` is called for every well-formed request, on the
  // handler pool, or on the I/O thread for requests for which `runs_inline`
  // (optional) returns true (a policy that throws counts as false).
  // Requests for which `is_deferred` (optional, with `deferred`) returns true
  // go to `deferred` instead, on the I/O thread; their response is written
  // when the Responder is used (see DeferredHandler).
  // Errors: kInvalidArgument for bad options (zero limits or thread counts,
  // empty handler, only one of deferred/is_deferred) or TLS files that
  // cannot be loaded (see TlsContext).
  static Result<std::unique_ptr<HttpServer>> Create(HttpServerOptions options, Handler handler,
                                                    InlinePolicy runs_inline = nullptr,
                                                    DeferredHandler deferred = nullptr,
                                                    DeferredPolicy is_deferred = nullptr);

  // Shuts down (see Shutdown) if still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O and handler threads.
  // Errors: kInvalidArgument for an unparsable address; kUnavailable
  // "cannot listen on <address>:<port>: <reason>" when binding fails;
  // kFailedPrecondition if called twice.
  Status Start();

  // The bound port (useful with port 0), or 0 before Start().
  uint16_t port() const;

  // Graceful stop: stops accepting (new connections are refused), closes
  // idle and half-read connections, lets requests already handed to the
  // handler finish and be answered (with Connection: close) for up to
  // shutdown_grace, then closes whatever is left, and returns once all
  // threads have stopped. A handler still blocked after the grace period
  // delays the return until it finishes (threads cannot be killed safely).
  // Idempotent; a no-op before Start(). Must not be called from a Handler
  // (it waits for the handler pool).
  void Shutdown();

  HttpServerStats stats() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kura::http

#endif  // KURA_CORE_HTTP_HTTP_SERVER_H_
