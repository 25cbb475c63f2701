#include "logs/server/logs_config.h"

#include <optional>

#include "core/config/config.h"
#include "logs/record/event_mapper.h"

namespace kura::logs {
namespace {

bool ValidTailName(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  }
  return n != "." && n != "..";
}

Status LoadMain(const ConfigTable& root, LogsConfig& c) {
  ASSIGN_OR_RETURN(ConfigTable l, root.Table("logs"));
  ASSIGN_OR_RETURN(c.node_id, l.StringOr("node_id", c.node_id));
  if (c.node_id.empty()) return l.Error("node_id", "must not be empty");
  ASSIGN_OR_RETURN(c.data_dir, l.String("data_dir"));
  if (c.data_dir.empty() || c.data_dir[0] != '/') return l.Error("data_dir", "must be an absolute path");
  ASSIGN_OR_RETURN(c.allow_short_retention, l.BoolOr("allow_short_retention", false));
  ASSIGN_OR_RETURN(c.retention_days, l.IntOr("retention_days", 1, 36500, c.retention_days));
  if (c.retention_days < kMinRetentionDays && !c.allow_short_retention) {
    return l.Error("retention_days", "under 365 days needs allow_short_retention = true (PCI DSS 10.5.1)");
  }
  return OkStatus();
}

Status LoadReceivers(const ConfigTable& root, LogsConfig& c) {
  ASSIGN_OR_RETURN(std::optional<ConfigTable> h, root.OptionalTable("http"));
  if (h) {
    c.http_enabled = true;
    ASSIGN_OR_RETURN(c.http_listen, h->StringOr("listen", c.http_listen));
    ASSIGN_OR_RETURN(int64_t port, h->IntOr("port", 0, 65535, c.http_port));
    c.http_port = static_cast<uint16_t>(port);
    ASSIGN_OR_RETURN(c.http_tls_cert, h->String("tls_cert"));
    ASSIGN_OR_RETURN(c.http_tls_key, h->String("tls_key"));
    ASSIGN_OR_RETURN(int64_t body, h->IntOr("max_body_bytes", 1024, 64 << 20,
                                            static_cast<int64_t>(c.http_max_body_bytes)));
    c.http_max_body_bytes = static_cast<size_t>(body);
    ASSIGN_OR_RETURN(int64_t io, h->IntOr("io_threads", 1, 64, c.http_io_threads));
    c.http_io_threads = static_cast<int>(io);
    ASSIGN_OR_RETURN(int64_t handlers, h->IntOr("handler_threads", 1, 1024, c.http_handler_threads));
    c.http_handler_threads = static_cast<int>(handlers);
    ASSIGN_OR_RETURN(c.api_keys_file, h->StringOr("api_keys", c.api_keys_file));
  }
  ASSIGN_OR_RETURN(std::optional<ConfigTable> s, root.OptionalTable("syslog"));
  if (s) {
    c.syslog_enabled = true;
    ASSIGN_OR_RETURN(c.syslog_listen, s->StringOr("listen", c.syslog_listen));
    ASSIGN_OR_RETURN(int64_t port, s->IntOr("port", 0, 65535, c.syslog_port));
    c.syslog_port = static_cast<uint16_t>(port);
    ASSIGN_OR_RETURN(c.syslog_tls, s->BoolOr("tls", false));
    ASSIGN_OR_RETURN(c.syslog_tls_cert, s->StringOr("tls_cert", ""));
    ASSIGN_OR_RETURN(c.syslog_tls_key, s->StringOr("tls_key", ""));
    if (c.syslog_tls && (c.syslog_tls_cert.empty() || c.syslog_tls_key.empty())) {
      return s->Error("tls", "needs tls_cert and tls_key");
    }
    ASSIGN_OR_RETURN(int64_t max, s->IntOr("max_message_bytes", 480, static_cast<int64_t>(kMaxEventBytes),
                                           static_cast<int64_t>(c.syslog_max_message_bytes)));
    c.syslog_max_message_bytes = static_cast<size_t>(max);
    ASSIGN_OR_RETURN(int64_t conns, s->IntOr("max_connections", 1, 100'000,
                                             static_cast<int64_t>(c.syslog_max_connections)));
    c.syslog_max_connections = static_cast<size_t>(conns);
    ASSIGN_OR_RETURN(c.syslog_idle_timeout, s->DurationOr("idle_timeout", c.syslog_idle_timeout));
    if (c.syslog_idle_timeout.count() < 1) return s->Error("idle_timeout", "must be at least 1s");
    ASSIGN_OR_RETURN(int64_t io, s->IntOr("io_threads", 1, 64, c.syslog_io_threads));
    c.syslog_io_threads = static_cast<int>(io);
  }
  return OkStatus();
}

Status LoadRest(const ConfigTable& root, LogsConfig& c) {
  ASSIGN_OR_RETURN(std::optional<ConfigTable> w, root.OptionalTable("wal"));
  if (w) {
    ASSIGN_OR_RETURN(int64_t f, w->IntOr("max_file_bytes", 4096, int64_t{1} << 34,
                                         static_cast<int64_t>(c.wal_max_file_bytes)));
    c.wal_max_file_bytes = static_cast<size_t>(f);
    ASSIGN_OR_RETURN(int64_t p, w->IntOr("max_pending_bytes", 1 << 20, int64_t{1} << 34,
                                         static_cast<int64_t>(c.wal_max_pending_bytes)));
    c.wal_max_pending_bytes = static_cast<size_t>(p);
  }
  ASSIGN_OR_RETURN(std::optional<ConfigTable> s, root.OptionalTable("seal"));
  if (s) {
    ASSIGN_OR_RETURN(c.seal_enabled, s->BoolOr("enabled", c.seal_enabled));
    ASSIGN_OR_RETURN(int64_t b, s->IntOr("max_bytes", 4096, int64_t{1} << 34,
                                         static_cast<int64_t>(c.seal_max_bytes)));
    c.seal_max_bytes = static_cast<size_t>(b);
    ASSIGN_OR_RETURN(c.seal_max_age, s->DurationOr("max_age", c.seal_max_age));
    if (c.seal_max_age.count() < 1) return s->Error("max_age", "must be at least 1s");
    ASSIGN_OR_RETURN(c.seal_idle_priority, s->BoolOr("idle_priority", c.seal_idle_priority));
  }
  ASSIGN_OR_RETURN(std::optional<ConfigTable> a, root.OptionalTable("audit"));
  if (a) {
    ASSIGN_OR_RETURN(c.audit_file, a->StringOr("file", ""));
    ASSIGN_OR_RETURN(c.audit_stdout, a->BoolOr("stdout", false));
    ASSIGN_OR_RETURN(c.audit_store, a->BoolOr("store", true));
  }
  ASSIGN_OR_RETURN(std::vector<ConfigTable> tails, root.TableArray("tail"));
  for (const ConfigTable& t : tails) {
    TailSource src;
    ASSIGN_OR_RETURN(src.name, t.String("name"));
    if (!ValidTailName(src.name)) return t.Error("name", "must match [A-Za-z0-9_.-]{1,64}");
    for (const TailSource& other : c.tails) {
      if (other.name == src.name) return t.Error("name", "duplicate tail name");
    }
    ASSIGN_OR_RETURN(src.path, t.String("path"));
    if (src.path.empty()) return t.Error("path", "must not be empty");
    c.tails.push_back(std::move(src));
  }
  return OkStatus();
}

}  // namespace

std::string LogsConfig::InDataDir(const std::string& p) const {
  if (p.empty() || p[0] == '/') return p;
  return JoinPath(data_dir, p);
}

Result<LogsConfig> LoadLogsConfig(FileSystem& fs, const std::string& path) {
  ASSIGN_OR_RETURN(ConfigDocument doc, ConfigDocument::LoadFile(fs, path));
  LogsConfig c;
  c.source = path;
  const ConfigTable root = doc.Root();
  RETURN_IF_ERROR(LoadMain(root, c));
  RETURN_IF_ERROR(LoadReceivers(root, c));
  RETURN_IF_ERROR(LoadRest(root, c));
  RETURN_IF_ERROR(doc.CheckAllKeysUsed());
  for (TailSource& t : c.tails) t.path = c.InDataDir(t.path);
  if (!c.http_enabled && !c.syslog_enabled && c.tails.empty()) {
    return InvalidArgumentError(path + ": nothing to receive: configure [http], [syslog] or [[tail]]");
  }
  return c;
}

}  // namespace kura::logs
