// SegmentIndex: the hot-tier index of one segment (the `index/...idx` object
// next to a `data/...jsonl.zst` object; docs/logs.md "Segments and the hot
// index").
//
// Per block (one zstd frame of the data object) it keeps the frame's byte
// range, raw size, record count, seq range and received-time range, a Bloom
// filter over the block's tokens (tokens.h: field=value and lower-cased
// words), and, for a few low-cardinality fields (kCountedFields), the number
// of records per value, so that counts grouped by those fields need no
// decompression.
//
// The index is an optimisation and never trusted for correctness: a search
// uses it only to skip blocks and re-checks every candidate record. The blob
// is versioned and checksummed: a head and separately checksummed sections
// (see EncodeSegmentIndex), so a search reads and checks only the parts its
// query needs; a part that fails any check is reported as kDataLoss and the
// search falls back to scanning the data object.
//
// Thread safety: plain data; a const SegmentIndex may be read concurrently.
#ifndef KURA_LOGS_SEGMENT_SEGMENT_INDEX_H_
#define KURA_LOGS_SEGMENT_SEGMENT_INDEX_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "logs/segment/record_view.h"

namespace kura::logs {

// Version written by EncodeSegmentIndex. Decode reads versions 1 to 5 and
// refuses others (kDataLoss), so a future format is scanned instead of
// misread. Version 5 (this one) is version 4 plus each block's frame hash
// (BlockInfo::frame_hash), which lets a search check a block's compressed
// frame before decoding it and then stop decoding part-way (a zstd content
// checksum covers only a frame decoded to its end).
// Version 4 is version 3 with the principal counts split
// into hash buckets behind a checksummed directory (IndexSection::Kind::
// kBucketedCounts), so a needle query reads the directory and one bucket of
// a few KiB instead of the whole section (~330 KiB for 30,000 principals).
// Version 3 splits the blob into separately compressed and checksummed
// parts so a search reads only what its query needs: a small head (header,
// block table, the low-cardinality counts and a table of the other
// sections), then the Bloom filters, then the principal counts.
// Version 2: one frame; counts may include principal, value ids delta-coded.
// Version 1: one frame; plain value ids, no principal counts.
inline constexpr uint32_t kSegmentIndexVersion = 5;
inline constexpr uint32_t kOldestSegmentIndexVersion = 1;

// Fields whose per-block value counts are kept (text field ids of
// record_view.h): service, event, outcome, severity, app, host, node, source
// and principal. Counts make `--count`/`--group-by` on these fields exact
// without decompression, and let a search skip every block without the
// value (no Bloom false positives).
inline constexpr size_t kPrincipalFieldId = 3;
inline constexpr std::array<size_t, 9> kCountedFields = {0, 1, 2, 9, 8, 7, kNodeFieldId,
                                                         kSourceFieldId, kPrincipalFieldId};
// A counted field with more distinct values than this in one segment keeps
// no counts in that segment (queries on it decompress instead).
inline constexpr size_t kMaxCountedValues = 4096;
// Principal has many values (people and service accounts); a segment keeps
// its counts up to this many distinct principals.
inline constexpr size_t kMaxCountedPrincipals = 65536;
// The limit for `field_id`.
constexpr size_t MaxCountedValues(size_t field_id) {
  return field_id == kPrincipalFieldId ? kMaxCountedPrincipals : kMaxCountedValues;
}
// Version 4: about this many principals share one bucket of the counts
// section (a needle query reads one bucket).
inline constexpr size_t kValuesPerCountsBucket = 64;
// Bloom filter sizing: bits per distinct token of a block, and probes.
inline constexpr uint32_t kBloomBitsPerToken = 7;
inline constexpr uint32_t kBloomProbes = 5;
// Decode limits (a damaged or hostile blob must not exhaust memory).
inline constexpr size_t kMaxIndexRawBytes = size_t{1} << 30;
inline constexpr size_t kMaxIndexBlocks = size_t{1} << 22;

struct BlockInfo {
  uint64_t offset = 0;        // first byte of the block's zstd frame in data
  uint64_t length = 0;        // compressed length (the whole frame)
  uint64_t raw_bytes = 0;     // decompressed length (records + newlines)
  uint64_t record_count = 0;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  int64_t min_received_ms = 0;
  int64_t max_received_ms = 0;
  uint64_t bloom_offset = 0;  // first word in SegmentIndex::bloom_words
  uint64_t bloom_words = 0;   // number of 64-bit words (0 = no filter: may contain anything)
  // BlockFrameHash of the frame's bytes (offset, length); meaningful only
  // when SegmentIndex::has_frame_hashes.
  uint64_t frame_hash = 0;
};

// The checksum of a block's compressed frame kept in the index (Hash64 of
// tokens.h with its own seed): not a defence against tampering (the signed
// digests are), but against damage, like the zstd checksum it stands in for
// when a frame is decoded only in part.
uint64_t BlockFrameHash(std::string_view frame);

struct FieldCounts {
  size_t field_id = 0;
  // Distinct values in this segment; "" stands for "field absent".
  std::vector<std::string> values;
  // per_block[b] = (index into values, number of records) pairs of block b,
  // ids ascending.
  std::vector<std::vector<std::pair<uint32_t, uint64_t>>> per_block;
  // Loaded for some values only (LoadIndexSection's only_values): `values`
  // holds those present in the segment, and a block's pairs do not add up
  // to its record count. Exact for queries on those values without NOT.
  bool partial = false;
};

struct SegmentIndex {
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  uint64_t record_count = 0;
  int64_t min_received_ms = 0;
  int64_t max_received_ms = 0;
  uint64_t data_bytes = 0;  // size of the data object described
  uint32_t bloom_probes = kBloomProbes;
  std::vector<BlockInfo> blocks;
  // Whether each BlockInfo::frame_hash is set (version 5 blobs, and every
  // index SegmentBuilder makes); false for older versions.
  bool has_frame_hashes = false;
  std::vector<uint64_t> bloom_words;
  std::vector<FieldCounts> counts;  // only for fields that kept counts (loaded)
  // Whether bloom_words holds the filters. A head decoded alone
  // (DecodeSegmentIndexHead) has not loaded them: BlockMayContain is then
  // always true (no block is skipped by a filter that was not read).
  bool bloom_loaded = true;
  uint64_t bloom_words_total = 0;  // size of the filter section (version 3)

