#include "logs/search/search.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "logs/archive/archive_layout.h"
#include "logs/record/timestamp.h"
#include "logs/search/query.h"
#include "logs/segment/record_view.h"
#include "logs/segment/segment_index.h"
#include "logs/segment/segment_reader.h"

namespace kura::logs {
namespace {

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

// Reads objects of the archive, by byte range from the local directory when
// there is one.
class ObjectReader {
 public:
  ObjectReader(BlobStore& store, const std::string& local_root)
      : store_(store), root_(local_root) {}

  // The size of a data object (local: stat; else the whole object is read
  // and kept in *whole).
  Result<uint64_t> Size(const std::string& key, std::string* whole) {
    if (root_.empty()) {
      ASSIGN_OR_RETURN(*whole, store_.Get(key));
      return static_cast<uint64_t>(whole->size());
    }
    struct stat st;
    if (::stat((root_ + "/" + key).c_str(), &st) != 0) {
      return errno == ENOENT ? NotFoundError("no object " + key)
                             : InternalError("cannot stat " + key);
    }
    return static_cast<uint64_t>(st.st_size);
  }

  Status ReadRange(const std::string& key, const std::string& whole, uint64_t offset,
                   uint64_t length, std::string* out) {
    if (root_.empty()) {
      if (offset > whole.size() || length > whole.size() - offset) {
        return DataLossError("block outside " + key);
      }
      out->assign(whole, offset, length);
      return OkStatus();
    }
    if (fd_key_ != key) {
      Close();
      fd_ = ::open((root_ + "/" + key).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) return errno == ENOENT ? NotFoundError("no object " + key)
                                          : InternalError("cannot open " + key);
      fd_key_ = key;
    }
    out->resize(length);
    uint64_t done = 0;
    while (done < length) {
      const ssize_t n = ::pread(fd_, out->data() + done, length - done,
                                static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return InternalError("cannot read " + key);
      if (n == 0) return DataLossError("block outside " + key);
      done += static_cast<uint64_t>(n);
    }
    return OkStatus();
  }

  ~ObjectReader() { Close(); }

 private:
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    fd_key_.clear();
  }
  BlobStore& store_;
  const std::string& root_;
  int fd_ = -1;
  std::string fd_key_;
};

class Matcher {
 public:
  Matcher(const Query& q, const SearchRequest& r, size_t group_field)
      : query_(q), req_(r), group_field_(group_field), literal_(q.required_literal()) {}

  // Tests one record; adds it to `out`. `check_time`: the block is not
  // entirely inside the range. Returns false once a record request is full.
  Status Offer(std::string_view bytes, bool check_time, Partial* out,
               std::vector<std::string>* block_hits) {
    if (!literal_.empty() && !Contains(bytes, literal_) &&
        std::memchr(bytes.data(), '\\', bytes.size()) == nullptr) {
      ++out->stats.records_checked;
      return OkStatus();  // cannot match (Query::required_literal)
    }
    return OfferCandidate(bytes, check_time, out, block_hits);
  }

  // Offers the records of a decompressed block (lines, oldest first). With a
  // required literal only the lines containing it or a backslash are parsed:
  // the block is searched with memmem/memchr instead of line by line.
  Status OfferBlock(std::string_view raw, bool check_time, Partial* out,
                    std::vector<std::string>* block_hits) {
    if (literal_.empty()) {
      return ForEachRecordInBlock(raw, [&](std::string_view rec) {
        return OfferCandidate(rec, check_time, out, block_hits);
      });
    }
    if (raw.empty() || raw.back() != '\n') return DataLossError("block does not end a line");
    const char* const begin = raw.data();
    const char* const end = begin + raw.size();
    const char* pos = begin;
    const char* lit = nullptr;  // next literal occurrence at or after pos (null: none left)
    const char* bs = nullptr;   // next backslash at or after pos (null: none left)
    bool lit_done = false, bs_done = false;
    while (pos < end) {
      if (!lit_done && (lit == nullptr || lit < pos)) {
        lit = static_cast<const char*>(
            memmem(pos, static_cast<size_t>(end - pos), literal_.data(), literal_.size()));
        lit_done = lit == nullptr;
      }
      if (!bs_done && (bs == nullptr || bs < pos)) {
        bs = static_cast<const char*>(std::memchr(pos, '\\', static_cast<size_t>(end - pos)));
        bs_done = bs == nullptr;
      }
      const char* hit = lit_done ? bs : bs_done ? lit : std::min(lit, bs);
      if (hit == nullptr) break;
      const char* line = hit;
      while (line > begin && line[-1] != '\n') --line;
      const char* nl = static_cast<const char*>(
          std::memchr(hit, '\n', static_cast<size_t>(end - hit)));
      // raw ends with '\n', so nl is found.
      if (nl == line) return DataLossError("empty line in block");
      RETURN_IF_ERROR(OfferCandidate(std::string_view(line, static_cast<size_t>(nl - line)),
                                     check_time, out, block_hits));
      pos = nl + 1;
    }
    return OkStatus();
  }

