// `kura logs` verbs of the log platform's archive part (docs/logs.md):
// init, import, verify, retention, athena-ddl.
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli_context.h"
#include "logs/server/logs_config.h"
#include "core/audit/audit_log.h"
#include "core/audit/audit_sink.h"
#include "core/blob/local_blob_store.h"
#include "logs/archive/archive.h"
#include "logs/archive/archive_layout.h"
#include "logs/archive/athena_ddl.h"
#include "logs/archive/digest.h"
#include "logs/archive/digest_keys.h"
#include "logs/archive/importer.h"
#include "logs/archive/retention.h"
#include "logs/archive/verify.h"
#include "logs/record/timestamp.h"

namespace kura::cli {
namespace {

// `kura logs import`: some lines were rejected (the rest is imported).
constexpr int kExitImportRejected = 3;
// Where the archive verbs record what they did (AuditEvents, service "logs").
constexpr size_t kImportReadBufferBytes = 8 << 20;

std::string ArchiveRoot(const std::string& data_dir) {
  return JoinPath(data_dir, logs::kArchiveDirName);
}

// Appends one event to <data-dir>/audit/logs-admin.jsonl and fsyncs it.
Status AuditArchiveAction(CliContext& ctx, const std::string& data_dir, const AuditEvent& ev) {
  const std::string path = JoinPath(data_dir, logs::kAdminAuditFile);
  RETURN_IF_ERROR(ctx.fs.CreateDirs(DirName(path), 0700));
  std::vector<std::unique_ptr<AuditSink>> sinks;
  ASSIGN_OR_RETURN(auto sink, FileAuditSink::Open(ctx.fs, path));
  sinks.push_back(std::move(sink));
  AuditLog log(ctx.clock, "logs", "cli", std::move(sinks));
  RETURN_IF_ERROR(log.Emit(ev));
  return log.Flush();
}

AuditEvent CliEvent(std::string type, const Status& st) {
  AuditEvent ev;
  ev.type = std::move(type);
  ev.outcome = std::string(st.ok() ? kAuditSuccess : kAuditFailure);
  ev.principal = "cli";
  ev.origin = "local";
  if (!st.ok()) ev.reason = st.message();
  return ev;
}

Result<std::unique_ptr<LocalBlobStore>> OpenStore(CliContext& ctx, const std::string& data_dir) {
  const std::string root = ArchiveRoot(data_dir);
  if (!ctx.fs.Exists(root)) {
    return FailedPreconditionError("no archive at " + root + " (run `kura logs init --data-dir " +
                                   data_dir + "`)");
  }
  return LocalBlobStore::Open(ctx.fs, root);
}

Result<int64_t> ParseTimeFlag(const std::string& flag, const std::string& value) {
  if (value.size() == 10) {
    Result<int64_t> d = logs::ParseDate(value);
    if (d.ok()) return d;
  }
  Result<int64_t> t = logs::ParseTimestamp(value);
  if (!t.ok()) return InvalidArgumentError(flag + ": expected YYYY-MM-DD or RFC 3339 time");
  return t;
}

int Init(CliContext& ctx, const std::string& data_dir) {
  if (Status st = ctx.fs.CreateDirs(ArchiveRoot(data_dir), 0700); !st.ok()) return Fail(ctx, st);
  if (Status st = logs::InitDigestKeys(ctx.fs, data_dir); !st.ok()) return Fail(ctx, st);
  Result<crypto::Ed25519PublicKey> pub =
      logs::LoadDigestPublicKey(ctx.fs, logs::DigestPublicKeyPath(data_dir));
  if (!pub.ok()) return Fail(ctx, pub.status());
  AuditEvent ev = CliEvent("logs.init", OkStatus());
  ev.resource = "digest-key:" + logs::DigestKeyId(*pub);
  if (Status st = AuditArchiveAction(ctx, data_dir, ev); !st.ok()) return Fail(ctx, st);
  ctx.out << "initialised " << data_dir << "\n"
          << "digest signing key id " << logs::DigestKeyId(*pub) << "\n"
          << "public key " << logs::DigestPublicKeyPath(data_dir)
          << " (keep a copy outside this machine for `kura logs verify --public-key`)\n";
  return kExitOk;
}

struct ImportFlags {
  std::string data_dir;
  std::string input;
  std::string node = "import";
  size_t segment_bytes = logs::kDefaultImportSegmentBytes;
  int threads = 2;
  int zstd_level = logs::SegmentOptions().zstd_level;
  size_t block_bytes = logs::SegmentOptions().block_bytes;
};

int Import(CliContext& ctx, const ImportFlags& f) {
  Result<std::unique_ptr<LocalBlobStore>> store = OpenStore(ctx, f.data_dir);
  if (!store.ok()) return Fail(ctx, store.status());
  Result<crypto::Ed25519PrivateKey> key = logs::LoadDigestSigningKey(ctx.fs, f.data_dir);
  if (!key.ok()) return Fail(ctx, key.status());
  logs::ArchiveOptions archive_options;
  archive_options.segment.zstd_level = f.zstd_level;
  archive_options.segment.block_bytes = f.block_bytes;
  logs::Archive archive(**store, std::move(*key), ctx.clock, archive_options);

  std::ifstream file;
  std::vector<char> buffer(kImportReadBufferBytes);
  std::istream* in = &ctx.in;
  if (f.input != "-") {
    file.rdbuf()->pubsetbuf(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    file.open(f.input, std::ios::binary);
    if (!file) return Fail(ctx, NotFoundError("cannot open " + f.input));
    in = &file;
  }
  logs::ImportOptions options;
  options.node = f.node;
  options.segment_bytes = f.segment_bytes;
  options.threads = f.threads;
  const int64_t start = ctx.clock.NowUnixMillis();
  Result<logs::ImportReport> report = logs::ImportNdjson(*in, archive, ctx.clock, options);
  const int64_t elapsed_ms = std::max<int64_t>(1, ctx.clock.NowUnixMillis() - start);

  AuditEvent ev = CliEvent("logs.import", report.status());
  ev.resource = f.input == "-" ? "stdin" : f.input;
  if (report.ok()) {
    ev.details = {{"imported", std::to_string(report->imported)},
                  {"rejected", std::to_string(report->rejected)},
                  {"first_seq", std::to_string(report->first_seq)},
                  {"last_seq", std::to_string(report->last_seq)}};
  }
  if (Status st = AuditArchiveAction(ctx, f.data_dir, ev); !st.ok()) return Fail(ctx, st);
  if (!report.ok()) return Fail(ctx, report.status());

  for (const logs::ImportRejection& r : report->rejections) {
    ctx.err << "line " << r.line << ": " << r.reason << "\n";
  }
  if (report->rejected > report->rejections.size()) {
    ctx.err << "(" << report->rejected - report->rejections.size() << " more rejected lines)\n";
  }
  const double mb = static_cast<double>(report->raw_bytes) / 1e6;
  const double in_mb = static_cast<double>(report->input_bytes) / 1e6;
  ctx.out << "imported " << report->imported << " events";
  if (report->imported > 0) ctx.out << " (seq " << report->first_seq << ".." << report->last_seq << ")";
  ctx.out << " in " << report->segments << " segments; rejected " << report->rejected
          << " lines\n";
  ctx.out << "input " << in_mb << " MB; records " << mb << " MB -> data " << static_cast<double>(report->data_bytes) / 1e6
          << " MB + index " << static_cast<double>(report->index_bytes) / 1e6 << " MB in "
          << static_cast<double>(elapsed_ms) / 1000 << " s ("
          << in_mb / (static_cast<double>(elapsed_ms) / 1000) << " MB/s of input)\n";
  return report->rejected > 0 ? kExitImportRejected : kExitOk;
}

struct VerifyFlags {
  std::string data_dir;
  std::string from;
  std::string to;
  std::string public_key;
};

int Verify(CliContext& ctx, const VerifyFlags& f) {
  Result<std::unique_ptr<LocalBlobStore>> store = OpenStore(ctx, f.data_dir);
  if (!store.ok()) return Fail(ctx, store.status());
  const std::string pub_path =
      f.public_key.empty() ? logs::DigestPublicKeyPath(f.data_dir) : f.public_key;
  Result<crypto::Ed25519PublicKey> pub = logs::LoadDigestPublicKey(ctx.fs, pub_path);
  if (!pub.ok()) return Fail(ctx, pub.status());
  logs::VerifyOptions options;
  if (!f.from.empty()) {
    Result<int64_t> t = ParseTimeFlag("--from", f.from);
    if (!t.ok()) return Fail(ctx, t.status());
    options.from_ms = *t;
  }
  if (!f.to.empty()) {
    Result<int64_t> t = ParseTimeFlag("--to", f.to);
    if (!t.ok()) return Fail(ctx, t.status());
    options.to_ms = *t;
  }
  Result<logs::VerifyReport> report = logs::VerifyArchive(**store, *pub, options);
  if (!report.ok()) return Fail(ctx, report.status());
  AuditEvent ev = CliEvent("logs.verify", OkStatus());
  ev.outcome = std::string(report->ok() ? kAuditSuccess : kAuditFailure);
  ev.resource = "archive";
  ev.reason = report->Summary();
  if (Status st = AuditArchiveAction(ctx, f.data_dir, ev); !st.ok()) return Fail(ctx, st);
  ctx.out << report->Summary() << "\n";
  if (report->ok()) {
    for (const std::string& n : report->retention_notes) ctx.out << "  " << n << "\n";
    if (!report->head_key.empty()) {
      ctx.out << "head digest " << report->head_key << " sha256 " << report->head_sha256 << "\n";
    }
  }
  return logs::VerifyExitCode(report->problem);
}

struct RetentionFlags {
  std::string data_dir;
  int64_t days = logs::kDefaultRetentionDays;
  bool allow_short = false;
  bool dry_run = false;
};

int Retention(CliContext& ctx, const RetentionFlags& f) {
  Result<std::unique_ptr<LocalBlobStore>> store = OpenStore(ctx, f.data_dir);
  if (!store.ok()) return Fail(ctx, store.status());
  Result<crypto::Ed25519PrivateKey> key = logs::LoadDigestSigningKey(ctx.fs, f.data_dir);
  if (!key.ok()) return Fail(ctx, key.status());
  logs::Archive archive(**store, std::move(*key), ctx.clock);
  const std::string audit_path = JoinPath(f.data_dir, logs::kAdminAuditFile);
  if (Status st = ctx.fs.CreateDirs(DirName(audit_path), 0700); !st.ok()) return Fail(ctx, st);
  Result<std::unique_ptr<FileAuditSink>> sink = FileAuditSink::Open(ctx.fs, audit_path);
  if (!sink.ok()) return Fail(ctx, sink.status());
  std::vector<std::unique_ptr<AuditSink>> sinks;
  sinks.push_back(std::move(*sink));
  AuditLog audit(ctx.clock, "logs", "cli", std::move(sinks));

  logs::RetentionOptions options;
  options.retention_days = f.days;
  options.allow_short_retention = f.allow_short;
  options.dry_run = f.dry_run;
  Result<logs::RetentionReport> report =
      logs::ApplyRetention(archive, **store, ctx.clock, audit, options);
  if (!report.ok()) {
    AuditEvent ev = CliEvent("logs.retention.delete", report.status());
    ev.resource = "archive";
    audit.Emit(ev).IgnoreError();  // the refusal itself; the error below is what matters
    audit.Flush().IgnoreError();
    return Fail(ctx, report.status());
  }
  const char* verb = f.dry_run ? "would delete " : "deleted ";
  for (const auto* list : {&report->deleted, &report->completed}) {
    for (const logs::DeletedSegment& s : *list) {
      ctx.out << verb << s.segment << " (seq " << s.first_seq << ".." << s.last_seq << ", newest "
              << logs::FormatTimestamp(s.max_received_ms) << ")\n";
    }
  }
  ctx.out << (f.dry_run ? "dry run: " : "") << report->deleted.size() + report->completed.size()
          << " segment(s) older than " << logs::FormatTimestamp(report->cutoff_ms) << " ("
          << f.days << " days)";
  if (!report->digest_key.empty()) ctx.out << "; recorded in " << report->digest_key;
  ctx.out << "\n";
  return kExitOk;
}

}  // namespace

void RegisterLogsArchiveCommands(CLI::App& logs, CliContext& ctx, Action& action) {
  auto data_dir = std::make_shared<std::string>();
  CLI::App* init = logs.add_subcommand("init", "Create a data directory and its digest signing key");
  init->add_option("--data-dir", *data_dir, "Data directory")->required();
  init->callback([&ctx, &action, data_dir] {
    action = [&ctx, data_dir] { return Init(ctx, *data_dir); };
  });

  auto imp = std::make_shared<ImportFlags>();
  CLI::App* import = logs.add_subcommand(
      "import", "Bulk-load NDJSON events (ordered by ts) into sealed, signed segments");
  import->add_option("--data-dir", imp->data_dir, "Data directory")->required();
  import->add_option("input", imp->input, "NDJSON file, or - for stdin")->required();
  import->add_option("--segment-bytes", imp->segment_bytes, "Raw bytes per segment")
      ->check(CLI::Range(size_t{1} << 10, size_t{1} << 31));
  import->add_option("--node", imp->node, "Node id written into the records");
  import->add_option("--threads", imp->threads, "Parsing threads")->check(CLI::Range(1, 64));
  import->add_option("--zstd-level", imp->zstd_level, "zstd level of the segments (default 3)")
      ->check(CLI::Range(1, 19));
  import->add_option("--block-bytes", imp->block_bytes,
                     "Raw bytes per zstd frame / index block (default 1 MiB)")
      ->check(CLI::Range(size_t{4} << 10, size_t{32} << 20));
  import->callback([&ctx, &action, imp] { action = [&ctx, imp] { return Import(ctx, *imp); }; });

  auto ver = std::make_shared<VerifyFlags>();
  CLI::App* verify = logs.add_subcommand(
      "verify", "Check every digest signature, segment hash and chain link");
  verify->add_option("--data-dir", ver->data_dir, "Data directory")->required();
  verify->add_option("--from", ver->from, "First day (YYYY-MM-DD or RFC 3339)");
  verify->add_option("--to", ver->to, "Last day (YYYY-MM-DD or RFC 3339)");
  verify->add_option("--public-key", ver->public_key,
                     "Digest public key PEM (default <data-dir>/keys/digest-signing.pub.pem)");
  verify->callback([&ctx, &action, ver] { action = [&ctx, ver] { return Verify(ctx, *ver); }; });

  auto ret = std::make_shared<RetentionFlags>();
  CLI::App* retention = logs.add_subcommand(
      "retention", "Delete segments older than the retention period (recorded first)");
  retention->add_option("--data-dir", ret->data_dir, "Data directory")->required();
  retention->add_option("--retention-days", ret->days, "Retention period in days (default 365)")
      ->check(CLI::Range(int64_t{1}, logs::kMaxRetentionDays));
  retention->add_flag("--allow-short-retention", ret->allow_short,
                      "Allow a period under 365 days (PCI DSS 10.5.1 wants 12 months)");
  retention->add_flag("--dry-run", ret->dry_run, "Only list what would be deleted");
  retention->callback(
      [&ctx, &action, ret] { action = [&ctx, ret] { return Retention(ctx, *ret); }; });

  auto ddl = std::make_shared<logs::AthenaDdlOptions>();
  CLI::App* athena = logs.add_subcommand(
      "athena-ddl", "Print the Athena/Trino CREATE EXTERNAL TABLE over the archive");
  athena->add_option("--location", ddl->location, "s3://bucket/prefix/ of the archive")
      ->required();
  athena->add_option("--table", ddl->table, "Table name (default audit_logs)");
  athena->add_option("--database", ddl->database, "Database name (default kura)");
  athena->add_option("--from-date", ddl->from_date,
                     "First dt of the partition projection (default 2025-01-01)");
  athena->callback([&ctx, &action, ddl] {
    action = [&ctx, ddl] {
      Result<std::string> sql = logs::AthenaDdl(*ddl);
      if (!sql.ok()) return Fail(ctx, sql.status());
      ctx.out << *sql;
      return kExitOk;
    };
  });
}

}  // namespace kura::cli
