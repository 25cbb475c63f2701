#include "core/http/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "core/base/secret.h"
#include "core/http/json_error.h"
#include "core/http/url.h"

namespace kura::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

// After a final response we half-close and read (discarding) what the
// client is still sending, so that closing with unread data does not turn
// into a TCP RST that destroys the response before the client reads it
// (e.g. a 413 sent while the oversized body is still arriving).
constexpr std::chrono::milliseconds kLingerTimeout{500};
constexpr size_t kMaxLingerBytes = 1 << 20;
constexpr size_t kIdleReadChunk = 4096;
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};
constexpr std::chrono::milliseconds kIoDrainTimeout{1000};
// Request ids are 16 random bytes; they are drawn from the Random in blocks
// of this many ids (one Fill call, i.e. one RAND_bytes, per block instead of
// per request).
constexpr size_t kRequestIdBytes = 16;
constexpr size_t kRequestIdsPerFill = 64;

std::string FormatPeer(const tcp::endpoint& ep) {
  const auto addr = ep.address();
  std::string host = addr.to_string();
  if (addr.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

}  // namespace

class ServerSession;

// A deferred answer's build function, run exactly once: on the connection's
// strand normally; if the answer comes after the server stopped its I/O
// threads (the work outlived the shutdown grace period), its posted handler
// never runs and is destroyed with the io_context — then the build runs
// here, so its side effects (the vault's audit event for a card that was
// stored) still happen; the response itself is dropped.
class PendingAnswer {
 public:
  explicit PendingAnswer(std::function<HttpResponse()> build) : build_(std::move(build)) {}
  PendingAnswer(const PendingAnswer&) = delete;
  PendingAnswer& operator=(const PendingAnswer&) = delete;
  ~PendingAnswer() {
    if (build_) Build();
  }

  HttpResponse Build() {
    std::function<HttpResponse()> build = std::move(build_);
    build_ = nullptr;
    try {
      return build();
    } catch (...) {
      // The exception text may mention request data; it is not forwarded.
      return InternalErrorResponse();
    }
  }

 private:
  std::function<HttpResponse()> build_;
};

struct HttpServer::Impl {
  Impl(HttpServerOptions opts, Handler h, InlinePolicy policy, DeferredHandler d,
       DeferredPolicy d_policy, std::unique_ptr<TlsContext> ctx)
      : options(std::move(opts)),
        handler(std::move(h)),
        runs_inline(std::move(policy)),
        deferred(std::move(d)),
        is_deferred(std::move(d_policy)),
        tls(std::move(ctx)),
        random(options.random != nullptr ? options.random : &own_random),
        ioc(std::max(1, options.io_threads)) {}

  void DoAccept();
  void OnAccept(const error_code& ec, tcp::socket socket);
  void Unregister(uint64_t id);
  std::vector<std::shared_ptr<ServerSession>> LiveSessions();
  std::string NewRequestId();
  HttpResponse RunHandler(const HttpRequest& request) const;
  bool RunsInline(const HttpRequest& request) const;
  bool IsDeferred(const HttpRequest& request) const;

  const HttpServerOptions options;
  const Handler handler;
  const InlinePolicy runs_inline;  // may be empty
  const DeferredHandler deferred;   // may be empty (then is_deferred is too)
  const DeferredPolicy is_deferred;
  const std::unique_ptr<TlsContext> tls;
  OsRandom own_random;
  Random* const random;

  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> inline_requests{0};
  std::atomic<uint64_t> deferred_requests{0};
  std::atomic<uint64_t> error_responses{0};
  std::atomic<uint64_t> fallback_request_ids{0};
  std::mutex id_mu;
  std::array<uint8_t, kRequestIdBytes * kRequestIdsPerFill> id_pool{};  // guarded by id_mu
  size_t id_pool_next = kRequestIdBytes * kRequestIdsPerFill;          // guarded by id_mu
  std::atomic<bool> shutting_down{false};
  std::atomic<uint16_t> bound_port{0};

  // Declared before `ioc`: sessions still queued in the io_context when it
  // is destroyed unregister themselves here.
  mutable std::mutex mu;
  std::condition_variable drained;
  std::unordered_map<uint64_t, std::weak_ptr<ServerSession>> sessions;  // guarded by mu
  uint64_t active = 0;                                                   // guarded by mu
  uint64_t next_session_id = 0;                                          // guarded by mu

  bool started = false;  // owner thread only
  bool stopped = false;  // owner thread only

  net::io_context ioc;
  // Declared after `ioc`, so destroyed before it.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::unique_ptr<tcp::acceptor> acceptor;          // used on its own strand
  std::unique_ptr<net::steady_timer> accept_retry;  // same strand
  std::unique_ptr<net::thread_pool> handler_pool;
  std::vector<std::thread> io_threads;
};

// One TLS connection. All members are used only on the connection's strand
// (the executor of its socket), except server_ and the immutable id_.
class ServerSession : public std::enable_shared_from_this<ServerSession> {
 public:
  ServerSession(HttpServer::Impl& server, uint64_t id, tcp::socket socket)
      : server_(server), id_(id), stream_(std::move(socket), server.tls->asio_context()) {}
  ~ServerSession() { server_.Unregister(id_); }

  void Start() {
    error_code ec;
    const tcp::endpoint ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) peer_ = FormatPeer(ep);
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&ServerSession::DoHandshake, shared_from_this()));
  }

  // Runs on the strand. Connections that are not processing a request are
  // closed; those whose request is with the handler finish it first.
  void OnServerShutdown() {
    if (state_ == State::kHandshake || state_ == State::kIdle || state_ == State::kReading) {
      CloseNow();
    }
  }

  void CloseNow() {
    state_ = State::kClosed;
    auto& lowest = beast::get_lowest_layer(stream_);
    error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest.close();
  }

  net::any_io_executor executor() { return stream_.get_executor(); }

 private:
  enum class State { kHandshake, kIdle, kReading, kHandling, kWriting, kLingering, kClosed };

  void DoHandshake() {
    if (server_.shutting_down.load()) return CloseNow();
    beast::get_lowest_layer(stream_).expires_after(server_.options.handshake_timeout);
    stream_.async_handshake(
        net::ssl::stream_base::server,
        beast::bind_front_handler(&ServerSession::OnHandshake, shared_from_this()));
  }

  void OnHandshake(error_code ec) {
    if (ec || state_ == State::kClosed) return CloseNow();
    client_cert_ = VerifiedPeerCertificate(stream_.native_handle());
    ReadNext(/*first=*/true);
  }

  void ReadNext(bool first) {
    if (server_.shutting_down.load()) return CloseNow();
    if (buffer_.size() == 0 && parsed_bytes_ > 0) {
      // The previous request's raw bytes (a PAN in a body, an API key in a
      // header) stay in the read buffer after parsing. It is empty now, so
      // the next write starts at its beginning, where they lie (unless
      // requests were pipelined): wipe them. (Storage the buffer left behind
      // when it grew is freed unwiped.)
      const auto storage = buffer_.prepare(std::min(parsed_bytes_, buffer_.capacity()));
      SecureZero(storage.data(), storage.size());
    }
    parsed_bytes_ = 0;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<size_t>(server_.options.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(static_cast<std::uint64_t>(server_.options.max_body_bytes));
    if (!first && buffer_.size() == 0) {
      // Between requests the (long) idle timeout applies; the request
      // timeout starts with the next request's first byte.
      state_ = State::kIdle;
      beast::get_lowest_layer(stream_).expires_after(server_.options.idle_timeout);
      stream_.async_read_some(
          buffer_.prepare(kIdleReadChunk),
          [self = shared_from_this()](error_code ec, size_t n) { self->OnIdleRead(ec, n); });
      return;
    }
    ReadRequest();
  }

  void OnIdleRead(error_code ec, size_t n) {
    if (ec || state_ == State::kClosed) return CloseNow();
    buffer_.commit(n);
    ReadRequest();
  }

  void ReadRequest() {
    state_ = State::kReading;
    beast::get_lowest_layer(stream_).expires_after(server_.options.request_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&ServerSession::OnRead, shared_from_this()));
  }

  void OnRead(error_code ec, size_t bytes) {
    parsed_bytes_ += bytes;
    if (state_ == State::kClosed) return CloseNow();
    if (ec == bhttp::error::header_limit) {
      return SendError(431, "header_too_large", "request header too large");
    }
    if (ec == bhttp::error::body_limit) {
      return SendError(413, "body_too_large", "request body too large");
    }
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
      return CloseNow();
    }
    if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
      return SendError(400, "bad_request", "malformed HTTP request");
    }
    // Timeouts (beast::error::timeout: the socket is already closed, so no
    // 408 can be sent), resets and TLS errors.
    if (ec) return CloseNow();

    state_ = State::kHandling;
    beast::get_lowest_layer(stream_).expires_never();
    bhttp::request<bhttp::string_body> message = parser_->release();
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    HttpRequest request = BuildRequest(std::move(message));
    server_.requests.fetch_add(1);
    if (server_.IsDeferred(request)) return RunDeferred(std::move(request));
    if (server_.RunsInline(request)) {
      // We are on the connection's strand: answer right here.
      server_.inline_requests.fetch_add(1);
      HttpResponse response = server_.RunHandler(request);
      WipeBody(request.body);
      return Write(std::move(response), request.request_id);
    }
    net::post(*server_.handler_pool,
              [self = shared_from_this(), request = std::move(request)]() mutable {
                HttpResponse response = self->server_.RunHandler(request);
                WipeBody(request.body);
                net::post(self->executor(), [self, response = std::move(response),
                                             id = std::move(request.request_id)]() mutable {
                  self->Write(std::move(response), id);
                });
              });
  }

  // The DeferredHandler starts the work; the Responder posts the answer's
  // build function back to this connection's strand. The session lives as
  // long as the Responder (it holds `self`).
  void RunDeferred(HttpRequest request) {
    server_.deferred_requests.fetch_add(1);
    Responder responder([self = shared_from_this(), id = request.request_id](
                            std::function<HttpResponse()> build) {
      auto answer = std::make_shared<PendingAnswer>(std::move(build));
      net::post(self->executor(), [self, id, answer] { self->Write(answer->Build(), id); });
    });
    try {
      server_.deferred(request, std::move(responder));
    } catch (...) {
      // The handler's copies of the responder are gone with the exception;
      // the last one answers 500.
    }
    WipeBody(request.body);  // the handler has taken what it needs
  }

  // Request and response bodies may hold card data (a store's PAN, a
  // reveal's answer): zeroized once done with, not just freed.
  static void WipeBody(std::string& body) {
    SecureZero(body.data(), body.size());
    body.clear();
  }

  HttpRequest BuildRequest(bhttp::request<bhttp::string_body>&& message) {
    HttpRequest r;
    r.method = std::string(message.method_string());
    r.target = std::string(message.target());
    const SplitTarget split = SplitRequestTarget(r.target);
    r.path = std::string(split.path);
    r.query = ParseQuery(split.query);
    for (const auto& field : message) {
      std::string name = Lower(field.name_string());
      auto [it, inserted] = r.headers.emplace(std::move(name), std::string(field.value()));
      if (!inserted) {
        it->second += ", ";
        it->second += field.value();
      }
    }
    r.body = std::move(message.body());
    r.peer = peer_;
    r.client_cert = client_cert_;
    r.request_id = server_.NewRequestId();
    return r;
  }

  void SendError(int status, std::string_view code, std::string_view message) {
    server_.error_responses.fetch_add(1);
    keep_alive_ = false;
    version_ = 11;
    Write(JsonError(status, code, message), server_.NewRequestId());
  }

  void Write(HttpResponse response, const std::string& request_id) {
    if (state_ == State::kClosed) return;
    state_ = State::kWriting;
    try {
      BuildResponse(std::move(response), request_id);
    } catch (const std::exception&) {
      // Beast throws for oversized header fields and inconsistent bodies;
      // the handler's response cannot be sent as is.
      keep_alive_ = false;
      BuildResponse(InternalErrorResponse(), request_id);
    }
    beast::get_lowest_layer(stream_).expires_after(server_.options.request_timeout);
    bhttp::async_write(stream_, response_,
                       beast::bind_front_handler(&ServerSession::OnWrite, shared_from_this()));
  }

  void BuildResponse(HttpResponse response, const std::string& request_id) {
    int status = response.status;
    if (status < 100 || status > 599) status = 500;
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(status));
    response_.set(bhttp::field::server, server_.options.server_header);
    if (!response.content_type.empty() && !HasLineBreak(response.content_type)) {
      response_.set(bhttp::field::content_type, response.content_type);
    }
    response_.set("X-Request-Id", request_id);
    bool has_cache_control = false;
    for (const auto& [name, value] : response.headers) {
      // A handler must not be able to smuggle extra headers or a body.
      if (name.empty() || HasLineBreak(name) || HasLineBreak(value)) continue;
      if (Lower(name) == "cache-control") has_cache_control = true;
      response_.insert(name, value);
    }
    if (!has_cache_control) response_.set(bhttp::field::cache_control, "no-store");
    if (status == 204 || status == 304 || status < 200) response.body.clear();
    response_.body() = std::move(response.body);
    response_.keep_alive(keep_alive_ && !server_.shutting_down.load());
    response_.prepare_payload();
  }

  void OnWrite(error_code ec, size_t /*bytes*/) {
    WipeBody(response_.body());
    if (ec || state_ == State::kClosed) return CloseNow();
    if (response_.keep_alive() && !server_.shutting_down.load()) return ReadNext(false);
    LingeringClose();
  }

  void LingeringClose() {
    state_ = State::kLingering;
    auto& lowest = beast::get_lowest_layer(stream_);
    error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest.expires_after(kLingerTimeout);
    Drain();
  }

  void Drain() {
    beast::get_lowest_layer(stream_).async_read_some(
        net::buffer(drain_), [self = shared_from_this()](error_code ec, size_t n) {
          self->drained_ += n;
          if (ec || self->drained_ > kMaxLingerBytes || self->state_ == State::kClosed) {
            return self->CloseNow();
          }
          self->Drain();
        });
  }

  HttpServer::Impl& server_;
  const uint64_t id_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  size_t parsed_bytes_ = 0;  // read-buffer bytes the parser consumed since the last wipe
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;
  std::string peer_;
  std::optional<ClientCert> client_cert_;
  State state_ = State::kHandshake;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  std::array<char, 4096> drain_{};
  size_t drained_ = 0;
};