  bool counting() const { return req_.count || group_field_ != SIZE_MAX; }

 private:
  static bool Contains(std::string_view hay, std::string_view needle) {
    return memmem(hay.data(), hay.size(), needle.data(), needle.size()) != nullptr;
  }

  Status OfferCandidate(std::string_view bytes, bool check_time, Partial* out,
                        std::vector<std::string>* block_hits) {
    ++out->stats.records_checked;
    auto view = ScanRecord(bytes);
    if (!view.ok()) return view.status();
    if (check_time) {
      auto t = ParseTimestamp(view->received);
      if (!t.ok()) return DataLossError("record with a bad received time");
      if (*t < req_.from_ms || *t >= req_.to_ms) return OkStatus();
    }
    if (!query_.Matches(*view)) return OkStatus();
    if (counting()) {
      ++out->count;
      if (group_field_ != SIZE_MAX) {
        std::string scratch;
        ++out->groups[std::string(view->Text(group_field_, &scratch))];
      }
    } else {
      block_hits->emplace_back(bytes);
    }
    return OkStatus();
  }

  const Query& query_;
  const SearchRequest& req_;
  const size_t group_field_;
  const std::string_view literal_;
};

// Appends a block's hits (oldest first) to out->records newest first, up to
// the limit.
void TakeHits(std::vector<std::string>* hits, size_t limit, Partial* out) {
  for (auto it = hits->rbegin(); it != hits->rend(); ++it) {
    if (out->records.size() >= limit) {
      out->truncated = true;
      break;
    }
    out->records.push_back(std::move(*it));
  }
  hits->clear();
}

// The first read of an index object: enough for a version 3 or 4 head of a
// typical segment in one pread.
constexpr uint64_t kIndexPrefixRead = 64 * 1024;

bool Overlaps(int64_t lo, int64_t hi, const SearchRequest& r) {  // [lo, hi] vs [from, to)
  return hi >= r.from_ms && lo < r.to_ms;
}
bool Inside(int64_t lo, int64_t hi, const SearchRequest& r) {
  return lo >= r.from_ms && hi < r.to_ms;
}

// A query's one counted field in a segment's index (Query::SingleCountedField)
// and which of its values the query accepts (decided once per segment, not
// per block); `counts` is null when the query has no such field or the
// segment kept no counts for it.
struct SingleFieldCounts {
  SingleFieldCounts(const Query& query, const SegmentIndex& index) {
    if (!query.SingleCountedField(&field) || (counts = index.CountsFor(field)) == nullptr) return;
    accepted.reserve(counts->values.size());
    for (const std::string& v : counts->values) accepted.push_back(query.Accepts(v));
  }
  // Calls fn(value, records) for each accepted value present in block `b`.
  template <typename Fn>
  void ForEachAccepted(size_t b, Fn fn) const {
    for (const auto& [id, n] : counts->per_block[b]) {
      if (accepted[id]) fn(counts->values[id], n);
    }
  }

  size_t field = SIZE_MAX;
  const FieldCounts* counts = nullptr;
  std::vector<char> accepted;
};

class SegmentSearch {
 public:
  SegmentSearch(BlobStore& store, const SearchOptions& options, const Query& query,
                const SearchRequest& req, size_t group_field)
      : store_(store), options_(options), query_(query), req_(req), group_field_(group_field),
        matcher_(query, req, group_field) {}

