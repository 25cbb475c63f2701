#include "logs/server/logs_server.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/audit/audit_log.h"
#include "core/auth/api_key_store.h"
#include "core/auth/authenticator.h"
#include "core/blob/local_blob_store.h"
#include "core/http/http_server.h"
#include "core/http/router.h"
#include "logs/archive/archive.h"
#include "logs/archive/retention.h"
#include "logs/archive/digest_keys.h"
#include "logs/ingest/file_tailer.h"
#include "logs/ingest/http_ingest.h"
#include "logs/search/search_http.h"
#include "logs/ingest/syslog_server.h"
#include "logs/ingest/wal.h"
#include "logs/ingest/wal_reader.h"
#include "logs/record/timestamp.h"
#include "logs/server/ingest_audit_sink.h"

namespace kura::logs {

// Nice value of the tailing thread, and of the sealing thread unless it is
// SCHED_IDLE ([seal] idle_priority).
inline constexpr int kBackgroundNice = 10;

// How often the sealing thread checks the sealing conditions.
inline constexpr std::chrono::milliseconds kSealCheckInterval{1000};
// How often a sealing node applies the retention period (and once at start).
inline constexpr std::chrono::hours kRetentionInterval{1};

struct LogsServer::Impl {
  Impl(const LogsConfig& c, LogsEnv e) : config(c), env(e) {}
  ~Impl() {
    if (self_audit) self_audit->Detach();  // before the Ingestor goes
  }
  const LogsConfig config;
  LogsEnv env;

  IngestAuditSink* self_audit = nullptr;  // owned by `audit`, when [audit] store
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<LocalBlobStore> blobs;
  std::unique_ptr<Archive> archive;
  std::unique_ptr<Wal> wal;
  std::unique_ptr<Ingestor> ingestor;
  std::unique_ptr<auth::ApiKeyStore> api_keys;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<HttpIngest> http_ingest;
  std::unique_ptr<LocalBlobStore> search_blobs;  // read-only view when sealing is off
  std::unique_ptr<SearchEngine> search;
  std::unique_ptr<SearchHttp> search_http;
  std::unique_ptr<http::Router> router;
  std::unique_ptr<http::HttpServer> http;
  std::unique_ptr<SyslogServer> syslog;
  std::vector<std::unique_ptr<FileTailer>> tailers;

  std::mutex seal_mu;         // one seal at a time
  uint64_t sealed_seq = 0;    // GUARDED_BY(seal_mu)
  bool seal_failing = false;  // GUARDED_BY(seal_mu)

  std::mutex bg_mu;
  std::condition_variable bg_cv;
  bool bg_stop = false;  // GUARDED_BY(bg_mu)
  std::thread sealer;  // Sealer(), when sealing is on
  std::thread tailer;  // Tailer(), when there are files to tail
  bool stopped = false;

  void Emit(std::string_view type, std::string_view outcome, std::string reason,
            std::vector<std::pair<std::string, std::string>> details = {}) {
    if (!audit) return;
    AuditEvent ev;
    ev.type = std::string(type);
    ev.outcome = std::string(outcome);
    ev.principal = "system";
    ev.origin = "local";
    ev.resource = "logs";
    ev.reason = std::move(reason);
    ev.details = std::move(details);
    audit->Emit(ev).IgnoreError();  // an audit sink failure must not stop ingest of audit logs
  }

  // Whether a segment should be sealed now: `force`, a full segment's worth
  // unsealed, or the oldest unsealed record past the maximum age or from an
  // earlier UTC day. Caller holds seal_mu.
  bool SealDue(bool force) const {
    if (wal->durable().last_seq <= sealed_seq) return false;
    if (force || wal->unsealed_bytes() >= config.seal_max_bytes) return true;
    const int64_t now = env.clock.NowUnixMillis();
    const int64_t oldest = wal->oldest_unsealed_received_ms();
    return oldest != 0 && (now - oldest >= config.seal_max_age.count() * 1000 ||
                           FormatDate(oldest) != FormatDate(now));
  }

