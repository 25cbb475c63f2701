// `kura logs search`: the search part of the log platform (docs/logs.md
// "Search").
#include <malloc.h>

#include <algorithm>
#include <array>
#include <iomanip>
#include <memory>
#include <sstream>

#include "cli/cli_context.h"
#include "logs/server/logs_config.h"
#include "core/audit/audit_log.h"
#include "core/audit/audit_sink.h"
#include "core/blob/local_blob_store.h"
#include "logs/archive/archive_layout.h"
#include "logs/ingest/wal_reader.h"
#include "logs/record/timestamp.h"
#include "logs/search/search.h"
#include "logs/segment/record_view.h"

namespace kura::cli {
namespace {

// The result is incomplete: a damaged or unreadable segment was skipped.
constexpr int kExitSearchIncomplete = 3;
constexpr size_t kTableMessageWidth = 60;
// A search allocates and frees a few hundred KiB per segment on each of its
// threads. With glibc's defaults (trim at 128 KiB) that memory went back to
// the kernel and was faulted in again for the next segment: madvise, TLB
// shoot-downs between the two threads and page clearing were ~25 % of the
// benchmark's needle count CPU (docs/logs.md). This short-lived process
// keeps freed memory until it exits instead (its peak RSS is unchanged).
constexpr int kSearchMallocTrimThreshold = 256 << 20;
constexpr int kSearchMallocMmapThreshold = 32 << 20;

struct SearchFlags {
  std::string data_dir;
  std::string query;
  std::string since, from, to;
  bool count = false;
  std::string group_by;
  size_t limit = logs::kDefaultSearchLimit;
  std::string format = "table";
  size_t threads = 2;
};

// Columns are as wide as their widest value (capped), two spaces apart, so
// long tokens or principals never run into the next column.
void PrintTable(std::ostream& out, const logs::SearchResult& r) {
  static constexpr std::array<std::string_view, 6> kHeaders = {
      "RECEIVED", "EVENT", "OUTCOME", "PRINCIPAL", "RESOURCE", "MESSAGE"};
  static constexpr size_t kMaxColumnWidth = 40;
  std::vector<std::array<std::string, 6>> rows;
  rows.reserve(r.records.size());
  std::string scratch;
  for (const std::string& bytes : r.records) {
    std::array<std::string, 6> row;
    auto v = logs::ScanRecord(bytes);
    if (!v.ok()) {
      row[5] = "(unreadable record: " + v.status().message() + ")";
      rows.push_back(std::move(row));
      continue;
    }
    auto field = [&](std::string_view name) {
      return std::string(v->Text(*logs::TextFieldId(name), &scratch));
    };
    std::string msg = field("message");
    if (msg.empty()) msg = field("reason");
    if (msg.size() > kTableMessageWidth) msg = msg.substr(0, kTableMessageWidth - 3) + "...";
    row = {std::string(v->received), field("event"), field("outcome"), field("principal"),
           field("resource"), std::move(msg)};
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      if (row[i].size() > kMaxColumnWidth) row[i] = row[i].substr(0, kMaxColumnWidth - 3) + "...";
    }
    rows.push_back(std::move(row));
  }
  std::array<size_t, 6> width{};
  for (size_t i = 0; i < kHeaders.size(); ++i) width[i] = kHeaders[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  auto print_row = [&](auto const& cells) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      line.append(cells[i]);
      if (i + 1 < cells.size()) line.append(width[i] - cells[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print_row(kHeaders);
  for (const auto& row : rows) print_row(row);
}

int Search(CliContext& ctx, const SearchFlags& f) {
  logs::SearchRequest req;
  req.query = f.query;
  req.count = f.count;
  req.group_by = f.group_by;
  req.limit = f.limit;
  req.principal = "cli";
  req.origin = "local";
  if (!f.since.empty() && !f.from.empty()) {
    return Fail(ctx, InvalidArgumentError("--since and --from exclude each other"));
  }
  if (!f.since.empty()) {
    Result<int64_t> d = logs::ParseSinceDuration(f.since);
    if (!d.ok()) return Fail(ctx, d.status());
    req.from_ms = ctx.clock.NowUnixMillis() - *d;
  }
  if (!f.from.empty()) {
    Result<int64_t> t = logs::ParseTimeBound(f.from);
    if (!t.ok()) return Fail(ctx, t.status().WithContext("--from"));
    req.from_ms = *t;
  }
  if (!f.to.empty()) {
    Result<int64_t> t = logs::ParseTimeBound(f.to);
    if (!t.ok()) return Fail(ctx, t.status().WithContext("--to"));
    // A date names the whole day.
    req.to_ms = f.to.size() == 10 ? *t + logs::kMillisPerDay : *t;
  }

  const std::string root = JoinPath(f.data_dir, logs::kArchiveDirName);
  if (!ctx.fs.Exists(root)) {
    return Fail(ctx, FailedPreconditionError("no archive at " + root));
  }
  Result<std::unique_ptr<LocalBlobStore>> store = LocalBlobStore::Open(ctx.fs, root);
  if (!store.ok()) return Fail(ctx, store.status());

  // Searches are audited where the other `kura logs` admin verbs record
  // theirs; a running node takes that file into the store.
  const std::string audit_path = JoinPath(f.data_dir, logs::kAdminAuditFile);
  if (Status s = ctx.fs.CreateDirs(DirName(audit_path), 0700); !s.ok()) return Fail(ctx, s);
  Result<std::unique_ptr<FileAuditSink>> sink = FileAuditSink::Open(ctx.fs, audit_path);
  if (!sink.ok()) return Fail(ctx, sink.status());
  std::vector<std::unique_ptr<AuditSink>> sinks;
  sinks.push_back(std::move(*sink));
  AuditLog audit(ctx.clock, "logs", "cli", std::move(sinks));

  mallopt(M_TRIM_THRESHOLD, kSearchMallocTrimThreshold);
  mallopt(M_MMAP_THRESHOLD, kSearchMallocMmapThreshold);
  const std::string wal_dir = JoinPath(f.data_dir, "wal");
  FileSystem& fs = ctx.fs;
  logs::SearchEngine engine(
      **store, [&fs, wal_dir] { return logs::ReadWalRecords(fs, wal_dir); }, &audit,
      logs::SearchOptions{.threads = f.threads, .local_root = root});
  Result<logs::SearchResult> r = engine.Search(req);
  if (Status s = audit.Flush(); !s.ok()) return Fail(ctx, s.WithContext("audit"));
  if (!r.ok()) return Fail(ctx, r.status());

  if (!f.group_by.empty()) {
    if (f.format == "ndjson") {
      for (const auto& [value, n] : r->groups) {
        std::string line = "{";
        logs::AppendJsonString(f.group_by, &line);
        line += ':';
        logs::AppendJsonString(value, &line);
        line += ",\"count\":" + std::to_string(n) + "}";
        ctx.out << line << "\n";
      }
    } else {
      for (const auto& [value, n] : r->groups) {
        ctx.out << std::left << std::setw(32) << (value.empty() ? "(none)" : value) << n << "\n";
      }
      ctx.out << std::setw(32) << "total" << r->count << "\n";
    }
  } else if (f.count) {
    ctx.out << r->count << "\n";
  } else if (f.format == "ndjson") {
    for (const std::string& rec : r->records) ctx.out << rec << "\n";
  } else {
    PrintTable(ctx.out, *r);
    if (r->truncated) ctx.err << "(more than " << f.limit << " matches; raise --limit)\n";
  }
  for (const std::string& w : r->warnings) ctx.err << "kura: warning: " << w << "\n";
  return r->warnings.empty() ? kExitOk : kExitSearchIncomplete;
}

}  // namespace

void RegisterLogsSearchCommands(CLI::App& logs, CliContext& ctx, Action& action) {
  auto f = std::make_shared<SearchFlags>();
  CLI::App* search = logs.add_subcommand(
      "search", "Search the audit logs (archive and unsealed WAL), newest first");
  search->add_option("query", f->query,
                     "Query: field=value, words, \"phrases\", AND/OR/NOT, ( ) (docs/logs.md)");
  search->add_option("--data-dir", f->data_dir, "Data directory")->required();
  search->add_option("--since", f->since, "Only the last 90d / 12h / 30m / 45s");
  search->add_option("--from", f->from, "From (RFC 3339 or YYYY-MM-DD), inclusive");
  search->add_option("--to", f->to, "To (RFC 3339, exclusive; or YYYY-MM-DD, that whole day)");
  search->add_flag("--count", f->count, "Print the number of matches");
  search->add_option("--group-by", f->group_by, "Count matches per value of this field");
  search->add_option("--limit", f->limit, "Records to print (default 100)")
      ->check(CLI::Range(size_t{1}, logs::kMaxSearchLimit));
  search->add_option("--format", f->format, "table or ndjson (the record bytes)")
      ->check(CLI::IsMember({"table", "ndjson"}));
  search->add_option("--threads", f->threads, "Threads for scanning segments")
      ->check(CLI::Range(size_t{1}, size_t{64}));
  search->callback([&ctx, &action, f] { action = [&ctx, f] { return Search(ctx, *f); }; });
}

}  // namespace kura::cli