void HttpServer::Impl::DoAccept() {
  acceptor->async_accept(net::make_strand(ioc), [this](error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void HttpServer::Impl::OnAccept(const error_code& ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
  if (ec) {
    // EMFILE and friends: back off briefly instead of spinning.
    accept_retry->expires_after(kAcceptRetryDelay);
    accept_retry->async_wait([this](error_code wait_ec) {
      if (!wait_ec && acceptor->is_open()) DoAccept();
    });
    return;
  }
  std::shared_ptr<ServerSession> session;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!shutting_down.load() && active < options.max_connections) {
      const uint64_t id = next_session_id++;
      session = std::make_shared<ServerSession>(*this, id, std::move(socket));
      sessions.emplace(id, session);
      ++active;
    }
  }
  if (session) {
    accepted.fetch_add(1);
    session->Start();
  } else {
    rejected.fetch_add(1);
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }
  DoAccept();
}

void HttpServer::Impl::Unregister(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu);
  sessions.erase(id);
  --active;
  drained.notify_all();
}

std::vector<std::shared_ptr<ServerSession>> HttpServer::Impl::LiveSessions() {
  std::vector<std::shared_ptr<ServerSession>> out;
  std::lock_guard<std::mutex> lock(mu);
  for (auto& [id, weak] : sessions) {
    if (auto s = weak.lock()) out.push_back(std::move(s));
  }
  return out;
}

