// SearchEngine: `kura logs search` and GET /v1/search over the archive
// (sealed segments in a BlobStore, layout logs/archive/archive_layout.h)
// plus the not-yet-sealed records of the WAL (docs/logs.md "Search").
//
// Plan: list the data/dt=... partitions that overlap the time range; for
// each segment (newest first) read its index object and use it to skip
// blocks (time range, Bloom filters, exact value counts); decompress only
// candidate blocks (read by byte range when the store is a local directory)
// and re-check every record against the query — the index narrows, it never
// decides. Segments without an index (cold tier) or with a damaged one
// (a warning) are scanned whole: same results, slower. Counts whose blocks
// the index fully decides (e.g. --count --group-by event with no filter)
// need no decompression. Segments are processed on `threads` threads.
//
// Every search is audited: AuditEvent "logs.search" with the principal, the
// query (the AuditLog masks card numbers), the time range and the number of
// results (PCI DSS 10.2.1.3), also when it fails.
//
// Thread safety: Search may be called concurrently. The BlobStore, the
// AuditLog and whatever the WAL source refers to must outlive the engine.
#ifndef KURA_LOGS_SEARCH_SEARCH_H_
#define KURA_LOGS_SEARCH_SEARCH_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/audit/audit_log.h"
#include "core/base/status.h"
#include "core/blob/blob_store.h"
#include "logs/record/chain.h"

namespace kura::logs {

inline constexpr size_t kDefaultSearchLimit = 100;
inline constexpr size_t kMaxSearchLimit = 100'000;

struct SearchRequest {
  std::string query;  // the query language of query.h ("" = everything)
  // Received-time range [from_ms, to_ms) in ms since the epoch.
  int64_t from_ms = std::numeric_limits<int64_t>::min();
  int64_t to_ms = std::numeric_limits<int64_t>::max();
  size_t limit = kDefaultSearchLimit;  // records returned, newest first
  bool count = false;                  // count matches instead of returning them
  std::string group_by;                // a field name (query.h); implies count
  // For the audit trail.
  std::string principal;
  std::string origin = "local";
};

struct SearchStats {
  uint64_t segments = 0;                // segments in the time range
  uint64_t segments_scanned = 0;        // read whole (no usable index)
  uint64_t blocks = 0;                  // blocks of indexed segments in range
  uint64_t blocks_decoded = 0;          // blocks decompressed (wholly or in part)
  uint64_t blocks_stopped_early = 0;    // of those, cut short once all their matches were found
  uint64_t blocks_counted_by_index = 0; // blocks answered from index counts
  uint64_t records_checked = 0;         // records tested against the query
  uint64_t wal_records = 0;             // unsealed records considered
};

struct SearchResult {
  // Matching record bytes, newest (highest seq) first, at most `limit`
  // (empty for count / group_by requests).
  std::vector<std::string> records;
  // count / group_by: the number of matches. Otherwise records.size().
  uint64_t count = 0;
  // More matches exist beyond `limit` (record requests only).
  bool truncated = false;
  // group_by: (value, count) by count descending then value; "" = absent.
  std::vector<std::pair<std::string, uint64_t>> groups;
  // Damaged or unreadable objects that were skipped or scanned instead of
  // used; a non-empty list means the result may be incomplete.
  std::vector<std::string> warnings;
  SearchStats stats;
};

struct SearchOptions {
  size_t threads = 2;
  // When the BlobStore is a LocalBlobStore, its root directory: blocks are
  // then read by byte range (pread) instead of whole objects. "" = use Get.
  std::string local_root;
};

class SearchEngine {
 public:
  // Returns the WAL's records (ReadWalRecords); may be empty (no WAL).
  using WalSource = std::function<Result<std::vector<ChainedRecord>>()>;

  // `audit` may be null only in tests of the engine itself.
  SearchEngine(BlobStore& archive, WalSource wal, AuditLog* audit, SearchOptions options = {});
  SearchEngine(const SearchEngine&) = delete;
  SearchEngine& operator=(const SearchEngine&) = delete;

  // Errors: kInvalidArgument (bad query, unknown group_by field, limit 0 or
  // above kMaxSearchLimit, from >= to), errors listing the archive or
  // reading the WAL, kInternal/kUnavailable if the audit event cannot be
  // written (fail closed: no result without an audit trail). Damaged
  // segments do not fail the search: they are reported in `warnings`.
  Result<SearchResult> Search(const SearchRequest& request);

 private:
  Result<SearchResult> Run(const SearchRequest& request);

  BlobStore& archive_;
  const WalSource wal_;
  AuditLog* const audit_;
  const SearchOptions options_;
};

// Parses a --since value ("90d", "12h", "30m", "45s") to milliseconds.
Result<int64_t> ParseSinceDuration(std::string_view text);
// Parses --from/--to: RFC 3339 or YYYY-MM-DD (UTC midnight).
Result<int64_t> ParseTimeBound(std::string_view text);

}  // namespace kura::logs

#endif  // KURA_LOGS_SEARCH_SEARCH_H_
