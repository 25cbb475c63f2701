#include "logs/ingest/syslog_server.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "logs/ingest/syslog_parser.h"
#include "logs/record/event_mapper.h"

namespace kura::logs {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

// Backoff while ingest refuses (disk full, failed fsync).
constexpr std::chrono::milliseconds kRetryMin{50};
constexpr std::chrono::milliseconds kRetryMax{2000};

}  // namespace

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void Close() = 0;
};

struct SyslogServer::Impl {
  Impl(SyslogServerOptions o, Ingestor& i, const Clock& c)
      : options(std::move(o)), ingestor(i), clock(c) {}

  const SyslogServerOptions options;
  Ingestor& ingestor;
  const Clock& clock;
  std::unique_ptr<http::TlsContext> tls;

  // Declared before ioc: a session whose last reference is a handler that
  // never ran (posted after the I/O threads ran out of work) is destroyed by
  // ioc's destructor, and its destructor uses these.
  std::mutex mu;
  std::map<uint64_t, std::weak_ptr<SessionBase>> sessions;  // GUARDED_BY(mu)
  uint64_t next_id = 1;                                     // GUARDED_BY(mu)
  bool closing = false;                                     // GUARDED_BY(mu)

  std::atomic<uint64_t> accepted{0}, rejected_conns{0}, active{0}, received{0}, rejected_msgs{0};

  net::io_context ioc;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<uint16_t> bound_port{0};
  bool started = false;
  bool stopped = false;

  void Accept();
  void Unregister(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu);
    sessions.erase(id);
  }
};