  // Searches one segment. A listing takes at most `limit` records from it
  // (the request's limit unless the caller needs fewer).
  Partial Run(const Segment& seg, size_t limit = SIZE_MAX) {
    limit_ = std::min(limit, req_.limit);
    Partial out;
    ++out.stats.segments;
    Status s = RunIndexed(seg, &out);
    if (s.code() == StatusCode::kNotFound && !indexed_) {
      s = Scan(seg, &out);  // cold tier: no index object
    } else if (!s.ok() && !indexed_) {
      out.warnings.push_back("index of " + seg.data_key + " not used (" + s.message() +
                             "); segment scanned");
      s = Scan(seg, &out);
    }
    if (!s.ok()) {
      out.warnings.push_back("segment " + seg.data_key + " skipped: " + s.ToString());
    }
    return out;
  }

  // For planning a listing: the number of records of `seg` that match, when
  // its index alone tells it exactly — every block in the time range is
  // entirely inside it and is excluded, wholly matching, or counted by a
  // counted field's values (as a --count would); nullopt when a block would
  // have to be read, or the index is missing, damaged or stale.
  // The checked index is left in *index for Run.
  // `per_block` (if not null) receives (block, matches) for each block with
  // matches, newest block first.
  std::optional<uint64_t> ExactHits(const Segment& seg, std::optional<SegmentIndex>* index,
                                    std::vector<std::pair<size_t, uint64_t>>* per_block = nullptr) {
    ObjectReader reader(store_, options_.local_root);
    std::string whole;
    Result<SegmentIndex> loaded = LoadCheckedIndex(seg, reader, &whole);
    if (!loaded.ok()) return std::nullopt;
    index->emplace(std::move(loaded).value());
    const SegmentIndex& idx = **index;
    const BoundQuery bound(query_, idx);
    const SingleFieldCounts single(query_, idx);
    uint64_t hits = 0;
    if (per_block != nullptr) per_block->clear();
    for (size_t b = idx.blocks.size(); b-- > 0;) {
      const BlockInfo& blk = idx.blocks[b];
      if (!Overlaps(blk.min_received_ms, blk.max_received_ms, req_)) continue;
      const BlockVerdict verdict = bound.Classify(b);
      if (verdict == BlockVerdict::kNone) continue;
      if (!Inside(blk.min_received_ms, blk.max_received_ms, req_)) return std::nullopt;
      uint64_t n = 0;
      if (verdict == BlockVerdict::kAll) {
        n = blk.record_count;
      } else if (single.counts != nullptr) {
        single.ForEachAccepted(b, [&](const std::string&, uint64_t v) { n += v; });
      } else {
        return std::nullopt;
      }
      hits += n;
      if (per_block != nullptr && n > 0) per_block->emplace_back(b, n);
    }
    return hits;
  }

  // For a planned listing: decodes block `b` of `seg` (wholly inside the
  // time range, as ExactHits requires) and leaves its matches, newest first,
  // in out->records.
  Partial RunBlock(const Segment& seg, const SegmentIndex& index, size_t b) {
    Partial out;
    ++out.stats.blocks;
    std::vector<std::string> hits;
    Status s = DecodeBlock(seg, index, b, /*inside=*/true, BlockReader(), std::string(), &out,
                           &hits);
    if (s.ok()) {
      TakeHits(&hits, SIZE_MAX, &out);
    } else {
      out.warnings.push_back("segment " + seg.data_key + " skipped: " + s.ToString());
    }
    return out;
  }

