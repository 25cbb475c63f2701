#include "logs/search/searcher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "logs/archive/archive_layout.h"
#include "logs/record/timestamp.h"
#include "logs/segment/record_view.h"
#include "logs/segment/segment_reader.h"

namespace kura::logs::search_internal {
namespace {

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

// The first read of an index object: enough for a version 3 to 5 head of a
// typical segment in one pread.
constexpr uint64_t kIndexPrefixRead = 64 * 1024;

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

}  // namespace

// The segment searcher's state and steps (the public methods are those of
// SegmentSearch, documented in searcher.h).
struct SegmentSearch::Impl {
  Impl(BlobStore& store, const SearchOptions& options, const Query& query,
       const SearchRequest& req, size_t group_field)
      : store_(store), options_(options), query_(query), req_(req), group_field_(group_field),
        matcher_(query, req, group_field) {
    for (size_t f : kCountedFields) {
      if (NeedsCounts(query_.root(), f)) inline_fields_.push_back(f);
    }
  }

  Partial Run(const Segment& seg, size_t limit) {
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

  std::optional<uint64_t> ExactHits(const Segment& seg, std::optional<SegmentIndex>* index,
                                    std::vector<std::pair<size_t, uint64_t>>* per_block) {
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

  Partial RunBlock(const Segment& seg, const SegmentIndex& index, size_t b, uint64_t matches) {
    Partial out;
    ++out.stats.blocks;
    std::vector<std::string> hits;
    Status s = index.has_frame_hashes && matches > 0
                   ? DecodeBlockPrefix(seg, index, b, matches, &out, &hits)
                   : DecodeBlock(seg, index, b, /*inside=*/true, BlockReader(), std::string(),
                                 &out, &hits);
    if (s.ok()) {
      TakeHits(&hits, SIZE_MAX, &out);
    } else {
      out.warnings.push_back("segment " + seg.data_key + " skipped: " + s.ToString());
    }
    return out;
  }

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

  // Like DecodeBlock for a block wholly inside the time range of which
  // exactly `matches` records match (the index says so): checks the frame
  // against the index's frame hash, then decodes only until it has found
  // them all (on average half a block for one match).
  Status DecodeBlockPrefix(const Segment& seg, const SegmentIndex& index, size_t b,
                           uint64_t matches, Partial* out, std::vector<std::string>* hits) {
    const BlockInfo& blk = index.blocks[b];
    RETURN_IF_ERROR(
        BlockReader().ReadRange(seg.data_key, std::string(), blk.offset, blk.length, &frame_));
    ++out->stats.blocks_decoded;
    size_t offered = 0;  // bytes of raw_ whose lines were offered
    Status offer;
    ASSIGN_OR_RETURN(
        const bool whole,
        decompressor_.DecompressPrefix(frame_, blk.frame_hash, &raw_, [&](std::string_view ready) {
          const size_t nl = ready.rfind('\n');
          const size_t end = nl == std::string_view::npos ? 0 : nl + 1;
          if (end > offered) {
            offer = matcher_.OfferBlock(ready.substr(offered, end - offered), /*check_time=*/false,
                                        out, hits);
            offered = end;
          }
          return !offer.ok() || hits->size() >= matches;
        }));
    RETURN_IF_ERROR(offer);
    if (whole && offered != raw_.size()) return DataLossError("block does not end a line");
    if (!whole) ++out->stats.blocks_stopped_early;
    return OkStatus();
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
      ASSIGN_OR_RETURN(head, DecodeSegmentIndexHead(blob, &inline_fields_));
      if (head.blob_bytes != 0 && head.blob_bytes != size) {
        return DataLossError("segment index: truncated or trailing bytes");
      }
    } else {
      ASSIGN_OR_RETURN(blob, store_.Get(key));
      ASSIGN_OR_RETURN(head, DecodeSegmentIndexHead(blob, &inline_fields_));
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
    const std::vector<size_t> wanted = CountsBucketsOf(directory, values);
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
  // The head's low-cardinality counts this query uses (the others are
  // stepped over: parsing them all cost ~13 % of a needle count's CPU).
  std::vector<size_t> inline_fields_;
  BlockDecompressor decompressor_;
  bool indexed_ = false;
  size_t limit_ = 0;  // of the Run in progress
  // Reused across blocks and segments (fresh large buffers cost page faults).
  std::string frame_;
  std::string raw_;
  std::string range_;  // an index section read by byte range
  std::unique_ptr<ObjectReader> block_reader_;  // RunBlock's
};

SegmentSearch::SegmentSearch(BlobStore& store, const SearchOptions& options, const Query& query,
                             const SearchRequest& req, size_t group_field)
    : impl_(std::make_unique<Impl>(store, options, query, req, group_field)) {}

SegmentSearch::~SegmentSearch() = default;

Partial SegmentSearch::Run(const Segment& seg, size_t limit) { return impl_->Run(seg, limit); }

std::optional<uint64_t> SegmentSearch::ExactHits(
    const Segment& seg, std::optional<SegmentIndex>* index,
    std::vector<std::pair<size_t, uint64_t>>* per_block) {
  return impl_->ExactHits(seg, index, per_block);
}

Partial SegmentSearch::RunBlock(const Segment& seg, const SegmentIndex& index, size_t b,
                                uint64_t matches) {
  return impl_->RunBlock(seg, index, b, matches);
}

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

void Merge(Partial&& p, Partial* into) {
  into->count += p.count;
  for (auto& [k, v] : p.groups) into->groups[k] += v;
  for (auto& w : p.warnings) into->warnings.push_back(std::move(w));
  SearchStats& s = into->stats;
  s.segments += p.stats.segments;
  s.segments_scanned += p.stats.segments_scanned;
  s.blocks += p.stats.blocks;
  s.blocks_decoded += p.stats.blocks_decoded;
  s.blocks_stopped_early += p.stats.blocks_stopped_early;
  s.blocks_counted_by_index += p.stats.blocks_counted_by_index;
  s.records_checked += p.stats.records_checked;
  s.wal_records += p.stats.wal_records;
}

void SearchWalRecords(const Query& query, const SearchRequest& req, size_t group_field,
                      const std::vector<ChainedRecord>& wal, uint64_t archived_last,
                      Partial* total) {
  if (wal.empty()) return;
  const bool counting = req.count || group_field != SIZE_MAX;
  Matcher matcher(query, req, group_field);
  std::vector<std::string> hits;
  for (const ChainedRecord& r : wal) {
    if (r.seq <= archived_last) continue;
    ++total->stats.wal_records;
    if (r.received_ms < req.from_ms || r.received_ms >= req.to_ms) continue;
    Status s = matcher.Offer(r.bytes, false, total, &hits);
    if (!s.ok()) {
      total->warnings.push_back("unsealed record " + std::to_string(r.seq) +
                                " unreadable: " + s.message());
    }
  }
  TakeHits(&hits, counting ? SIZE_MAX : req.limit, total);
  total->stats.records_checked = 0;  // counted as wal_records
}

}  // namespace kura::logs::search_internal