std::string HttpServer::Impl::NewRequestId() {
  std::array<uint8_t, kRequestIdBytes> bytes{};
  {
    std::lock_guard<std::mutex> lock(id_mu);
    if (id_pool_next == id_pool.size()) {
      if (!random->Fill(id_pool).ok()) {
        // Request ids correlate logs; they are not secrets, so a counter is
        // an acceptable fallback if the CSPRNG hiccups.
        return "fallback-" + std::to_string(fallback_request_ids.fetch_add(1));
      }
      id_pool_next = 0;
    }
    std::copy_n(id_pool.begin() + static_cast<std::ptrdiff_t>(id_pool_next), bytes.size(),
                bytes.begin());
    id_pool_next += bytes.size();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 0xf]);
  }
  return id;
}

HttpResponse HttpServer::Impl::RunHandler(const HttpRequest& request) const {
  try {
    return handler(request);
  } catch (...) {
    // The exception text may mention request data; it is not forwarded.
    return InternalErrorResponse();
  }
}

bool HttpServer::Impl::IsDeferred(const HttpRequest& request) const {
  if (!is_deferred) return false;
  try {
    return is_deferred(request);
  } catch (...) {
    return false;  // when in doubt, the ordinary handler
  }
}

bool HttpServer::Impl::RunsInline(const HttpRequest& request) const {
  if (!runs_inline) return false;
  try {
    return runs_inline(request);
  } catch (...) {
    return false;  // when in doubt, the handler pool (where blocking is allowed)
  }
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Create(HttpServerOptions options,
                                                       Handler handler,
                                                       InlinePolicy runs_inline,
                                                       DeferredHandler deferred,
                                                       DeferredPolicy is_deferred) {
  if (!handler) return InvalidArgumentError("HTTP server needs a handler");
  if (static_cast<bool>(deferred) != static_cast<bool>(is_deferred)) {
    return InvalidArgumentError("HTTP server: a deferred handler needs its policy, and back");
  }
  if (options.max_header_bytes == 0 || options.max_body_bytes == 0 ||
      options.max_connections == 0) {
    return InvalidArgumentError("HTTP server limits must be positive");
  }
  if (options.io_threads < 1 || options.handler_threads < 1) {
    return InvalidArgumentError("HTTP server thread counts must be positive");
  }
  if (options.request_timeout.count() <= 0 || options.idle_timeout.count() <= 0 ||
      options.handshake_timeout.count() <= 0 || options.shutdown_grace.count() < 0) {
    return InvalidArgumentError("HTTP server timeouts must be positive");
  }
  if (HasLineBreak(options.server_header)) {
    return InvalidArgumentError("server_header must be a single line");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<TlsContext> tls, TlsContext::CreateServer(options.tls));
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler),
                                     std::move(runs_inline), std::move(deferred),
                                     std::move(is_deferred), std::move(tls));
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