 private:
  // Errors before any block was used leave indexed_ false (fall back to a
  // scan); later errors are damage in the data object.
  Status RunIndexed(const Segment& seg, Partial* out) {
    indexed_ = false;
    ObjectReader reader(store_, options_.local_root);
    std::string whole;  // the data object, from a store without byte ranges
    ASSIGN_OR_RETURN(const SegmentIndex index, LoadCheckedIndex(seg, reader, &whole));
    indexed_ = true;
    const BoundQuery bound(query_, index);
    const FieldCounts* group_counts =
        group_field_ == SIZE_MAX ? nullptr : index.CountsFor(group_field_);
    const SingleFieldCounts single(query_, index);
    std::vector<std::string> hits;
    for (size_t b = index.blocks.size(); b-- > 0;) {
      if (!matcher_.counting() && out->records.size() >= limit_) {
        out->truncated = true;
        break;
      }
      const BlockInfo& blk = index.blocks[b];
      ++out->stats.blocks;
      if (!Overlaps(blk.min_received_ms, blk.max_received_ms, req_)) continue;
      const bool inside = Inside(blk.min_received_ms, blk.max_received_ms, req_);
      const BlockVerdict verdict = bound.Classify(b);
      if (verdict == BlockVerdict::kNone) continue;
      if (matcher_.counting() && inside) {
        // All records match: the block's count (and group counts) are known.
        if (verdict == BlockVerdict::kAll &&
            (group_field_ == SIZE_MAX || group_counts != nullptr)) {
          out->count += blk.record_count;
          if (group_counts != nullptr) {
            for (const auto& [id, n] : group_counts->per_block[b]) {
              out->groups[group_counts->values[id]] += n;
            }
          }
          ++out->stats.blocks_counted_by_index;
          continue;
        }
        // A query on one counted field: exact from its value counts.
        if (single.counts != nullptr &&
            (group_field_ == SIZE_MAX || group_field_ == single.field)) {
          single.ForEachAccepted(b, [&](const std::string& value, uint64_t n) {
            out->count += n;
            if (group_field_ != SIZE_MAX) out->groups[value] += n;
          });
          ++out->stats.blocks_counted_by_index;
          continue;
        }
      }
      RETURN_IF_ERROR(DecodeBlock(seg, index, b, inside, reader, whole, out, &hits));
      TakeHits(&hits, limit_, out);
    }
    return OkStatus();
  }

  // Reads and decompresses block `b` and offers its records; the matches are
  // appended to *hits (oldest first).
  Status DecodeBlock(const Segment& seg, const SegmentIndex& index, size_t b, bool inside,
                     ObjectReader& reader, const std::string& whole, Partial* out,
                     std::vector<std::string>* hits) {
    const BlockInfo& blk = index.blocks[b];
    RETURN_IF_ERROR(reader.ReadRange(seg.data_key, whole, blk.offset, blk.length, &frame_));
    RETURN_IF_ERROR(decompressor_.Decompress(frame_, &raw_));
    ++out->stats.blocks_decoded;
    return matcher_.OfferBlock(raw_, !inside, out, hits);
  }

  // The reader RunBlock keeps across calls (a data object's file stays open
  // while consecutive blocks come from it).
  ObjectReader& BlockReader() {
    if (!block_reader_) block_reader_ = std::make_unique<ObjectReader>(store_, options_.local_root);
    return *block_reader_;
  }

  // LoadIndex, then checks that the index describes `seg`'s data object
  // (its seq range and size: a stale or misplaced index must not be used).
  // From a store without byte ranges *whole receives the data object.
  Result<SegmentIndex> LoadCheckedIndex(const Segment& seg, ObjectReader& reader,
                                        std::string* whole) {
    ASSIGN_OR_RETURN(SegmentIndex index, LoadIndex(seg));
    if (index.first_seq != seg.first_seq || index.last_seq != seg.last_seq) {
      return DataLossError("segment index: belongs to another segment");
    }
    ASSIGN_OR_RETURN(uint64_t size, reader.Size(seg.data_key, whole));
    RETURN_IF_ERROR(CheckIndexMatchesData(index, size));
    return index;
  }