  // Seals one segment (at most seal_max_bytes of records) if one is due.
  // *more_due tells whether another one is due right after it (a backlog),
  // so the caller can go on without waiting for its next check.
  Status Seal(bool force, bool* more_due = nullptr) {
    if (more_due != nullptr) *more_due = false;
    if (!archive) return OkStatus();
    std::lock_guard<std::mutex> lock(seal_mu);
    if (!SealDue(force)) return OkStatus();
    const ChainPosition durable = wal->durable();
    WalReadOptions o;
    o.after_seq = sealed_seq;
    o.through_seq = durable.last_seq;
    o.max_bytes = config.seal_max_bytes;
    Result<std::vector<ChainedRecord>> records = wal->ReadDurable(o);
    Status s = records.status();
    const bool progressed = s.ok() && !records->empty();
    if (progressed) {
      Result<SealResult> sealed = archive->Seal(*records);
      s = sealed.status();
      if (s.ok()) {
        sealed_seq = records->back().seq;
      } else if (Result<ArchiveTail> tail = archive->Tail(); tail.ok()) {
        sealed_seq = tail->last_seq;  // segments committed before the error stay
      }
    }
    if (Status d = wal->DropThrough(sealed_seq); s.ok()) s = d;
    if (s.ok() == seal_failing) {
      Emit("logs.seal", s.ok() ? kAuditSuccess : kAuditFailure,
           s.ok() ? "sealing resumed" : s.message());
    }
    seal_failing = !s.ok();
    if (more_due != nullptr) *more_due = progressed && s.ok() && SealDue(force);
    return s;
  }

  // Seals everything durable when called, one segment after another.
  Status SealAll() {
    if (!archive) return OkStatus();
    const uint64_t target = wal->durable().last_seq;
    for (bool more = true; more;) {
      RETURN_IF_ERROR(Seal(true, &more));
      std::lock_guard<std::mutex> lock(seal_mu);
      if (sealed_seq >= target) break;
    }
    return OkStatus();
  }

  // Deletes segments past the retention period ([logs] retention_days),
  // recorded in the digest chain and audited first (ApplyRetention). Runs on
  // the sealing thread, never concurrently with a seal.
  void ApplyRetentionNow() {
    if (!archive || !blobs) return;
    RetentionOptions o;
    o.retention_days = config.retention_days;
    o.allow_short_retention = config.allow_short_retention;
    std::lock_guard<std::mutex> guard(seal_mu);
    Result<RetentionReport> r = ApplyRetention(*archive, *blobs, env.clock, *audit, o);
    if (!r.ok()) Emit("logs.retention", kAuditFailure, r.status().message());
  }

  // Sealing (compression, index, digest) and retention: background work.
  // Under CPU contention the receivers and the group commit come first (the
  // WAL holds what is not sealed yet): with [seal] idle_priority the thread
  // is SCHED_IDLE (runs on CPU time nothing else wants), otherwise nice
  // kBackgroundNice. Linux: both are per thread, and inherited by the
  // segment builder's compression helpers.
  void Sealer() {
    sched_param idle{};
    if (!config.seal_idle_priority || sched_setscheduler(0, SCHED_IDLE, &idle) != 0) {
      setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kBackgroundNice);
    }
    auto last_retention = std::chrono::steady_clock::now();
    ApplyRetentionNow();
    // A backlog of more than one segment (after a burst, or a restart) is
    // sealed back to back, not one segment per check; stopping still gets
    // its turn between two segments.
    bool seal_backlog = false;
    std::unique_lock<std::mutex> lock(bg_mu);
    for (;;) {
      const auto wait = seal_backlog ? std::chrono::milliseconds(0) : kSealCheckInterval;
      if (bg_cv.wait_for(lock, wait, [this] { return bg_stop; })) return;
      lock.unlock();
      Seal(false, &seal_backlog).IgnoreError();  // audited on failure; retried next check
      if (std::chrono::steady_clock::now() - last_retention >= kRetentionInterval) {
        last_retention = std::chrono::steady_clock::now();
        ApplyRetentionNow();
      }
      lock.lock();
    }
  }

  // Follows the tailed files (vault audit, CLI admin audit) at nice
  // kBackgroundNice: it feeds the Ingestor like a receiver, but is polled.
  void Tailer() {
    setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kBackgroundNice);
    std::unique_lock<std::mutex> lock(bg_mu);
    for (;;) {
      if (bg_cv.wait_for(lock, config.tail_interval, [this] { return bg_stop; })) return;
      lock.unlock();
      for (auto& t : tailers) {
        Result<size_t> n = t->PollOnce();  // refused lines are retried next poll
        (void)n;
      }
      lock.lock();
    }
  }
};

namespace {

Result<std::unique_ptr<AuditLog>> OpenAudit(const LogsConfig& c, LogsEnv env,
                                            IngestAuditSink** self) {
  std::vector<std::unique_ptr<AuditSink>> sinks;
  if (c.audit_store) {
    auto sink = std::make_unique<IngestAuditSink>(env.clock, c.node_id);
    *self = sink.get();
    sinks.push_back(std::move(sink));
  }
  if (!c.audit_file.empty()) {
    ASSIGN_OR_RETURN(auto sink, FileAuditSink::Open(env.fs, c.InDataDir(c.audit_file)));
    sinks.push_back(std::move(sink));
  }
  if (c.audit_stdout) sinks.push_back(std::make_unique<StreamAuditSink>(std::cout));
  return std::make_unique<AuditLog>(env.clock, "logs", c.node_id, std::move(sinks));
}

}  // namespace