Status HttpServer::Start() {
  Impl& s = *impl_;
  if (s.started) return FailedPreconditionError("HTTP server already started");
  const std::string where = s.options.address + ":" + std::to_string(s.options.port);
  error_code ec;
  const net::ip::address address = net::ip::make_address(s.options.address, ec);
  if (ec) return InvalidArgumentError("invalid listen address: " + s.options.address);
  const tcp::endpoint endpoint(address, s.options.port);

  s.acceptor = std::make_unique<tcp::acceptor>(net::make_strand(s.ioc));
  s.accept_retry = std::make_unique<net::steady_timer>(s.acceptor->get_executor());
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    const std::string why = ec.message();
    s.acceptor->close(ec);
    return UnavailableError("cannot listen on " + where + ": " + why);
  }
  const tcp::endpoint local = s.acceptor->local_endpoint(ec);
  if (ec) return UnavailableError("cannot listen on " + where + ": " + ec.message());
  s.bound_port.store(local.port());

  s.started = true;
  s.handler_pool = std::make_unique<net::thread_pool>(static_cast<size_t>(s.options.handler_threads));
  s.work.emplace(s.ioc.get_executor());
  s.DoAccept();
  for (int i = 0; i < s.options.io_threads; ++i) {
    s.io_threads.emplace_back([&s] {
      while (true) {
        try {
          s.ioc.run();
          return;
        } catch (...) {
          // Completion handlers do not throw by design; if one ever does,
          // keep serving the other connections rather than dying.
        }
      }
    });
  }
  return OkStatus();
}