namespace {

template <typename Stream>
class Session final : public SessionBase,
                      public std::enable_shared_from_this<Session<Stream>>,
                      private SyslogFramer::Sink {
 public:
  Session(SyslogServer::Impl& server, uint64_t id, Stream stream, std::string peer)
      : server_(server),
        id_(id),
        stream_(std::move(stream)),
        timer_(stream_.get_executor()),
        retry_timer_(stream_.get_executor()),
        peer_(std::move(peer)),
        framer_(server.options.max_message_bytes),
        // Not zero-filled: an idle connection's buffer occupies no memory
        // until data is read into it.
        buffer_(std::make_unique_for_overwrite<char[]>(server.options.read_buffer_bytes)) {}

  ~Session() override {
    server_.active.fetch_sub(1);
    server_.Unregister(id_);
  }

  void Start() {
    if constexpr (kTls) {
      ArmTimer(server_.options.handshake_timeout);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) {
                                self->timer_.cancel();
                                if (ec || self->closed_) return self->Shutdown();
                                self->MaybeRead();
                              });
    } else {
      MaybeRead();
    }
  }

  // From any thread: stop reading; a submitted batch still completes, and
  // what was already read and parsed is submitted after it.
  void Close() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->closed_ = true;
      self->keep_reading_ = false;
      self->retry_timer_.cancel();
      self->MaybeFinish();
      // A pending read is cancelled by closing the socket once nothing is in
      // flight (MaybeFinish); until then it may still deliver data, which is
      // parsed and submitted like the rest.
    });
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

  tcp::socket::lowest_layer_type& Socket() { return stream_.lowest_layer(); }

  void ArmTimer(std::chrono::milliseconds after) {
    timer_.expires_after(after);
    timer_.async_wait([self = this->shared_from_this()](error_code ec) {
      if (ec != net::error::operation_aborted) self->Shutdown();
    });
  }

  void Shutdown() {
    if (shut_) return;
    shut_ = true;
    timer_.cancel();
    retry_timer_.cancel();
    error_code ignored;
    Socket().shutdown(tcp::socket::shutdown_both, ignored);
    Socket().close(ignored);
  }

  // Reads while the stream is open and the batch being gathered has room:
  // parsing the next batch overlaps with the durable write of the previous
  // one, but at most one batch is ever submitted (so a connection holds at
  // most two batches, and they are written in the order they were read).
  void MaybeRead() {
    if (reading_ || !keep_reading_ || closed_ || shut_) return;
    if (next_bytes_ >= server_.options.read_buffer_bytes) return;  // full: wait for the write
    reading_ = true;
    ArmTimer(server_.options.idle_timeout);
    stream_.async_read_some(net::buffer(buffer_.get(), server_.options.read_buffer_bytes),
                            [self = this->shared_from_this()](error_code ec, size_t n) {
                              self->OnRead(ec, n);
                            });
  }

  void OnRead(error_code ec, size_t n) {
    reading_ = false;
    timer_.cancel();
    if (shut_) return;
    context_ms_ = server_.clock.NowUnixMillis();
    if (ec) {
      framer_.Finish(*this);
      keep_reading_ = false;
    } else {
      next_bytes_ += n;
      if (!framer_.Feed(std::string_view(buffer_.get(), n), *this)) {
        keep_reading_ = false;  // bad octet count: no resync possible
      }
    }
    ReportRejects();
    if (!submitting_) SubmitNext();
    MaybeRead();
    MaybeFinish();
  }

  // SyslogFramer::Sink
  // Records are parsed into reused LogRecords (their strings keep their
  // capacity), so a busy connection parses without allocating.
  void OnMessage(std::string_view message) override {
    if (next_count_ == next_.size()) next_.emplace_back();
    Status s = parser_.Parse(message, EventContext{context_ms_, server_.options.node_id, "syslog"},
                             &next_[next_count_]);
    if (s.ok()) {
      ++next_count_;
    } else {
      Reject(s);
    }
  }
  void OnFramingError(const Status& error) override { Reject(error); }

  void Reject(const Status& s) {
    if (rejected_ == 0) first_error_ = s;
    ++rejected_;
  }

  void ReportRejects() {
    if (rejected_ == 0) return;
    server_.rejected_msgs.fetch_add(rejected_);
    server_.ingestor.CountRejected(rejected_);
    if (server_.options.on_reject) server_.options.on_reject(peer_, rejected_, first_error_);
    rejected_ = 0;
  }

  // Moves the gathered records into the (idle) submission slot and submits.
  void SubmitNext() {
    next_bytes_ = 0;
    if (next_count_ == 0) return;
    batch_.swap(next_);
    batch_count_ = next_count_;
    next_count_ = 0;
    Submit();
  }

  void Submit() {
    submitting_ = true;
    server_.ingestor.SubmitAsync(std::span<LogRecord>(batch_.data(), batch_count_),
                                 [self = this->shared_from_this()](const Status& s) {
      net::post(self->stream_.get_executor(), [self, s] { self->OnSubmitted(s); });
    });
  }

  void OnSubmitted(const Status& s) {
    submitting_ = false;
    if (s.ok()) {
      server_.received.fetch_add(batch_count_);
      batch_count_ = 0;
      retry_delay_ = kRetryMin;
      SubmitNext();
      MaybeRead();
      MaybeFinish();
      return;
    }
    // Fail closed: keep the batch, retry until durable; the connection is
    // read only until the next batch is full (TCP backpressure).
    if (closed_) return Shutdown();  // never acknowledged: the sender's to resend
    submitting_ = true;               // the slot stays taken while waiting
    retry_timer_.expires_after(retry_delay_);
    retry_delay_ = std::min(retry_delay_ * 2, kRetryMax);
    retry_timer_.async_wait([self = this->shared_from_this()](error_code) {
      if (self->closed_ || self->shut_) return self->Shutdown();
      self->Submit();
    });
    MaybeRead();
  }

  // Closes the connection once the stream has ended (EOF, error, bad octet
  // count or Close) and everything read is durable.
  void MaybeFinish() {
    if (keep_reading_ && !closed_) return;
    if (submitting_) return;
    if (next_count_ > 0) return SubmitNext();
    Shutdown();
  }

  SyslogServer::Impl& server_;
  const uint64_t id_;
  Stream stream_;
  net::steady_timer timer_;        // idle / handshake timeout
  net::steady_timer retry_timer_;  // backoff while ingest refuses
  const std::string peer_;
  SyslogFramer framer_;
  std::unique_ptr<char[]> buffer_;  // read_buffer_bytes
  SyslogParser parser_;
  std::vector<LogRecord> batch_;  // [0, batch_count_) submitted (or to be resubmitted)
  std::vector<LogRecord> next_;   // [0, next_count_) parsed, not yet submitted
  size_t batch_count_ = 0;
  size_t next_count_ = 0;
  size_t next_bytes_ = 0;         // raw bytes read into next_
  int64_t context_ms_ = 0;
  uint64_t rejected_ = 0;
  Status first_error_;
  bool keep_reading_ = true;
  bool reading_ = false;
  bool submitting_ = false;
  bool closed_ = false;
  bool shut_ = false;
  std::chrono::milliseconds retry_delay_ = kRetryMin;
};

std::string PeerOf(const tcp::socket& s) {
  error_code ec;
  tcp::endpoint ep = s.remote_endpoint(ec);
  if (ec) return "unknown";
  const std::string addr = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + addr + "]" : addr) + ":" + std::to_string(ep.port());
}

}  // namespace

