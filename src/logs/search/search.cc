#include "logs/search/search.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <functional>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "logs/archive/archive_layout.h"
#include "logs/record/timestamp.h"
#include "logs/search/query.h"
#include "logs/search/searcher.h"
#include "logs/segment/record_view.h"
#include "logs/segment/segment_index.h"

namespace kura::logs {

using search_internal::Merge;
using search_internal::Overlaps;
using search_internal::Partial;
using search_internal::SearchWalRecords;
using search_internal::Segment;
using search_internal::SegmentSearch;

namespace {

// Runs `worker` on min(threads, items) threads, this one included, and
// waits for all of them (the workers share out the items themselves).
void OnThreads(size_t threads, size_t items, const std::function<void()>& worker) {
  std::vector<std::thread> pool;
  for (size_t t = 1; t < std::min(threads, items); ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
}

// A listing planned from the segments' indexes (newest segment first): while
// each segment's matches are known exactly from its index (ExactHits), take
// from each only its share of the limit, and stop planning once the limit is
// covered and one more match is known to exist (for `truncated`) or none is
// left. The index also says which blocks hold those matches (newest first),
// so exactly those blocks are decoded, spread over `threads` threads block
// by block (whole segments per thread left one thread with most of the
// work). Returns the index of the first segment the caller still has to
// read in waves: segments.size() when the plan was carried out, 0 when it
// was abandoned and `total` left as it was — the archive is not local, the
// WAL already had more than the limit, a segment whose matches its index
// cannot tell came first (a word query, a time range ending inside a block,
// a missing index), or a block gave fewer records than its index promised
// (damage: the waves then read its segment again and report it).
size_t ListPlanned(BlobStore& archive, const SearchOptions& options,
                   const std::vector<Segment>& segments, const Query& query,
                   const SearchRequest& req, size_t threads, Partial* total) {
  // Only where an index's data object can be checked cheaply (a stat): from
  // a remote store ExactHits would download it, and Run again.
  if (options.local_root.empty() || total->truncated) return 0;
  SegmentSearch planner(archive, options, query, req, SIZE_MAX);
  // The WAL's records come first; if they filled the limit exactly, the
  // plan only looks for one more match.
  size_t need = req.limit - std::min(req.limit, total->records.size());
  struct Work {
    size_t segment;  // index into segments
    size_t block;
    uint64_t take;   // records to keep from this block (newest first)
    uint64_t matches;  // the block's matching records (the index's count)
  };
  std::vector<Work> work;
  std::vector<std::optional<SegmentIndex>> indexes;  // checked by ExactHits
  std::vector<std::pair<size_t, uint64_t>> per_block;
  bool more = false;  // a match beyond the limit exists
  for (size_t i = 0; i < segments.size() && !more; ++i) {
    indexes.emplace_back();
    const std::optional<uint64_t> hits = planner.ExactHits(segments[i], &indexes.back(), &per_block);
    if (!hits) return 0;
    more = *hits > need;
    for (const auto& [b, n] : per_block) {
      if (need == 0) break;
      const uint64_t take = std::min<uint64_t>(n, need);
      work.push_back(Work{i, b, take, n});
      need -= take;
    }
  }
  std::vector<Partial> parts(work.size());
  std::atomic<size_t> next{0};
  auto run = [&] {
    SegmentSearch search(archive, options, query, req, SIZE_MAX);
    for (size_t k = next.fetch_add(1); k < work.size(); k = next.fetch_add(1)) {
      const Work& w = work[k];
      parts[k] = search.RunBlock(segments[w.segment], *indexes[w.segment], w.block, w.matches);
    }
  };
  OnThreads(threads, work.size(), run);
  for (size_t k = 0; k < work.size(); ++k) {
    if (parts[k].records.size() < work[k].take) return 0;  // start over, in waves
  }
  std::vector<bool> counted(indexes.size(), false);
  for (size_t k = 0; k < work.size(); ++k) {
    Partial& p = parts[k];
    p.records.resize(work[k].take);
    for (std::string& r : p.records) total->records.push_back(std::move(r));
    if (!counted[work[k].segment]) {  // a segment counts once in the stats
      counted[work[k].segment] = true;
      ++p.stats.segments;
    }
    Merge(std::move(p), total);
  }
  total->truncated = total->truncated || more;
  return segments.size();
}

}  // namespace

SearchEngine::SearchEngine(BlobStore& archive, WalSource wal, AuditLog* audit,
                           SearchOptions options)
    : archive_(archive), wal_(std::move(wal)), audit_(audit), options_(std::move(options)) {}

Result<SearchResult> SearchEngine::Search(const SearchRequest& request) {
  Result<SearchResult> result = Run(request);
  if (audit_ != nullptr) {
    AuditEvent e;
    e.type = "logs.search";
    e.outcome = std::string(result.ok() ? kAuditSuccess : kAuditFailure);
    e.principal = request.principal;
    e.origin = request.origin;
    if (!result.ok()) e.reason = result.status().message();
    e.details.emplace_back("query", request.query);
    if (request.from_ms != std::numeric_limits<int64_t>::min()) {
      e.details.emplace_back("from", FormatTimestamp(request.from_ms));
    }
    if (request.to_ms != std::numeric_limits<int64_t>::max()) {
      e.details.emplace_back("to", FormatTimestamp(request.to_ms));
    }
    if (!request.group_by.empty()) e.details.emplace_back("group_by", request.group_by);
    if (result.ok()) e.details.emplace_back("results", std::to_string(result->count));
    Status s = audit_->Emit(e);
    if (!s.ok()) return s.WithContext("search not audited, result withheld");
  }
  return result;
}

Result<SearchResult> SearchEngine::Run(const SearchRequest& req) {
  ASSIGN_OR_RETURN(Query query, Query::Parse(req.query));
  size_t group_field = SIZE_MAX;
  if (!req.group_by.empty()) {
    auto id = TextFieldId(req.group_by);
    if (!id) return InvalidArgumentError("search: cannot group by that field");
    group_field = *id;
  }
  const bool counting = req.count || group_field != SIZE_MAX;
  if (!counting && (req.limit == 0 || req.limit > kMaxSearchLimit)) {
    return InvalidArgumentError("search: limit must be 1.." + std::to_string(kMaxSearchLimit));
  }
  if (req.from_ms >= req.to_ms) return InvalidArgumentError("search: empty time range");

  // The WAL is read before the archive is listed: a record sealed (and its
  // WAL file dropped) in between is then found in the archive, and one in
  // both is taken from the archive only (seq <= archived_last).
  std::vector<ChainedRecord> wal;
  if (wal_) {
    ASSIGN_OR_RETURN(wal, wal_());
  }
  // Segments whose dt partition overlaps the range, newest first.
  ASSIGN_OR_RETURN(std::vector<std::string> keys, archive_.List(kDataPrefix));
  std::vector<Segment> segments;
  uint64_t archived_last = 0;
  Partial total;
  for (const std::string& key : keys) {
    auto k = ParseArchiveKey(key);
    if (!k.ok() || k->kind != ObjectKind::kData) {
      total.warnings.push_back("unexpected object " + key + " ignored");
      continue;
    }
    archived_last = std::max(archived_last, k->last_seq);
    auto day = ParseDate(k->dt);
    if (!day.ok() || !Overlaps(*day, *day + kMillisPerDay - 1, req)) continue;
    segments.push_back(Segment{k->dt, k->first_seq, k->last_seq, key});
  }
  std::sort(segments.begin(), segments.end(),
            [](const Segment& a, const Segment& b) { return a.first_seq > b.first_seq; });

  // The WAL's unsealed records are the newest.
  SearchWalRecords(query, req, group_field, wal, archived_last, &total);

  const size_t threads = std::max<size_t>(1, options_.threads);
  if (counting) {
    std::atomic<size_t> next{0};
    std::mutex mu;
    auto work = [&] {
      SegmentSearch search(archive_, options_, query, req, group_field);
      while (true) {
        const size_t i = next.fetch_add(1);
        if (i >= segments.size()) return;
        Partial p = search.Run(segments[i]);
        std::lock_guard<std::mutex> lock(mu);
        Merge(std::move(p), &total);
      }
    };
    OnThreads(threads, segments.size(), work);
  } else {
    // Read only what the indexes say the limit needs; where they cannot
    // tell (or a planned segment gave less than it should), in waves of
    // `threads` segments in seq order until the limit is reached.
    size_t start = ListPlanned(archive_, options_, segments, query, req, threads, &total);
    std::vector<std::unique_ptr<SegmentSearch>> searchers;
    for (size_t t = 0; t < threads; ++t) {
      searchers.push_back(
          std::make_unique<SegmentSearch>(archive_, options_, query, req, group_field));
    }
    for (; start < segments.size() && total.records.size() < req.limit && !total.truncated;
         start += threads) {
      const size_t end = std::min(segments.size(), start + threads);
      std::vector<Partial> parts(end - start);
      std::vector<std::thread> pool;
      for (size_t i = start + 1; i < end; ++i) {
        pool.emplace_back([&, i] { parts[i - start] = searchers[i - start]->Run(segments[i]); });
      }
      parts[0] = searchers[0]->Run(segments[start]);
      for (std::thread& t : pool) t.join();
      for (Partial& p : parts) {
        for (std::string& r : p.records) {
          if (total.records.size() >= req.limit) {
            total.truncated = true;
            break;
          }
          total.records.push_back(std::move(r));
        }
        total.truncated = total.truncated || (p.truncated && total.records.size() >= req.limit);
        Merge(std::move(p), &total);
      }
    }
    // The records end exactly at the limit: whether more matches exist is
    // told by the next segments (the first match found ends the look).
    for (; start < segments.size() && total.records.size() >= req.limit && !total.truncated;
         ++start) {
      Partial p = searchers[0]->Run(segments[start], 1);
      total.truncated = !p.records.empty();
      p.records.clear();
      Merge(std::move(p), &total);
    }
  }

  SearchResult out;
  out.records = std::move(total.records);
  out.truncated = total.truncated;
  out.count = counting ? total.count : out.records.size();
  out.warnings = std::move(total.warnings);
  out.stats = total.stats;
  if (group_field != SIZE_MAX) {
    out.groups.assign(total.groups.begin(), total.groups.end());
    std::sort(out.groups.begin(), out.groups.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
  }
  return out;
}

Result<int64_t> ParseSinceDuration(std::string_view text) {
  if (text.size() < 2) return InvalidArgumentError("--since: expected e.g. 90d, 12h, 30m");
  int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, n);
  if (ec != std::errc() || p != text.data() + text.size() - 1 || n <= 0 || n > 100'000) {
    return InvalidArgumentError("--since: expected a positive number and a unit (d, h, m, s)");
  }
  switch (text.back()) {
    case 'd': return n * kMillisPerDay;
    case 'h': return n * 3'600'000;
    case 'm': return n * 60'000;
    case 's': return n * 1'000;
    default: return InvalidArgumentError("--since: unit must be d, h, m or s");
  }
}

Result<int64_t> ParseTimeBound(std::string_view text) {
  if (text.size() == 10) {
    auto d = ParseDate(text);
    if (d.ok()) return d;
  }
  auto t = ParseTimestamp(text);
  if (!t.ok()) return InvalidArgumentError("time: expected RFC 3339 or YYYY-MM-DD");
  return t;
}

}  // namespace kura::logs