uint16_t HttpServer::port() const { return impl_->bound_port.load(); }

HttpServerStats HttpServer::stats() const {
  HttpServerStats out;
  out.connections_accepted = impl_->accepted.load();
  out.connections_rejected = impl_->rejected.load();
  out.requests = impl_->requests.load();
  out.inline_requests = impl_->inline_requests.load();
  out.deferred_requests = impl_->deferred_requests.load();
  out.error_responses = impl_->error_responses.load();
  std::lock_guard<std::mutex> lock(impl_->mu);
  out.active_connections = impl_->active;
  return out;
}

void HttpServer::Shutdown() {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.shutting_down.store(true);

  // 1. Stop accepting; wait so that connections refused from here on are
  //    refused by the kernel.
  std::promise<void> closed;
  net::post(s.acceptor->get_executor(), [&s, &closed] {
    error_code ignored;
    s.acceptor->close(ignored);
    s.accept_retry->cancel();
    closed.set_value();
  });
  closed.get_future().wait();

  // 2. Close connections that are not processing a request.
  for (auto& session : s.LiveSessions()) {
    net::post(session->executor(), [session] { session->OnServerShutdown(); });
  }

  // 3. Give in-flight requests the grace period, then force.
  auto all_closed = [&s] { return s.active == 0; };
  {
    std::unique_lock<std::mutex> lock(s.mu);
    s.drained.wait_for(lock, s.options.shutdown_grace, all_closed);
  }
  for (auto& session : s.LiveSessions()) {
    net::post(session->executor(), [session] { session->CloseNow(); });
  }
  s.handler_pool->join();
  {
    std::unique_lock<std::mutex> lock(s.mu);
    s.drained.wait_for(lock, kIoDrainTimeout, all_closed);
  }
  s.work.reset();
  s.ioc.stop();
  for (auto& t : s.io_threads) t.join();
  s.io_threads.clear();
}

}  // namespace kura::http