void SyslogServer::Impl::Accept() {
  acceptor->async_accept(net::make_strand(ioc), [this](error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
    if (!ec) {
      if (active.load() >= options.max_connections) {
        rejected_conns.fetch_add(1);
        error_code ignored;
        socket.close(ignored);
      } else {
        active.fetch_add(1);  // the session's destructor gives it back
        const std::string peer = PeerOf(socket);
        socket.set_option(tcp::no_delay(true), ec);
        std::shared_ptr<SessionBase> session;
        std::function<void()> start;
        uint64_t id = 0;
        {
          std::lock_guard<std::mutex> lock(mu);
          id = next_id++;
        }
        if (tls) {
          using TlsStream = net::ssl::stream<tcp::socket>;
          auto p = std::make_shared<Session<TlsStream>>(
              *this, id, TlsStream(std::move(socket), tls->asio_context()), peer);
          start = [p] { p->Start(); };
          session = p;
        } else {
          auto p = std::make_shared<Session<tcp::socket>>(*this, id, std::move(socket), peer);
          start = [p] { p->Start(); };
          session = p;
        }
        bool closing_now = false;
        {
          std::lock_guard<std::mutex> lock(mu);
          closing_now = closing;
          if (!closing_now) sessions[id] = session;
        }
        if (!closing_now) {
          accepted.fetch_add(1);
          start();
        }
      }
    }
    Accept();
  });
}

SyslogServer::SyslogServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SyslogServer::~SyslogServer() { Shutdown(); }

Result<std::unique_ptr<SyslogServer>> SyslogServer::Create(SyslogServerOptions options,
                                                           Ingestor& ingestor, const Clock& clock) {
  if (options.max_message_bytes == 0 || options.max_message_bytes > kMaxEventBytes) {
    return InvalidArgumentError("syslog: max_message_bytes must be in 1.." +
                                std::to_string(kMaxEventBytes));
  }
  if (options.max_connections == 0 || options.io_threads < 1 || options.read_buffer_bytes < 4096 ||
      options.idle_timeout.count() <= 0 || options.handshake_timeout.count() <= 0) {
    return InvalidArgumentError("syslog: limits and thread counts must be positive");
  }
  auto impl = std::make_unique<Impl>(std::move(options), ingestor, clock);
  if (impl->options.tls) {
    ASSIGN_OR_RETURN(impl->tls, http::TlsContext::CreateServer(impl->options.tls_options));
  }
  return std::unique_ptr<SyslogServer>(new SyslogServer(std::move(impl)));
}

Status SyslogServer::Start() {
  Impl& s = *impl_;
  if (s.started) return FailedPreconditionError("syslog server already started");
  error_code ec;
  const net::ip::address addr = net::ip::make_address(s.options.address, ec);
  if (ec) return InvalidArgumentError("syslog: bad listen address");
  const tcp::endpoint ep(addr, s.options.port);
  s.acceptor = std::make_unique<tcp::acceptor>(net::make_strand(s.ioc));
  s.acceptor->open(ep.protocol(), ec);
  if (!ec) s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(ep, ec);
  if (!ec) s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return UnavailableError("cannot listen on " + s.options.address + ":" +
                            std::to_string(s.options.port) + ": " + ec.message());
  }
  s.bound_port = s.acceptor->local_endpoint().port();
  s.started = true;
  s.Accept();
  for (int i = 0; i < s.options.io_threads; ++i) s.threads.emplace_back([&s] { s.ioc.run(); });
  return OkStatus();
}

uint16_t SyslogServer::port() const { return impl_->bound_port.load(); }

void SyslogServer::Shutdown() {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  net::post(s.acceptor->get_executor(), [&s] {
    error_code ignored;
    s.acceptor->close(ignored);
  });
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.closing = true;
    for (auto& [id, weak] : s.sessions) {
      if (auto p = weak.lock()) live.push_back(std::move(p));
    }
  }
  for (auto& p : live) p->Close();
  live.clear();
  // The io_context runs out of work once every session has finished.
  for (std::thread& t : s.threads) t.join();
  s.threads.clear();
}

SyslogServerStats SyslogServer::stats() const {
  const Impl& s = *impl_;
  SyslogServerStats out;
  out.connections_accepted = s.accepted.load();
  out.connections_rejected = s.rejected_conns.load();
  out.active_connections = s.active.load();
  out.messages_received = s.received.load();
  out.messages_rejected = s.rejected_msgs.load();
  return out;
}

}  // namespace kura::logs