  // Reads the index object's head and only the sections this query needs
  // (byte ranges when the store is local). Any damage is kDataLoss.
  Result<SegmentIndex> LoadIndex(const Segment& seg) {
    const std::string key = IndexKey(seg.dt, seg.first_seq, seg.last_seq);
    std::string blob;
    SegmentIndexHead head;
    ObjectReader reader(store_, options_.local_root);
    const bool ranged = !options_.local_root.empty();
    if (ranged) {
      const std::string none;  // ranged reads need no whole object
      ASSIGN_OR_RETURN(const uint64_t size, reader.Size(key, nullptr));
      RETURN_IF_ERROR(reader.ReadRange(key, none, 0, std::min<uint64_t>(size, kIndexPrefixRead),
                                       &blob));
      ASSIGN_OR_RETURN(uint64_t need, SegmentIndexHeadBytes(blob));
      if (need == 0) need = size;  // version 1/2: one frame
      if (need > size) return DataLossError("segment index: truncated head");
      if (need > blob.size()) RETURN_IF_ERROR(reader.ReadRange(key, none, 0, need, &blob));
      ASSIGN_OR_RETURN(head, DecodeSegmentIndexHead(blob));
      if (head.blob_bytes != 0 && head.blob_bytes != size) {
        return DataLossError("segment index: truncated or trailing bytes");
      }
    } else {
      ASSIGN_OR_RETURN(blob, store_.Get(key));
      ASSIGN_OR_RETURN(head, DecodeSegmentIndexHead(blob));
      if (head.blob_bytes != 0 && head.blob_bytes != blob.size()) {
        return DataLossError("segment index: truncated or trailing bytes");
      }
    }
    // Counts first: a term decided by counts needs no filter.
    bool need_bloom = false;
    for (int pass = 0; pass < 2; ++pass) {
      for (const IndexSection& sec : head.sections) {
        const bool counts = sec.kind == IndexSection::Kind::kCounts ||
                            sec.kind == IndexSection::Kind::kBucketedCounts;
        if (pass == 0 ? !(counts && NeedsCounts(query_.root(), sec.field_id))
                      : !(!counts && need_bloom)) {
          continue;
        }
        // Without NOT and without grouping by the field, only the query's
        // values of it matter: load just their postings.
        std::vector<std::string> wanted;
        const bool selective = counts && group_field_ != sec.field_id && !HasNot(query_.root());
        if (selective) CollectValues(query_.root(), sec.field_id, &wanted);
        if (ranged && selective && sec.kind == IndexSection::Kind::kBucketedCounts) {
          // Version 4: the directory, then only the buckets of those values.
          RETURN_IF_ERROR(LoadBucketsByRange(reader, key, sec, wanted, &head.index));
          continue;
        }
        std::string_view bytes;
        if (ranged) {
          RETURN_IF_ERROR(reader.ReadRange(key, std::string(), sec.offset, sec.length, &range_));
          bytes = range_;
        } else {
          if (sec.offset > blob.size() || sec.length > blob.size() - sec.offset) {
            return DataLossError("segment index: section outside the object");
          }
          bytes = std::string_view(blob).substr(sec.offset, sec.length);
        }
        RETURN_IF_ERROR(LoadIndexSection(sec, bytes, &head.index, selective ? &wanted : nullptr));
      }
      if (pass == 0) need_bloom = !head.index.bloom_loaded && NeedsBloom(query_.root(), head.index);
    }
    return std::move(head.index);
  }

  // Reads a version 4 counts section's directory and the buckets of
  // `values` by byte range, and loads those values' counts.
  Status LoadBucketsByRange(ObjectReader& reader, const std::string& key, const IndexSection& sec,
                            const std::vector<std::string>& values, SegmentIndex* index) {
    RETURN_IF_ERROR(
        reader.ReadRange(key, std::string(), sec.offset, sec.directory_length, &range_));
    ASSIGN_OR_RETURN(const CountsDirectory directory, DecodeCountsDirectory(sec, range_));
    std::vector<size_t> wanted;
    for (const std::string& v : values) wanted.push_back(CountsBucketOf(directory, v));
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    std::vector<std::string> buffers(wanted.size());
    std::vector<std::pair<size_t, std::string_view>> buckets;
    for (size_t i = 0; i < wanted.size(); ++i) {
      const CountsDirectory::Bucket& b = directory.buckets[wanted[i]];
      RETURN_IF_ERROR(
          reader.ReadRange(key, std::string(), sec.offset + b.offset, b.length, &buffers[i]));
      buckets.emplace_back(wanted[i], buffers[i]);
    }
    return LoadCountsBuckets(directory, buckets, index, values);
  }

  static bool HasNot(const QueryNode& q) {
    if (q.kind == QueryNode::Kind::kNot) return true;
    for (const QueryNode& c : q.children) {
      if (HasNot(c)) return true;
    }
    return false;
  }

  static void CollectValues(const QueryNode& q, size_t field_id, std::vector<std::string>* out) {
    if (q.kind == QueryNode::Kind::kField && q.field_id == field_id) out->push_back(q.value);
    for (const QueryNode& c : q.children) CollectValues(c, field_id, out);
  }