  // False only if block `b` certainly has no record with token `hash`.
  bool BlockMayContain(size_t b, uint64_t hash) const;
  // Counts of text field `field_id`, or nullptr when not kept.
  const FieldCounts* CountsFor(size_t field_id) const;
};

// Bloom filter primitives over `nwords` 64-bit words.
void BloomAdd(uint64_t* words, size_t nwords, uint32_t probes, uint64_t hash);
bool BloomMayContain(const uint64_t* words, size_t nwords, uint32_t probes, uint64_t hash);

// A separately stored part of a version 3, 4 or 5 index blob.
struct IndexSection {
  // kCounts: version 3's counts section; kBucketedCounts: version 4's.
  enum class Kind : uint32_t { kBloom = 1, kCounts = 2, kBucketedCounts = 3 };
  Kind kind = Kind::kBloom;
  size_t field_id = 0;  // kCounts, kBucketedCounts: the counted field (principal)
  uint64_t offset = 0;  // byte range in the blob
  uint64_t length = 0;
  // Hash64 of the section's bytes (checked on load); for kBucketedCounts of
  // its directory, the section's first `directory_length` bytes, which hold
  // each bucket's length and Hash64.
  uint64_t hash = 0;
  uint64_t directory_length = 0;  // kBucketedCounts only
};

// The stored blob (versions 3 to 5): "kura-idx", u32 version (LE), u32 head length
// H (LE), the head (one zstd frame with content checksum: header, block
// table, low-cardinality counts, section table; in version 5 the block
// table starts with a flag, 1 when each block's entry ends with its u64
// frame hash), u64 Hash64 (tokens.h) of all
// preceding bytes; then the sections, each with its Hash64 in the section
// table: the Bloom filters (one zstd frame), the principal counts (stored
// uncompressed, value-major: per value its (block, records) postings, so a
// needle query reads them without decompressing and decodes one value);
// in version 4 the principal counts are a directory (field id, bucket count,
// then per bucket its length and Hash64) followed by the buckets, bucket k
// holding, laid out as a version 3 counts section, the values v with
// Hash64(v) % buckets == k.
std::string EncodeSegmentIndex(const SegmentIndex& index);
// The same as version 3 (the principal counts one value-major section): for
// stores also read by nodes that predate version 4, and for tests that such
// blobs stay readable.
std::string EncodeSegmentIndexVersion3(const SegmentIndex& index);
// The same as version 4 (no frame hashes: decoding it leaves
// has_frame_hashes false), for the same reasons.
std::string EncodeSegmentIndexVersion4(const SegmentIndex& index);

// Given at least the first 16 bytes of a blob: how many leading bytes
// DecodeSegmentIndexHead needs, or 0 for a version 1/2 blob (read it whole).
// kDataLoss for a bad magic, unknown version or impossible length.
Result<uint64_t> SegmentIndexHeadBytes(std::string_view prefix);

struct SegmentIndexHead {
  SegmentIndex index;                 // without the sections' content
  std::vector<IndexSection> sections; // offsets absolute in the blob
  uint64_t head_bytes = 0;            // bytes the head takes
  uint64_t blob_bytes = 0;            // expected blob size (0: version 1/2)
};

// Decodes the head of a blob from its first bytes (at least
// SegmentIndexHeadBytes; a version 1/2 blob must be whole and is decoded
// completely, with no sections). kDataLoss like DecodeSegmentIndex. With
// `inline_fields`, a version 3–5 head loads the low-cardinality counts of
// those fields only (a search loads what its query uses: parsing all of
// them cost ~13 % of a needle count's CPU); the others are stepped over
// unread, absent from SegmentIndex::counts. nullptr loads all.
Result<SegmentIndexHead> DecodeSegmentIndexHead(std::string_view blob,
                                                const std::vector<size_t>* inline_fields = nullptr);

// Checks (length, Hash64, zstd checksum, consistency with the head) and
// loads one section's bytes into *index. For a counts section,
// `only_values` (if not null) loads just those values (FieldCounts::partial;
// the others' postings are skipped). kDataLoss when any check fails (*index
// may then hold a partially loaded filter: discard it).
Status LoadIndexSection(const IndexSection& section, std::string_view bytes,
                        SegmentIndex* index,
                        const std::vector<std::string>* only_values = nullptr);

// Reading a version 4 counts section by parts (a store with byte ranges):
// the directory (the section's first directory_length bytes, checked
// against IndexSection::hash), then only the buckets of the values needed.
struct CountsDirectory {
  struct Bucket {
    uint64_t offset = 0;  // relative to the section's start
    uint64_t length = 0;
    uint64_t hash = 0;
  };
  size_t field_id = 0;
  std::vector<Bucket> buckets;
};
// kDataLoss if `bytes` is not the section's directory.
Result<CountsDirectory> DecodeCountsDirectory(const IndexSection& section, std::string_view bytes);
// The bucket holding `value`.
size_t CountsBucketOf(const CountsDirectory& directory, std::string_view value);
// The buckets holding `values`, ascending, each once.
std::vector<size_t> CountsBucketsOf(const CountsDirectory& directory,
                                    const std::vector<std::string>& values);
// Checks and loads the given buckets ((bucket number, its bytes), each at
// most once) into *index as the FieldCounts of the directory's field,
// keeping only `only_values` (FieldCounts::partial). kDataLoss when a bucket
// fails its checks.
Status LoadCountsBuckets(const CountsDirectory& directory,
                         const std::vector<std::pair<size_t, std::string_view>>& buckets,
                         SegmentIndex* index, const std::vector<std::string>& only_values);

// Parses a whole blob (head and every section). kDataLoss (with what is
// wrong) for a bad magic, an unknown version, a checksum mismatch or any
// inconsistent content (blocks not contiguous, filters out of range, ...).
Result<SegmentIndex> DecodeSegmentIndex(std::string_view blob);

// Checks that `index` describes a data object of `data_bytes` bytes
// (kDataLoss otherwise): a stale or misplaced index must not be used.
Status CheckIndexMatchesData(const SegmentIndex& index, uint64_t data_bytes);

}  // namespace kura::logs

#endif  // KURA_LOGS_SEGMENT_SEGMENT_INDEX_H_