LogsServer::LogsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LogsServer::~LogsServer() { Shutdown(); }

uint16_t LogsServer::http_port() const { return impl_->http ? impl_->http->port() : 0; }
uint16_t LogsServer::syslog_port() const { return impl_->syslog ? impl_->syslog->port() : 0; }
IngestStats LogsServer::stats() const { return impl_->ingestor->stats(); }
SyslogServerStats LogsServer::syslog_stats() const {
  return impl_->syslog ? impl_->syslog->stats() : SyslogServerStats{};
}
Status LogsServer::SealNow() { return impl_->SealAll(); }

Result<std::unique_ptr<LogsServer>> LogsServer::Start(const LogsConfig& c, LogsEnv env) {
  auto impl = std::make_unique<Impl>(c, env);
  Impl& s = *impl;
  RETURN_IF_ERROR(env.fs.CreateDirs(c.data_dir, 0700));
  ASSIGN_OR_RETURN(s.audit, OpenAudit(c, env, &s.self_audit));
  auto fail = [&](const Status& st) -> Status {
    s.Emit("service.start", kAuditFailure, st.message());
    return st;
  };

  ArchiveTail tail;
  if (c.seal_enabled) {
    Result<crypto::Ed25519PrivateKey> key = LoadDigestSigningKey(env.fs, c.data_dir);
    if (!key.ok()) return fail(key.status());
    Result<std::unique_ptr<LocalBlobStore>> blobs = LocalBlobStore::Open(env.fs, c.archive_dir());
    if (!blobs.ok()) return fail(blobs.status());
    s.blobs = std::move(blobs).value();
    s.archive = std::make_unique<Archive>(*s.blobs, std::move(key).value(), env.clock);
    Result<ArchiveTail> t = s.archive->Tail();
    if (!t.ok()) return fail(t.status().WithContext("reading the archive's tail"));
    tail = *t;
    s.sealed_seq = tail.last_seq;
  }
  WalOptions wopts;
  wopts.max_file_bytes = c.wal_max_file_bytes;
  // Sealing reads the newest groups from memory (Wal::ReadDurable); without
  // sealing nothing would release them.
  wopts.max_cached_bytes =
      c.seal_enabled ? std::max(kDefaultWalCachedBytes, 2 * c.seal_max_bytes) : 0;
  Result<std::unique_ptr<Wal>> wal = Wal::Open(
      env.fs, c.wal_dir(), wopts, ChainPosition{tail.last_seq, tail.last_chain, tail.last_received_ms});
  if (!wal.ok()) return fail(wal.status().WithContext("recovering the WAL"));
  s.wal = std::move(wal).value();

  IngestorOptions iopts;
  iopts.max_pending_bytes = c.wal_max_pending_bytes;
  iopts.on_state_change = [&s](bool refusing, const Status& st) {
    s.Emit(refusing ? "logs.ingest.refuse" : "logs.ingest.resume",
           refusing ? kAuditFailure : kAuditSuccess, refusing ? st.message() : "accepting events");
  };
  s.ingestor = std::make_unique<Ingestor>(*s.wal, std::move(iopts));
  if (s.self_audit) s.self_audit->Attach(s.ingestor.get());

  if (c.http_enabled) {
    Result<std::unique_ptr<auth::ApiKeyStore>> keys =
        auth::ApiKeyStore::Open(env.fs, c.InDataDir(c.api_keys_file), env.clock, env.random);
    if (!keys.ok()) return fail(keys.status());
    s.api_keys = std::move(keys).value();
    Result<std::unique_ptr<auth::Authenticator>> authn = auth::Authenticator::Create(s.api_keys.get(), {});
    if (!authn.ok()) return fail(authn.status());
    s.authenticator = std::move(authn).value();
    s.http_ingest = std::make_unique<HttpIngest>(*s.ingestor, *s.authenticator, env.clock,
                                                 s.audit.get(), c.node_id);
    s.router = std::make_unique<http::Router>();
    s.http_ingest->RegisterRoutes(*s.router);
    // GET /v1/search (scope logs:read) over the archive and the unsealed WAL.
    if (!s.blobs) {
      Result<std::unique_ptr<LocalBlobStore>> ro = LocalBlobStore::Open(env.fs, c.archive_dir());
      if (!ro.ok()) return fail(ro.status());
      s.search_blobs = std::move(ro).value();
    }
    FileSystem& fs = env.fs;
    s.search = std::make_unique<SearchEngine>(
        s.blobs ? *s.blobs : *s.search_blobs,
        [&fs, wal_dir = c.wal_dir()] { return ReadWalRecords(fs, wal_dir); }, s.audit.get(),
        SearchOptions{.threads = 2, .local_root = c.archive_dir()});
    s.search_http = std::make_unique<SearchHttp>(*s.search, *s.authenticator, env.clock, s.audit.get());
    s.search_http->RegisterRoutes(*s.router);
    s.router->Add("GET", "/healthz", [](const http::HttpRequest&) {
      return http::HttpResponse::Json(200, "{\"status\":\"ok\"}");
    });
    http::HttpServerOptions h;
    h.address = c.http_listen;
    h.port = c.http_port;
    h.tls.cert_chain_file = c.InDataDir(c.http_tls_cert);
    h.tls.private_key_file = c.InDataDir(c.http_tls_key);
    h.max_body_bytes = c.http_max_body_bytes;
    h.io_threads = c.http_io_threads;
    h.handler_threads = c.http_handler_threads;
    h.random = &env.random;
    Result<std::unique_ptr<http::HttpServer>> server = http::HttpServer::Create(h, s.router->AsHandler());
    if (!server.ok()) return fail(server.status());
    s.http = std::move(server).value();
    if (Status st = s.http->Start(); !st.ok()) return fail(st);
  }
  if (c.syslog_enabled) {
    SyslogServerOptions o;
    o.address = c.syslog_listen;
    o.port = c.syslog_port;
    o.tls = c.syslog_tls;
    o.tls_options.cert_chain_file = c.InDataDir(c.syslog_tls_cert);
    o.tls_options.private_key_file = c.InDataDir(c.syslog_tls_key);
    o.node_id = c.node_id;
    o.max_message_bytes = c.syslog_max_message_bytes;
    o.max_connections = c.syslog_max_connections;
    o.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(c.syslog_idle_timeout);
    o.io_threads = c.syslog_io_threads;
    AuditLog* audit = s.audit.get();
    o.on_reject = [audit](const std::string& peer, uint64_t n, const Status& first) {
      AuditEvent ev;
      ev.type = "logs.ingest.reject";
      ev.outcome = std::string(kAuditFailure);
      ev.origin = peer;
      ev.resource = "syslog";
      ev.reason = first.message();
      ev.details = {{"rejected", std::to_string(n)}};
      audit->Emit(ev).IgnoreError();
    };
    Result<std::unique_ptr<SyslogServer>> server = SyslogServer::Create(o, *s.ingestor, env.clock);
    if (!server.ok()) return fail(server.status());
    s.syslog = std::move(server).value();
    if (Status st = s.syslog->Start(); !st.ok()) return fail(st);
  }
  std::vector<TailSource> tails = c.tails;
  if (c.audit_store) tails.push_back(TailSource{"logs-admin", c.admin_audit_file()});
  for (const TailSource& t : tails) {
    s.tailers.push_back(std::make_unique<FileTailer>(env.fs, *s.ingestor, env.clock, c.tail_dir(), t,
                                                     c.node_id));
  }
  if (s.archive) s.sealer = std::thread([&s] { s.Sealer(); });
  if (!s.tailers.empty()) s.tailer = std::thread([&s] { s.Tailer(); });
  s.Emit("service.start", kAuditSuccess, "node " + c.node_id,
         {{"http_port", std::to_string(s.http ? s.http->port() : 0)},
          {"syslog_port", std::to_string(s.syslog ? s.syslog->port() : 0)},
          {"last_seq", std::to_string(s.wal->durable().last_seq)}});
  return std::unique_ptr<LogsServer>(new LogsServer(std::move(impl)));
}

void LogsServer::Shutdown() {
  if (!impl_ || impl_->stopped) return;
  Impl& s = *impl_;
  s.stopped = true;
  if (s.http) s.http->Shutdown();
  if (s.syslog) s.syslog->Shutdown();
  {
    std::lock_guard<std::mutex> lock(s.bg_mu);
    s.bg_stop = true;
  }
  s.bg_cv.notify_all();
  if (s.sealer.joinable()) s.sealer.join();
  if (s.tailer.joinable()) s.tailer.join();
  // service.stop goes into the store too: emitted before the Ingestor
  // stops (every receiver is down, so the counts are final), written by Stop.
  const IngestStats st = s.ingestor->stats();
  s.Emit("service.stop", kAuditSuccess, "graceful shutdown",
         {{"accepted", std::to_string(st.accepted)}, {"rejected", std::to_string(st.rejected)},
          {"last_seq", std::to_string(s.wal->durable().last_seq)}});
  s.ingestor->Stop();
  if (s.self_audit) s.self_audit->Detach();
  Status closed = s.wal->Close();
  if (!closed.ok()) s.Emit("service.stop", kAuditFailure, closed.message());
  if (s.audit) s.audit->Flush().IgnoreError();
}

}  // namespace kura::logs
