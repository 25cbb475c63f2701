// Internal to the search library (not part of its API): searching one
// source of records into a Partial that SearchEngine merges — a sealed
// segment through its index (SegmentSearch: skip blocks by time range,
// Bloom filters and exact value counts, decompress the rest, re-check every
// record; scan segments without a usable index) or the WAL's unsealed
// records (SearchWalRecords). docs/logs.md "Search".
//
// Damage is never an error here: a segment that cannot be read is reported
// in Partial::warnings and contributes what could be read safely.
//
// Thread safety: a SegmentSearch is used by one thread at a time (it keeps
// buffers and a decompression context); any number of them may search the
// same archive concurrently. The BlobStore, options, query and request must
// outlive it.
#ifndef KURA_LOGS_SEARCH_SEARCHER_H_
#define KURA_LOGS_SEARCH_SEARCHER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/blob/blob_store.h"
#include "logs/record/chain.h"
#include "logs/search/query.h"
#include "logs/search/search.h"
#include "logs/segment/segment_index.h"

namespace kura::logs::search_internal {

// A data object of the archive: its partition, seq range and key.
struct Segment {
  std::string dt;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  std::string data_key;
};

// What one segment (or the WAL) contributed.
struct Partial {
  std::vector<std::string> records;  // newest first, at most limit
  bool truncated = false;
  uint64_t count = 0;
  std::map<std::string, uint64_t> groups;
  std::vector<std::string> warnings;
  SearchStats stats;
};

// Appends a block's hits (oldest first) to out->records newest first, up to
// the limit.
void TakeHits(std::vector<std::string>* hits, size_t limit, Partial* out);

// Adds p's counts, groups, warnings and stats (not its records) to *into.
void Merge(Partial&& p, Partial* into);

// [lo, hi] (a block's or a day's received times) overlaps the request's
// [from, to), or lies inside it.
inline bool Overlaps(int64_t lo, int64_t hi, const SearchRequest& r) {
  return hi >= r.from_ms && lo < r.to_ms;
}
inline bool Inside(int64_t lo, int64_t hi, const SearchRequest& r) {
  return lo >= r.from_ms && hi < r.to_ms;
}

// Offers the WAL's records with seq > archived_last (the others are in the
// archive) to the query: matches into total (newest first, up to the
// request's limit), counts and groups; unreadable records become warnings.
void SearchWalRecords(const Query& query, const SearchRequest& req, size_t group_field,
                      const std::vector<ChainedRecord>& wal, uint64_t archived_last,
                      Partial* total);

class SegmentSearch {
 public:
  // group_field: a TextFieldId to count by, or SIZE_MAX.
  SegmentSearch(BlobStore& store, const SearchOptions& options, const Query& query,
                const SearchRequest& req, size_t group_field);
  ~SegmentSearch();
  SegmentSearch(const SegmentSearch&) = delete;
  SegmentSearch& operator=(const SegmentSearch&) = delete;

  // Searches one segment. A listing takes at most `limit` records from it
  // (the request's limit unless the caller needs fewer).
  Partial Run(const Segment& seg, size_t limit = SIZE_MAX);

  // For planning a listing: the number of records of `seg` that match, when
  // its index alone tells it exactly — every block in the time range is
  // entirely inside it and is excluded, wholly matching, or counted by a
  // counted field's values (as a --count would); nullopt when a block would
  // have to be read, or the index is missing, damaged or stale. The checked
  // index is left in *index for RunBlock; `per_block` (if not null)
  // receives (block, matches) for each block with matches, newest first.
  std::optional<uint64_t> ExactHits(const Segment& seg, std::optional<SegmentIndex>* index,
                                    std::vector<std::pair<size_t, uint64_t>>* per_block = nullptr);

  // For a planned listing: decodes block `b` of `seg` (wholly inside the
  // time range, as ExactHits requires) and leaves its matches, newest first,
  // in the result's records; damage is a warning. `matches` is the block's
  // count from ExactHits: with an index that has frame hashes, decoding
  // stops once that many records matched (0: decode the whole block).
  Partial RunBlock(const Segment& seg, const SegmentIndex& index, size_t b, uint64_t matches);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kura::logs::search_internal

#endif  // KURA_LOGS_SEARCH_SEARCHER_H_
