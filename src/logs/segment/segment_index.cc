#include "logs/segment/segment_index.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "logs/segment/index_codec.h"
#include "logs/segment/tokens.h"

namespace kura::logs {
namespace {

using index_codec::PutFixed32;
using index_codec::PutFixed64;
using index_codec::PutVarint;
using index_codec::Reader;

constexpr std::string_view kMagic = "kura-idx";
constexpr int kIndexZstdLevel = 1;  // mostly Bloom bits: compress fast
// The blob ends with Hash64(everything before, kChecksumSeed): zstd's own
// content checksum misses flips that decode to the same content.
constexpr uint64_t kChecksumSeed = 0x6b7572612d696478ULL;  // "kura-idx"
constexpr uint64_t kFrameSeed = 0x6b7572612d66726dULL;     // "kura-frm"

Status Corrupt(std::string_view what) {
  return DataLossError("segment index: " + std::string(what));
}

// Bit positions of the probes: double hashing (Kirsch-Mitzenmacher).
inline uint64_t Probe(uint64_t hash, uint32_t i, uint64_t nbits) {
  const uint64_t h1 = hash;
  const uint64_t h2 = (hash >> 32) | (hash << 32) | 1;
  return (h1 + i * h2) % nbits;
}

}  // namespace

void BloomAdd(uint64_t* words, size_t nwords, uint32_t probes, uint64_t hash) {
  const uint64_t nbits = static_cast<uint64_t>(nwords) * 64;
  for (uint32_t i = 0; i < probes; ++i) {
    const uint64_t bit = Probe(hash, i, nbits);
    words[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
}

bool BloomMayContain(const uint64_t* words, size_t nwords, uint32_t probes, uint64_t hash) {
  if (nwords == 0) return true;
  const uint64_t nbits = static_cast<uint64_t>(nwords) * 64;
  for (uint32_t i = 0; i < probes; ++i) {
    const uint64_t bit = Probe(hash, i, nbits);
    if ((words[bit >> 6] & (uint64_t{1} << (bit & 63))) == 0) return false;
  }
  return true;
}

bool SegmentIndex::BlockMayContain(size_t b, uint64_t hash) const {
  if (!bloom_loaded) return true;
  const BlockInfo& block = blocks[b];
  return BloomMayContain(bloom_words.data() + block.bloom_offset, block.bloom_words, bloom_probes,
                         hash);
}

const FieldCounts* SegmentIndex::CountsFor(size_t field_id) const {
  for (const FieldCounts& c : counts) {
    if (c.field_id == field_id) return &c;
  }
  return nullptr;
}

namespace {

void PutHeaderAndBlocks(const SegmentIndex& index, uint32_t version, std::string* p) {
  PutVarint(index.first_seq, p);
  PutVarint(index.last_seq, p);
  PutVarint(index.record_count, p);
  PutFixed64(static_cast<uint64_t>(index.min_received_ms), p);
  PutFixed64(static_cast<uint64_t>(index.max_received_ms), p);
  PutVarint(index.data_bytes, p);
  PutVarint(index.bloom_probes, p);
  const bool hashes = version >= 5 && index.has_frame_hashes;
  if (version >= 5) PutVarint(hashes ? 1 : 0, p);
  PutVarint(index.blocks.size(), p);
  for (const BlockInfo& b : index.blocks) {
    PutVarint(b.offset, p);
    PutVarint(b.length, p);
    PutVarint(b.raw_bytes, p);
    PutVarint(b.record_count, p);
    PutVarint(b.first_seq, p);
    PutVarint(b.last_seq, p);
    PutFixed64(static_cast<uint64_t>(b.min_received_ms), p);
    PutFixed64(static_cast<uint64_t>(b.max_received_ms), p);
    PutVarint(b.bloom_offset, p);
    PutVarint(b.bloom_words, p);
    if (hashes) PutFixed64(b.frame_hash, p);
  }
}

void PutFieldCounts(const FieldCounts& c, std::string* p) {
  PutVarint(c.field_id, p);
  PutVarint(c.values.size(), p);
  for (const std::string& v : c.values) {
    PutVarint(v.size(), p);
    p->append(v);
  }
  for (const auto& pairs : c.per_block) {
    PutVarint(pairs.size(), p);
    uint32_t prev = 0;  // ids ascend: delta-coded (the first as is)
    for (const auto& [id, n] : pairs) {
      PutVarint(id - prev, p);
      PutVarint(n, p);
      prev = id;
    }
  }
}

// Appends one zstd frame (with content checksum) of `raw` to *out.
void AppendFrame(std::string_view raw, std::string* out) {
  const size_t start = out->size();
  out->resize(start + ZSTD_compressBound(raw.size()));
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kIndexZstdLevel);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  const size_t n = ZSTD_compress2(cctx.get(), out->data() + start, out->size() - start,
                                  raw.data(), raw.size());
  // Compressing into a buffer of ZSTD_compressBound bytes cannot fail short
  // of memory exhaustion, which aborts elsewhere too.
  if (ZSTD_isError(n)) std::abort();
  out->resize(start + n);
}

// Decompresses exactly one zstd frame of at most kMaxIndexRawBytes.
Result<std::string> InflateFrame(std::string_view frame) {
  const unsigned long long raw_size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (raw_size == ZSTD_CONTENTSIZE_ERROR || raw_size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Corrupt("bad compressed frame");
  }
  if (raw_size > kMaxIndexRawBytes) return Corrupt("too large");
  if (ZSTD_findFrameCompressedSize(frame.data(), frame.size()) != frame.size()) {
    return Corrupt("trailing or truncated bytes");
  }
  std::string raw(raw_size, '\0');
  const size_t got = ZSTD_decompress(raw.data(), raw.size(), frame.data(), frame.size());
  if (ZSTD_isError(got) || got != raw.size()) return Corrupt("checksum mismatch or bad frame");
  return raw;
}

Status ParseHeaderAndBlocks(Reader& r, uint64_t version, SegmentIndex* x) {
  x->first_seq = r.Varint();
  x->last_seq = r.Varint();
  x->record_count = r.Varint();
  x->min_received_ms = static_cast<int64_t>(r.Fixed(8));
  x->max_received_ms = static_cast<int64_t>(r.Fixed(8));
  x->data_bytes = r.Varint();
  const uint64_t probes = r.Varint();
  if (!r.ok() || probes < 1 || probes > 32) return Corrupt("bad header");
  x->bloom_probes = static_cast<uint32_t>(probes);
  x->has_frame_hashes = false;
  if (version >= 5) {
    const uint64_t flag = r.Varint();
    if (!r.ok() || flag > 1) return Corrupt("bad block table flag");
    x->has_frame_hashes = flag == 1;
  }
  const uint64_t nblocks = r.Varint();
  if (!r.ok() || nblocks == 0 || nblocks > kMaxIndexBlocks || nblocks > r.remaining() / 10) {
    return Corrupt("bad block count");
  }
  x->blocks.resize(nblocks);
  for (BlockInfo& b : x->blocks) {
    b.offset = r.Varint();
    b.length = r.Varint();
    b.raw_bytes = r.Varint();
    b.record_count = r.Varint();
    b.first_seq = r.Varint();
    b.last_seq = r.Varint();
    b.min_received_ms = static_cast<int64_t>(r.Fixed(8));
    b.max_received_ms = static_cast<int64_t>(r.Fixed(8));
    b.bloom_offset = r.Varint();
    b.bloom_words = r.Varint();
    if (x->has_frame_hashes) b.frame_hash = r.Fixed(8);
  }
  return r.ok() ? OkStatus() : Corrupt("truncated block table");
}

// Steps over one field's counts (as ParseFieldCounts reads them, version 2
// and later) without loading them. The head's checksums vouch for the
// bytes, so only their framing is checked.
Status SkipFieldCounts(Reader& r, const SegmentIndex& x) {
  r.Varint();  // field id
  const uint64_t nvalues = r.Varint();
  for (uint64_t v = 0; v < nvalues && r.ok(); ++v) r.Bytes(r.Varint());
  for (size_t b = 0; b < x.blocks.size() && r.ok(); ++b) {
    const uint64_t npairs = r.Varint();
    if (!r.ok() || npairs > nvalues) return Corrupt("bad counts");
    r.SkipVarints(2 * npairs);
  }
  return r.ok() ? OkStatus() : Corrupt("bad counts");
}

Status ParseFieldCounts(Reader& r, uint64_t version, const SegmentIndex& x, FieldCounts* c) {
  c->field_id = r.Varint();
  if (std::find(kCountedFields.begin(), kCountedFields.end(), c->field_id) ==
      kCountedFields.end()) {
    return Corrupt("counts for an unknown field");
  }
  const uint64_t nvalues = r.Varint();
  if (!r.ok() || nvalues > MaxCountedValues(c->field_id) ||
      (version < 2 && c->field_id == kPrincipalFieldId)) {
    return Corrupt("bad counts");
  }
  c->values.reserve(nvalues);
  for (uint64_t v = 0; v < nvalues; ++v) c->values.emplace_back(r.Bytes(r.Varint()));
  const size_t nblocks = x.blocks.size();
  c->per_block.resize(nblocks);
  for (size_t b = 0; b < nblocks; ++b) {
    const uint64_t npairs = r.Varint();
    if (!r.ok() || npairs > nvalues) return Corrupt("bad counts");
    c->per_block[b].reserve(npairs);
    uint64_t sum = 0;
    uint64_t id = 0;
    for (uint64_t k = 0; k < npairs; ++k) {
      const uint64_t coded = r.Varint();
      const uint64_t n = r.Varint();
      if (version >= 2) {
        if (k > 0 && coded == 0) return Corrupt("bad counts");  // ids strictly ascend
        id += coded;
      } else {
        id = coded;
      }
      if (!r.ok() || id >= nvalues) return Corrupt("bad counts");
      c->per_block[b].emplace_back(static_cast<uint32_t>(id), n);
      sum += n;
    }
    if (r.ok() && sum != x.blocks[b].record_count) return Corrupt("counts do not add up");
  }
  return r.ok() ? OkStatus() : Corrupt("bad counts");
}

// Contiguous frames, ordered seqs and times, filters within `nwords`.
Status CheckBlocks(const SegmentIndex& x, uint64_t nwords) {
  uint64_t offset = 0, records = 0;
  for (size_t b = 0; b < x.blocks.size(); ++b) {
    const BlockInfo& k = x.blocks[b];
    if (k.offset != offset || k.length == 0 || k.record_count == 0 ||
        k.last_seq < k.first_seq || k.max_received_ms < k.min_received_ms ||
        (b > 0 && k.first_seq <= x.blocks[b - 1].last_seq) ||
        k.bloom_offset > nwords || k.bloom_words > nwords - k.bloom_offset) {
      return Corrupt("inconsistent block " + std::to_string(b));
    }
    offset += k.length;
    records += k.record_count;
  }
  if (offset != x.data_bytes || records != x.record_count ||
      x.first_seq != x.blocks.front().first_seq || x.last_seq != x.blocks.back().last_seq) {
    return Corrupt("blocks do not match the header");
  }
  return OkStatus();
}

bool KeptInHead(const FieldCounts& c) { return c.field_id != kPrincipalFieldId; }

// A counts section (version 3) is value-major so that a needle query decodes
// only its value: field id, the values, then per value the byte length of
// its postings and the postings: (block delta, records) pairs, blocks
// ascending (the first delta is the block number).
void PutValuePostings(const FieldCounts& c, std::string* p) {
  std::vector<std::string> postings(c.values.size());
  std::vector<uint64_t> last(c.values.size(), 0);
  std::vector<bool> any(c.values.size(), false);
  for (size_t b = 0; b < c.per_block.size(); ++b) {
    for (const auto& [id, n] : c.per_block[b]) {
      PutVarint(any[id] ? b - last[id] : b, &postings[id]);
      PutVarint(n, &postings[id]);
      last[id] = b;
      any[id] = true;
    }
  }
  PutVarint(c.field_id, p);
  PutVarint(c.values.size(), p);
  for (const std::string& v : c.values) {
    PutVarint(v.size(), p);
    p->append(v);
  }
  for (const std::string& post : postings) {
    PutVarint(post.size(), p);
    p->append(post);
  }
}

// Parses a value-major counts section into block-major FieldCounts. With
// `only`, keeps just those values (FieldCounts::partial) and skips the
// others' postings unread.
Status ParseValuePostings(Reader& r, const SegmentIndex& x, const std::vector<std::string>* only,
                          bool check_sums, FieldCounts* c) {
  c->field_id = r.Varint();
  if (c->field_id != kPrincipalFieldId) return Corrupt("counts section for another field");
  const uint64_t nvalues = r.Varint();
  if (!r.ok() || nvalues > MaxCountedValues(c->field_id)) return Corrupt("bad counts");
  std::vector<std::string_view> values;
  values.reserve(nvalues);
  for (uint64_t v = 0; v < nvalues; ++v) values.push_back(r.Bytes(r.Varint()));
  if (!r.ok()) return Corrupt("bad counts");
  const size_t nblocks = x.blocks.size();
  c->per_block.assign(nblocks, {});
  c->partial = only != nullptr;
  std::vector<uint64_t> sums(check_sums ? nblocks : 0, 0);
  for (uint64_t v = 0; v < nvalues; ++v) {
    const uint64_t len = r.Varint();
    std::string_view post = r.Bytes(len);
    if (!r.ok()) return Corrupt("bad counts");
    if (only != nullptr && std::find(only->begin(), only->end(), values[v]) == only->end()) {
      continue;
    }
    const auto id = static_cast<uint32_t>(c->values.size());
    c->values.emplace_back(values[v]);
    Reader pr(post);
    uint64_t b = 0;
    bool first = true;
    while (!pr.done()) {
      const uint64_t delta = pr.Varint();
      const uint64_t n = pr.Varint();
      if (!pr.ok() || (!first && delta == 0) || n == 0) return Corrupt("bad counts");
      b = first ? delta : b + delta;
      first = false;
      if (b >= nblocks || n > x.blocks[b].record_count) return Corrupt("bad counts");
      c->per_block[b].emplace_back(id, n);
      if (check_sums) sums[b] += n;
    }
  }
  if (!r.done()) return Corrupt("trailing section content");
  for (size_t b = 0; b < sums.size(); ++b) {
    if (sums[b] != x.blocks[b].record_count) return Corrupt("counts do not add up");
  }
  return OkStatus();
}

constexpr uint64_t kSectionSeed = 0x6b7572612d736563ULL;  // "kura-sec"
constexpr uint64_t kBucketSeed = 0x6b7572612d626b74ULL;   // "kura-bkt"

// Version 4's principal counts: a directory (field id, bucket count, per
// bucket its byte length and Hash64) followed by the buckets, each laid out
// as a version 3 counts section of the values hashed to it. Sets
// *directory_length.
std::string PutBucketedCounts(const FieldCounts& c, uint64_t* directory_length) {
  const size_t nbuckets =
      std::max<size_t>(1, (c.values.size() + kValuesPerCountsBucket - 1) / kValuesPerCountsBucket);
  std::vector<FieldCounts> sub(nbuckets);
  std::vector<size_t> bucket_of(c.values.size());
  std::vector<uint32_t> local_id(c.values.size());
  for (FieldCounts& b : sub) {
    b.field_id = c.field_id;
    b.per_block.resize(c.per_block.size());
  }
  for (size_t v = 0; v < c.values.size(); ++v) {
    const size_t k = Hash64(c.values[v], kBucketSeed) % nbuckets;
    bucket_of[v] = k;
    local_id[v] = static_cast<uint32_t>(sub[k].values.size());
    sub[k].values.push_back(c.values[v]);
  }
  for (size_t b = 0; b < c.per_block.size(); ++b) {
    for (const auto& [id, n] : c.per_block[b]) {
      sub[bucket_of[id]].per_block[b].emplace_back(local_id[id], n);
    }
  }
  std::string directory;
  std::string buckets;
  PutVarint(c.field_id, &directory);
  PutVarint(nbuckets, &directory);
  for (const FieldCounts& b : sub) {
    const size_t start = buckets.size();
    PutValuePostings(b, &buckets);
    const std::string_view bytes = std::string_view(buckets).substr(start);
    PutVarint(bytes.size(), &directory);
    PutFixed64(Hash64(bytes, kSectionSeed), &directory);
  }
  *directory_length = directory.size();
  return directory + buckets;
}
constexpr size_t kHeadPrefixBytes = 8 + 4 + 4;            // magic, version, head length

// Versions 1 and 2: the whole index in one frame.
Result<SegmentIndex> DecodeLegacy(std::string_view blob, uint64_t version) {
  if (blob.size() < kMagic.size() + 4 + 8) return Corrupt("truncated");
  Reader trailer(blob.substr(blob.size() - 8));
  if (trailer.Fixed(8) != Hash64(blob.substr(0, blob.size() - 8), kChecksumSeed)) {
    return Corrupt("checksum mismatch");
  }
  ASSIGN_OR_RETURN(std::string raw,
                   InflateFrame(blob.substr(kMagic.size() + 4,
                                            blob.size() - kMagic.size() - 4 - 8)));
  Reader r(raw);
  SegmentIndex x;
  RETURN_IF_ERROR(ParseHeaderAndBlocks(r, version, &x));
  const uint64_t nwords = r.Varint();
  if (!r.ok() || nwords > r.remaining() / 8) return Corrupt("bad filter size");
  x.bloom_words.resize(nwords);
  for (uint64_t& w : x.bloom_words) w = r.Fixed(8);
  const uint64_t ncounts = r.Varint();
  if (!r.ok() || ncounts > kCountedFields.size()) return Corrupt("bad counts");
  for (uint64_t i = 0; i < ncounts; ++i) {
    FieldCounts c;
    RETURN_IF_ERROR(ParseFieldCounts(r, version, x, &c));
    x.counts.push_back(std::move(c));
  }
  if (!r.ok() || !r.done()) return Corrupt("truncated or trailing content");
  RETURN_IF_ERROR(CheckBlocks(x, nwords));
  return x;
}

// Versions 3 and 4 differ only in the principal counts section, 4 and 5
// only in the block table.
std::string Encode(const SegmentIndex& index, uint32_t version) {
  const bool bucketed = version >= 4;
  // Sections first (their offsets go into the head): the Bloom filters, then
  // the principal counts.
  std::vector<IndexSection> sections;
  std::string tail;
  {
    std::string raw;
    raw.reserve(10 + index.bloom_words.size() * 8);
    PutVarint(index.bloom_words.size(), &raw);
    for (uint64_t w : index.bloom_words) PutFixed64(w, &raw);
    IndexSection s;
    s.kind = IndexSection::Kind::kBloom;
    s.offset = tail.size();
    AppendFrame(raw, &tail);
    s.length = tail.size() - s.offset;
    sections.push_back(s);
  }
  for (const FieldCounts& c : index.counts) {
    if (KeptInHead(c)) continue;
    // Stored as is, not compressed: a needle query then reads it without
    // decompressing (varints compress less than 2:1 anyway).
    IndexSection s;
    s.kind = bucketed ? IndexSection::Kind::kBucketedCounts : IndexSection::Kind::kCounts;
    s.field_id = c.field_id;
    s.offset = tail.size();
    if (bucketed) {
      tail += PutBucketedCounts(c, &s.directory_length);
    } else {
      PutValuePostings(c, &tail);
    }
    s.length = tail.size() - s.offset;
    sections.push_back(s);
  }
  for (IndexSection& s : sections) {
    const uint64_t hashed = s.kind == IndexSection::Kind::kBucketedCounts ? s.directory_length
                                                                          : s.length;
    s.hash = Hash64(std::string_view(tail).substr(s.offset, hashed), kSectionSeed);
  }

  std::string p;
  p.reserve(64 + index.blocks.size() * 48);
  PutHeaderAndBlocks(index, version, &p);
  PutVarint(index.bloom_words.size(), &p);
  size_t inline_counts = 0;
  for (const FieldCounts& c : index.counts) inline_counts += KeptInHead(c) ? 1 : 0;
  PutVarint(inline_counts, &p);
  for (const FieldCounts& c : index.counts) {
    if (KeptInHead(c)) PutFieldCounts(c, &p);
  }
  PutVarint(sections.size(), &p);
  for (const IndexSection& s : sections) {
    PutVarint(static_cast<uint64_t>(s.kind), &p);
    PutVarint(s.field_id, &p);
    PutVarint(s.offset, &p);  // relative to the end of the head
    PutVarint(s.length, &p);
    PutFixed64(s.hash, &p);
    if (s.kind == IndexSection::Kind::kBucketedCounts) PutVarint(s.directory_length, &p);
  }

  std::string out(kMagic);
  PutFixed32(version, &out);
  PutFixed32(0, &out);  // head frame length, patched below
  AppendFrame(p, &out);
  const uint64_t head_len = out.size() - kHeadPrefixBytes;
  for (int i = 0; i < 4; ++i) {
    out[kMagic.size() + 4 + static_cast<size_t>(i)] = static_cast<char>(head_len >> (8 * i));
  }
  PutFixed64(Hash64(out, kChecksumSeed), &out);
  out.append(tail);
  return out;
}

}  // namespace

std::string EncodeSegmentIndex(const SegmentIndex& index) {
  return Encode(index, kSegmentIndexVersion);
}

std::string EncodeSegmentIndexVersion3(const SegmentIndex& index) { return Encode(index, 3); }

std::string EncodeSegmentIndexVersion4(const SegmentIndex& index) { return Encode(index, 4); }

uint64_t BlockFrameHash(std::string_view frame) { return Hash64(frame, kFrameSeed); }

Result<uint64_t> SegmentIndexHeadBytes(std::string_view prefix) {
  if (prefix.size() < kHeadPrefixBytes || prefix.substr(0, kMagic.size()) != kMagic) {
    return Corrupt("bad magic");
  }
  Reader head(prefix.substr(kMagic.size(), 8));
  const uint64_t version = head.Fixed(4);
  const uint64_t head_len = head.Fixed(4);
  if (version < kOldestSegmentIndexVersion || version > kSegmentIndexVersion) {
    return Corrupt("unsupported version " + std::to_string(version));
  }
  if (version < 3) return uint64_t{0};  // one frame: the whole blob is needed
  if (head_len == 0 || head_len > kMaxIndexRawBytes) return Corrupt("bad head length");
  return kHeadPrefixBytes + head_len + 8;
}

Result<SegmentIndexHead> DecodeSegmentIndexHead(std::string_view blob,
                                                const std::vector<size_t>* inline_fields) {
  ASSIGN_OR_RETURN(const uint64_t head_bytes, SegmentIndexHeadBytes(blob));
  SegmentIndexHead out;
  if (head_bytes == 0) {  // versions 1 and 2: everything is in the head
    Reader head(blob.substr(kMagic.size(), 4));
    ASSIGN_OR_RETURN(out.index, DecodeLegacy(blob, head.Fixed(4)));
    out.head_bytes = blob.size();
    return out;
  }
  if (blob.size() < head_bytes) return Corrupt("truncated head");
  Reader trailer(blob.substr(head_bytes - 8, 8));
  if (trailer.Fixed(8) != Hash64(blob.substr(0, head_bytes - 8), kChecksumSeed)) {
    return Corrupt("checksum mismatch");
  }
  const uint64_t version = Reader(blob.substr(kMagic.size(), 4)).Fixed(4);
  ASSIGN_OR_RETURN(std::string raw,
                   InflateFrame(blob.substr(kHeadPrefixBytes, head_bytes - 8 - kHeadPrefixBytes)));
  Reader r(raw);
  SegmentIndex& x = out.index;
  RETURN_IF_ERROR(ParseHeaderAndBlocks(r, version, &x));
  const uint64_t nwords = r.Varint();
  if (!r.ok() || nwords > kMaxIndexRawBytes / 8) return Corrupt("bad filter size");
  const uint64_t ncounts = r.Varint();
  if (!r.ok() || ncounts > kCountedFields.size()) return Corrupt("bad counts");
  for (uint64_t i = 0; i < ncounts; ++i) {
    if (inline_fields != nullptr) {
      const uint64_t field = Reader(r).Varint();  // peeked: both paths read it
      if (std::find(inline_fields->begin(), inline_fields->end(), field) == inline_fields->end()) {
        RETURN_IF_ERROR(SkipFieldCounts(r, x));
        continue;
      }
    }
    FieldCounts c;
    RETURN_IF_ERROR(ParseFieldCounts(r, kSegmentIndexVersion, x, &c));
    x.counts.push_back(std::move(c));
  }
  const uint64_t nsections = r.Varint();
  if (!r.ok() || nsections > 1 + kCountedFields.size()) return Corrupt("bad section table");
  uint64_t next = 0;
  bool have_bloom = false;
  for (uint64_t i = 0; i < nsections; ++i) {
    IndexSection s;
    const uint64_t kind = r.Varint();
    s.field_id = r.Varint();
    s.offset = r.Varint();
    s.length = r.Varint();
    s.hash = r.Fixed(8);
    if (!r.ok() || s.offset != next || s.length == 0 || s.length > kMaxIndexRawBytes) {
      return Corrupt("bad section table");
    }
    if (kind == static_cast<uint64_t>(IndexSection::Kind::kBloom) && !have_bloom) {
      s.kind = IndexSection::Kind::kBloom;
      have_bloom = true;
    } else if (version == 3 && kind == static_cast<uint64_t>(IndexSection::Kind::kCounts) &&
               s.field_id == kPrincipalFieldId) {
      s.kind = IndexSection::Kind::kCounts;
    } else if (version >= 4 &&
               kind == static_cast<uint64_t>(IndexSection::Kind::kBucketedCounts) &&
               s.field_id == kPrincipalFieldId) {
      s.kind = IndexSection::Kind::kBucketedCounts;
      s.directory_length = r.Varint();
      if (!r.ok() || s.directory_length == 0 || s.directory_length > s.length) {
        return Corrupt("bad section table");
      }
    } else {
      return Corrupt("bad section table");
    }
    next += s.length;
    s.offset += head_bytes;  // absolute in the blob from here on
    out.sections.push_back(s);
  }
  if (!r.ok() || !r.done()) return Corrupt("truncated or trailing content");
  RETURN_IF_ERROR(CheckBlocks(x, nwords));
  x.bloom_words_total = nwords;
  x.bloom_loaded = nwords == 0;
  out.head_bytes = head_bytes;
  out.blob_bytes = head_bytes + next;
  return out;
}

Result<CountsDirectory> DecodeCountsDirectory(const IndexSection& section,
                                              std::string_view bytes) {
  if (section.kind != IndexSection::Kind::kBucketedCounts ||
      bytes.size() != section.directory_length || Hash64(bytes, kSectionSeed) != section.hash) {
    return Corrupt("counts directory checksum mismatch");
  }
  Reader r(bytes);
  CountsDirectory d;
  d.field_id = r.Varint();
  const uint64_t nbuckets = r.Varint();
  if (!r.ok() || d.field_id != section.field_id || nbuckets == 0 ||
      nbuckets > MaxCountedValues(d.field_id)) {
    return Corrupt("bad counts directory");
  }
  uint64_t offset = section.directory_length;
  d.buckets.resize(nbuckets);
  for (CountsDirectory::Bucket& b : d.buckets) {
    b.offset = offset;
    b.length = r.Varint();
    b.hash = r.Fixed(8);
    if (!r.ok() || b.length == 0 || b.length > section.length - offset) {
      return Corrupt("bad counts directory");
    }
    offset += b.length;
  }
  if (!r.done() || offset != section.length) return Corrupt("bad counts directory");
  return d;
}

size_t CountsBucketOf(const CountsDirectory& directory, std::string_view value) {
  return Hash64(value, kBucketSeed) % directory.buckets.size();
}

std::vector<size_t> CountsBucketsOf(const CountsDirectory& directory,
                                    const std::vector<std::string>& values) {
  std::vector<size_t> out;
  out.reserve(values.size());
  for (const std::string& v : values) out.push_back(CountsBucketOf(directory, v));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

// LoadCountsBuckets with `only_values` optional (null: every value; then
// every bucket must be given, and the counts must add up to each block's
// records).
Status LoadBuckets(const CountsDirectory& directory,
                   const std::vector<std::pair<size_t, std::string_view>>& buckets,
                   SegmentIndex* index, const std::vector<std::string>* only_values) {
  if (index->CountsFor(directory.field_id) != nullptr) return Corrupt("duplicate counts section");
  const size_t nblocks = index->blocks.size();
  FieldCounts merged;
  merged.field_id = directory.field_id;
  merged.per_block.resize(nblocks);
  merged.partial = only_values != nullptr;
  std::vector<bool> seen(directory.buckets.size(), false);
  for (const auto& [k, bytes] : buckets) {
    if (k >= directory.buckets.size() || seen[k]) return Corrupt("bad counts bucket");
    seen[k] = true;
    const CountsDirectory::Bucket& b = directory.buckets[k];
    if (bytes.size() != b.length || Hash64(bytes, kSectionSeed) != b.hash) {
      return Corrupt("counts bucket checksum mismatch");
    }
    Reader r(bytes);
    FieldCounts c;
    RETURN_IF_ERROR(ParseValuePostings(r, *index, only_values, /*check_sums=*/false, &c));
    if (c.field_id != directory.field_id) return Corrupt("bad counts bucket");
    const auto base = static_cast<uint32_t>(merged.values.size());
    for (std::string& v : c.values) {
      // A value outside its bucket would be missed by a query reading only
      // that value's bucket.
      if (CountsBucketOf(directory, v) != k) return Corrupt("value in the wrong counts bucket");
      merged.values.push_back(std::move(v));
    }
    if (merged.values.size() > MaxCountedValues(merged.field_id)) return Corrupt("bad counts");
    for (size_t blk = 0; blk < nblocks; ++blk) {
      for (const auto& [id, n] : c.per_block[blk]) merged.per_block[blk].emplace_back(base + id, n);
    }
  }
  if (only_values == nullptr) {
    if (std::find(seen.begin(), seen.end(), false) != seen.end()) {
      return Corrupt("counts bucket missing");
    }
    for (size_t blk = 0; blk < nblocks; ++blk) {
      uint64_t sum = 0;
      for (const auto& [id, n] : merged.per_block[blk]) sum += n;
      if (sum != index->blocks[blk].record_count) return Corrupt("counts do not add up");
    }
  }
  index->counts.push_back(std::move(merged));
  return OkStatus();
}

}  // namespace

Status LoadCountsBuckets(const CountsDirectory& directory,
                         const std::vector<std::pair<size_t, std::string_view>>& buckets,
                         SegmentIndex* index, const std::vector<std::string>& only_values) {
  return LoadBuckets(directory, buckets, index, &only_values);
}

Status LoadIndexSection(const IndexSection& section, std::string_view bytes,
                        SegmentIndex* index, const std::vector<std::string>* only_values) {
  if (section.kind == IndexSection::Kind::kBucketedCounts) {
    if (bytes.size() != section.length) return Corrupt("section checksum mismatch");
    ASSIGN_OR_RETURN(const CountsDirectory d,
                     DecodeCountsDirectory(section, bytes.substr(0, section.directory_length)));
    std::vector<size_t> wanted;
    if (only_values == nullptr) {
      for (size_t k = 0; k < d.buckets.size(); ++k) wanted.push_back(k);
    } else {
      wanted = CountsBucketsOf(d, *only_values);
    }
    std::vector<std::pair<size_t, std::string_view>> parts;
    for (size_t k : wanted) {
      parts.emplace_back(k, bytes.substr(d.buckets[k].offset, d.buckets[k].length));
    }
    return LoadBuckets(d, parts, index, only_values);
  }
  if (bytes.size() != section.length || Hash64(bytes, kSectionSeed) != section.hash) {
    return Corrupt("section checksum mismatch");
  }
  if (section.kind == IndexSection::Kind::kCounts) {  // stored uncompressed
    Reader r(bytes);
    FieldCounts c;
    RETURN_IF_ERROR(
        ParseValuePostings(r, *index, only_values, /*check_sums=*/only_values == nullptr, &c));
    if (c.field_id != section.field_id || index->CountsFor(c.field_id) != nullptr) {
      return Corrupt("section for another field");
    }
    index->counts.push_back(std::move(c));
    return OkStatus();
  }
  ASSIGN_OR_RETURN(std::string raw, InflateFrame(bytes));
  Reader r(raw);
  {
    const uint64_t nwords = r.Varint();
    if (!r.ok() || nwords != index->bloom_words_total || nwords != r.remaining() / 8 ||
        r.remaining() % 8 != 0) {
      return Corrupt("bad filter size");
    }
    index->bloom_words.resize(nwords);
    std::string_view words = r.Bytes(nwords * 8);
    for (uint64_t i = 0; i < nwords; ++i) {
      uint64_t w = 0;
      for (int k = 0; k < 8; ++k) {
        w |= static_cast<uint64_t>(static_cast<unsigned char>(words[i * 8 + static_cast<size_t>(k)]))
             << (8 * k);
      }
      index->bloom_words[i] = w;
    }
    index->bloom_loaded = true;
    return OkStatus();
  }
}

Result<SegmentIndex> DecodeSegmentIndex(std::string_view blob) {
  ASSIGN_OR_RETURN(SegmentIndexHead head, DecodeSegmentIndexHead(blob));
  if (head.sections.empty() && head.blob_bytes == 0) return std::move(head.index);  // v1/v2
  if (blob.size() != head.blob_bytes) return Corrupt("truncated or trailing bytes");
  for (const IndexSection& s : head.sections) {
    RETURN_IF_ERROR(LoadIndexSection(s, blob.substr(s.offset, s.length), &head.index));
  }
  if (!head.index.bloom_loaded) return Corrupt("no filter section");
  return std::move(head.index);
}

Status CheckIndexMatchesData(const SegmentIndex& index, uint64_t data_bytes) {
  if (index.data_bytes != data_bytes) return Corrupt("describes a data object of another size");
  return OkStatus();
}

}  // namespace kura::logs