  bool NeedsCounts(const QueryNode& q, size_t field_id) const {
    if (group_field_ == field_id) return true;
    if (q.kind == QueryNode::Kind::kField && q.field_id == field_id) return true;
    for (const QueryNode& c : q.children) {
      if (NeedsCounts(c, field_id)) return true;
    }
    return false;
  }

  // Whether BoundQuery would consult a Bloom filter: a phrase, or a value of
  // a field without counts.
  static bool NeedsBloom(const QueryNode& q, const SegmentIndex& index) {
    if (q.kind == QueryNode::Kind::kPhrase) return true;
    if (q.kind == QueryNode::Kind::kField && !q.value.empty() &&
        index.CountsFor(q.field_id) == nullptr) {
      return true;
    }
    for (const QueryNode& c : q.children) {
      if (NeedsBloom(c, index)) return true;
    }
    return false;
  }

  Status Scan(const Segment& seg, Partial* out) {
    ++out->stats.segments_scanned;
    ASSIGN_OR_RETURN(std::string data, store_.Get(seg.data_key));
    SegmentReader reader(data);
    // Records come oldest first; keep the newest `limit` hits in a ring.
    std::vector<std::string> hits;
    std::string_view rec;
    while (true) {
      ASSIGN_OR_RETURN(bool more, reader.Next(&rec));
      if (!more) break;
      RETURN_IF_ERROR(matcher_.Offer(rec, true, out, &hits));
      if (!matcher_.counting() && hits.size() > 2 * limit_ + 1024) {
        hits.erase(hits.begin(), hits.end() - static_cast<std::ptrdiff_t>(limit_) - 1);
      }
    }
    TakeHits(&hits, limit_, out);
    return OkStatus();
  }

  BlobStore& store_;
  const SearchOptions& options_;
  const Query& query_;
  const SearchRequest& req_;
  const size_t group_field_;
  Matcher matcher_;
  BlockDecompressor decompressor_;
  bool indexed_ = false;
  size_t limit_ = 0;  // of the Run in progress
  // Reused across blocks and segments (fresh large buffers cost page faults).
  std::string frame_;
  std::string raw_;
  std::string range_;  // an index section read by byte range
  std::unique_ptr<ObjectReader> block_reader_;  // RunBlock's
};

void Merge(Partial&& p, Partial* into) {
  into->count += p.count;
  for (auto& [k, v] : p.groups) into->groups[k] += v;
  for (auto& w : p.warnings) into->warnings.push_back(std::move(w));
  SearchStats& s = into->stats;
  s.segments += p.stats.segments;
  s.segments_scanned += p.stats.segments_scanned;
  s.blocks += p.stats.blocks;
  s.blocks_decoded += p.stats.blocks_decoded;
  s.blocks_counted_by_index += p.stats.blocks_counted_by_index;
  s.records_checked += p.stats.records_checked;
  s.wal_records += p.stats.wal_records;
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
      work.push_back(Work{i, b, take});
      need -= take;
    }
  }
  std::vector<Partial> parts(work.size());
  std::atomic<size_t> next{0};
  auto run = [&] {
    SegmentSearch search(archive, options, query, req, SIZE_MAX);
    for (size_t k = next.fetch_add(1); k < work.size(); k = next.fetch_add(1)) {
      const Work& w = work[k];
      parts[k] = search.RunBlock(segments[w.segment], *indexes[w.segment], w.block);
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < std::min(threads, work.size()); ++t) pool.emplace_back(run);
  run();
  for (std::thread& t : pool) t.join();
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
  if (!wal.empty()) {
    Matcher matcher(query, req, group_field);
    std::vector<std::string> hits;
    for (const ChainedRecord& r : wal) {
      if (r.seq <= archived_last) continue;
      ++total.stats.wal_records;
      if (r.received_ms < req.from_ms || r.received_ms >= req.to_ms) continue;
      Status s = matcher.Offer(r.bytes, false, &total, &hits);
      if (!s.ok()) total.warnings.push_back("unsealed record " + std::to_string(r.seq) +
                                            " unreadable: " + s.message());
    }
    TakeHits(&hits, counting ? SIZE_MAX : req.limit, &total);
    total.stats.records_checked = 0;  // counted as wal_records
  }

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
    std::vector<std::thread> pool;
    for (size_t t = 1; t < std::min(threads, segments.size()); ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
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
