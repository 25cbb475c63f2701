#include "logs/segment/segment_index.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "logs/segment/segment_builder.h"
#include "logs/segment/segment_test_util.h"
#include "logs/segment/tokens.h"

namespace kura::logs {
namespace {

BuiltSegment Build() {
  SegmentBuilder builder(SegmentOptions{.block_bytes = 4096, .zstd_level = 3});
  for (const auto& r : testing::MakeChainedRecords(1, 400, testing::kTestEpochMs)) {
    EXPECT_TRUE(builder.Add(r).ok());
  }
  auto seg = builder.Finish();
  EXPECT_TRUE(seg.ok());
  return *std::move(seg);
}

TEST(SegmentIndexTest, EncodeDecodeRoundTrip) {
  BuiltSegment seg = Build();
  auto x = DecodeSegmentIndex(seg.index);
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  EXPECT_EQ(EncodeSegmentIndex(*x), seg.index);
}

TEST(SegmentIndexTest, KeepsExactPrincipalCountsPerBlock) {
  const auto records = testing::MakeChainedRecords(1, 400, testing::kTestEpochMs);
  BuiltSegment seg = Build();
  auto x = DecodeSegmentIndex(seg.index);
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  const FieldCounts* c = x->CountsFor(kPrincipalFieldId);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->per_block.size(), x->blocks.size());
  // Re-count by hand per block (blocks are seq ranges).
  for (size_t b = 0; b < x->blocks.size(); ++b) {
    std::map<std::string, uint64_t> want, got;
    for (const ChainedRecord& r : records) {
      if (r.seq < x->blocks[b].first_seq || r.seq > x->blocks[b].last_seq) continue;
      ++want[DecodeRecord(r.bytes)->principal];
    }
    uint32_t prev = 0;
    for (size_t k = 0; k < c->per_block[b].size(); ++k) {
      const auto& [id, n] = c->per_block[b][k];
      if (k > 0) {
        EXPECT_GT(id, prev);  // ascending, as delta coding needs
      }
      prev = id;
      got[c->values[id]] += n;
    }
    EXPECT_EQ(got, want) << "block " << b;
  }
}

TEST(SegmentIndexTest, TooManyPrincipalsKeepNoCounts) {
  SegmentBuilder builder(SegmentOptions{.block_bytes = 1 << 20, .zstd_level = 1});
  std::vector<LogRecord> recs;
  for (uint64_t i = 1; i <= kMaxCountedPrincipals + 1; ++i) {
    recs.push_back(testing::MakeRecord(i, testing::kTestEpochMs, "p" + std::to_string(i),
                                       "e", "success", "m"));
  }
  for (const ChainedRecord& r : testing::Chain(recs)) ASSERT_TRUE(builder.Add(r).ok());
  auto seg = builder.Finish();
  ASSERT_TRUE(seg.ok());
  auto x = DecodeSegmentIndex(seg->index);
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  EXPECT_EQ(x->CountsFor(kPrincipalFieldId), nullptr);
  EXPECT_NE(x->CountsFor(1), nullptr);  // event still counted
}

// The version 2 layout (one zstd frame), written here independently of the
// encoder so that stores sealed before version 3 stay readable.
void Varint(uint64_t v, std::string* out) {
  for (; v >= 0x80; v >>= 7) out->push_back(static_cast<char>(v | 0x80));
  out->push_back(static_cast<char>(v));
}
void Fixed(uint64_t v, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
// `older` (decoded from a version without frame hashes) given the frame
// hashes of `full`, which describes the same data object.
SegmentIndex WithFrameHashesOf(const SegmentIndex& full, SegmentIndex older) {
  older.has_frame_hashes = full.has_frame_hashes;
  for (size_t b = 0; b < older.blocks.size() && b < full.blocks.size(); ++b) {
    older.blocks[b].frame_hash = full.blocks[b].frame_hash;
  }
  return older;
}

std::string EncodeVersion2(const SegmentIndex& x) {
  std::string p;
  Varint(x.first_seq, &p);
  Varint(x.last_seq, &p);
  Varint(x.record_count, &p);
  Fixed(static_cast<uint64_t>(x.min_received_ms), 8, &p);
  Fixed(static_cast<uint64_t>(x.max_received_ms), 8, &p);
  Varint(x.data_bytes, &p);
  Varint(x.bloom_probes, &p);
  Varint(x.blocks.size(), &p);
  for (const BlockInfo& b : x.blocks) {
    for (uint64_t v : {b.offset, b.length, b.raw_bytes, b.record_count, b.first_seq, b.last_seq}) {
      Varint(v, &p);
    }
    Fixed(static_cast<uint64_t>(b.min_received_ms), 8, &p);
    Fixed(static_cast<uint64_t>(b.max_received_ms), 8, &p);
    Varint(b.bloom_offset, &p);
    Varint(b.bloom_words, &p);
  }
  Varint(x.bloom_words.size(), &p);
  for (uint64_t w : x.bloom_words) Fixed(w, 8, &p);
  Varint(x.counts.size(), &p);
  for (const FieldCounts& c : x.counts) {
    Varint(c.field_id, &p);
    Varint(c.values.size(), &p);
    for (const std::string& v : c.values) {
      Varint(v.size(), &p);
      p += v;
    }
    for (const auto& pairs : c.per_block) {
      Varint(pairs.size(), &p);
      uint32_t prev = 0;
      for (const auto& [id, n] : pairs) {
        Varint(id - prev, &p);
        Varint(n, &p);
        prev = id;
      }
    }
  }
  std::string out = "kura-idx";
  Fixed(2, 4, &out);
  std::string frame(ZSTD_compressBound(p.size()), '\0');
  frame.resize(ZSTD_compress(frame.data(), frame.size(), p.data(), p.size(), 1));
  out += frame;
  Fixed(Hash64(out, 0x6b7572612d696478ULL), 8, &out);
  return out;
}

TEST(SegmentIndexTest, ReadsVersion2Blobs) {
  BuiltSegment seg = Build();
  auto x = DecodeSegmentIndex(seg.index);
  ASSERT_TRUE(x.ok());
  const std::string v2 = EncodeVersion2(*x);
  auto y = DecodeSegmentIndex(v2);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  // The same content, but for the frame hashes version 2 does not have.
  EXPECT_FALSE(y->has_frame_hashes);
  EXPECT_NE(EncodeSegmentIndex(*y), seg.index);
  EXPECT_EQ(EncodeSegmentIndex(WithFrameHashesOf(*x, *y)), seg.index);
  auto need = SegmentIndexHeadBytes(v2);
  ASSERT_TRUE(need.ok());
  EXPECT_EQ(*need, 0u);  // read whole
  auto head = DecodeSegmentIndexHead(v2);
  ASSERT_TRUE(head.ok());
  EXPECT_TRUE(head->sections.empty());
  EXPECT_TRUE(head->index.bloom_loaded);
  EXPECT_NE(head->index.CountsFor(kPrincipalFieldId), nullptr);
  std::string bad = v2;
  bad[v2.size() / 2] ^= 0x04;
  EXPECT_EQ(DecodeSegmentIndex(bad).status().code(), StatusCode::kDataLoss);
}

// The head alone carries the block table and low-cardinality counts; the
// filters and principal counts load separately, each checked on its own.
TEST(SegmentIndexTest, HeadAndSectionsLoadSeparately) {
  BuiltSegment seg = Build();
  auto full = DecodeSegmentIndex(seg.index);
  ASSERT_TRUE(full.ok());
  auto need = SegmentIndexHeadBytes(std::string_view(seg.index).substr(0, 16));
  ASSERT_TRUE(need.ok());
  ASSERT_GT(*need, 16u);
  ASSERT_LT(*need, seg.index.size());
  auto head = DecodeSegmentIndexHead(std::string_view(seg.index).substr(0, *need));
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->blob_bytes, seg.index.size());
  EXPECT_FALSE(head->index.bloom_loaded);
  EXPECT_TRUE(head->index.bloom_words.empty());
  EXPECT_TRUE(head->index.BlockMayContain(0, WordTokenHash("no-such-word-anywhere")));
  EXPECT_EQ(head->index.CountsFor(kPrincipalFieldId), nullptr);
  ASSERT_NE(head->index.CountsFor(*TextFieldId("event")), nullptr);
  EXPECT_EQ(head->index.blocks.size(), full->blocks.size());
  ASSERT_EQ(head->sections.size(), 2u);
  SegmentIndex x = head->index;
  for (const IndexSection& s : head->sections) {
    std::string bytes = seg.index.substr(s.offset, s.length);
    std::string bad = bytes;
    bad[bad.size() / 2] ^= 0x10;
    SegmentIndex scratch = head->index;
    EXPECT_EQ(LoadIndexSection(s, bad, &scratch).code(), StatusCode::kDataLoss);
    EXPECT_EQ(LoadIndexSection(s, bytes.substr(1), &scratch).code(), StatusCode::kDataLoss);
    ASSERT_TRUE(LoadIndexSection(s, bytes, &x).ok());
  }
  // Loading one value of the principal counts: only its postings.
  const IndexSection& counts = head->sections[1];
  ASSERT_EQ(counts.kind, IndexSection::Kind::kBucketedCounts);
  SegmentIndex some = head->index;
  const std::vector<std::string> only = {"nobody", "alice"};
  ASSERT_TRUE(
      LoadIndexSection(counts, seg.index.substr(counts.offset, counts.length), &some, &only).ok());
  const FieldCounts* part = some.CountsFor(kPrincipalFieldId);
  ASSERT_NE(part, nullptr);
  EXPECT_TRUE(part->partial);
  EXPECT_EQ(part->values, std::vector<std::string>{"alice"});
  const FieldCounts* all = full->CountsFor(kPrincipalFieldId);
  const auto alice = static_cast<uint32_t>(
      std::find(all->values.begin(), all->values.end(), "alice") - all->values.begin());
  uint64_t total = 0;
  for (size_t b = 0; b < full->blocks.size(); ++b) {
    std::vector<std::pair<uint32_t, uint64_t>> want;
    for (const auto& [id, n] : all->per_block[b]) {
      if (id == alice) want.emplace_back(0, n);
    }
    EXPECT_EQ(part->per_block[b], want) << "block " << b;
    for (const auto& pr : want) total += pr.second;
  }
  EXPECT_EQ(total, 80u);  // 400 records, principals round-robin over 5
  EXPECT_FALSE(all->partial);

  EXPECT_TRUE(x.bloom_loaded);
  EXPECT_EQ(x.bloom_words, full->bloom_words);
  ASSERT_NE(x.CountsFor(kPrincipalFieldId), nullptr);
  EXPECT_EQ(x.CountsFor(kPrincipalFieldId)->per_block,
            full->CountsFor(kPrincipalFieldId)->per_block);
  EXPECT_EQ(EncodeSegmentIndex(x), seg.index);
}

// A segment with many principals (p0..p2999, each in a few blocks), whose
// version 4 counts section has ~47 buckets.
BuiltSegment BuildManyPrincipals() {
  SegmentBuilder builder(SegmentOptions{.block_bytes = 16384, .zstd_level = 1});
  std::vector<LogRecord> recs;
  for (uint64_t i = 1; i <= 6000; ++i) {
    recs.push_back(testing::MakeRecord(i, testing::kTestEpochMs + static_cast<int64_t>(i),
                                       "p" + std::to_string(i * 7919 % 3000), "card.read",
                                       "success", "m"));
  }
  for (const ChainedRecord& r : testing::Chain(recs)) EXPECT_TRUE(builder.Add(r).ok());
  auto seg = builder.Finish();
  EXPECT_TRUE(seg.ok());
  return *std::move(seg);
}

// value -> (block -> records), whatever the value ids.
std::map<std::string, std::map<size_t, uint64_t>> ByValue(const FieldCounts& c) {
  std::map<std::string, std::map<size_t, uint64_t>> out;
  for (size_t b = 0; b < c.per_block.size(); ++b) {
    for (const auto& [id, n] : c.per_block[b]) out[c.values[id]][b] += n;
  }
  return out;
}

TEST(SegmentIndexTest, ANeedleReadsTheCountsDirectoryAndOneBucket) {
  BuiltSegment seg = BuildManyPrincipals();
  auto full = DecodeSegmentIndex(seg.index);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  const auto want = ByValue(*full->CountsFor(kPrincipalFieldId));
  ASSERT_EQ(want.size(), 3000u);
  auto head = DecodeSegmentIndexHead(seg.index);
  ASSERT_TRUE(head.ok());
  ASSERT_EQ(head->sections.size(), 2u);
  const IndexSection& sec = head->sections[1];
  ASSERT_EQ(sec.kind, IndexSection::Kind::kBucketedCounts);
  const std::string section = seg.index.substr(sec.offset, sec.length);
  auto dir = DecodeCountsDirectory(sec, std::string_view(section).substr(0, sec.directory_length));
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(dir->buckets.size(), (3000 + kValuesPerCountsBucket - 1) / kValuesPerCountsBucket);

  const std::string needle = "p1234";
  const size_t k = CountsBucketOf(*dir, needle);
  const CountsDirectory::Bucket& b = dir->buckets[k];
  const std::string_view bucket = std::string_view(section).substr(b.offset, b.length);
  SegmentIndex one = head->index;
  ASSERT_TRUE(LoadCountsBuckets(*dir, {{k, bucket}}, &one, {needle}).ok());
  const FieldCounts* got = one.CountsFor(kPrincipalFieldId);
  ASSERT_NE(got, nullptr);
  EXPECT_TRUE(got->partial);
  EXPECT_EQ(ByValue(*got), (std::map<std::string, std::map<size_t, uint64_t>>{
                               {needle, want.at(needle)}}));
  // What a needle reads: the directory and one bucket, a small part of the
  // section.
  EXPECT_LT((sec.directory_length + b.length) * 10, sec.length);

  // A damaged bucket the needle does not read leaves it exact; a whole load
  // (and the needle's own bucket, and the directory) detect damage.
  const size_t other = (k + 1) % dir->buckets.size();
  std::string bad = section;
  bad[dir->buckets[other].offset + dir->buckets[other].length / 2] ^= 0x04;
  SegmentIndex again = head->index;
  ASSERT_TRUE(LoadCountsBuckets(
                  *dir, {{k, std::string_view(bad).substr(b.offset, b.length)}}, &again, {needle})
                  .ok());
  SegmentIndex whole = head->index;
  EXPECT_EQ(LoadIndexSection(sec, bad, &whole).code(), StatusCode::kDataLoss);
  SegmentIndex selective = head->index;
  const std::vector<std::string> only = {needle};
  EXPECT_TRUE(LoadIndexSection(sec, bad, &selective, &only).ok());
  bad = section;
  bad[b.offset + b.length / 2] ^= 0x04;
  SegmentIndex mine = head->index;
  EXPECT_EQ(LoadCountsBuckets(*dir, {{k, std::string_view(bad).substr(b.offset, b.length)}},
                              &mine, {needle})
                .code(),
            StatusCode::kDataLoss);
  bad = section;
  bad[sec.directory_length / 2] ^= 0x04;
  EXPECT_EQ(DecodeCountsDirectory(sec, std::string_view(bad).substr(0, sec.directory_length))
                .status()
                .code(),
            StatusCode::kDataLoss);
  // A bucket passed off as another one's (a directory entry pointing at it,
  // so its length and hash check out) is refused: its values belong to
  // another bucket, where a needle would not look.
  CountsDirectory swapped = *dir;
  swapped.buckets[other] = dir->buckets[k];
  SegmentIndex wrong = head->index;
  const Status misplaced = LoadCountsBuckets(swapped, {{other, bucket}}, &wrong, {needle});
  EXPECT_EQ(misplaced.code(), StatusCode::kDataLoss);
  EXPECT_NE(misplaced.message().find("wrong counts bucket"), std::string::npos);
}

// Stores sealed before version 4 keep their version 3 indexes: they read
// with the same content.
TEST(SegmentIndexTest, ReadsVersion3Blobs) {
  BuiltSegment seg = BuildManyPrincipals();
  auto v4 = DecodeSegmentIndex(seg.index);
  ASSERT_TRUE(v4.ok());
  const std::string v3 = EncodeSegmentIndexVersion3(*v4);
  ASSERT_EQ(v3[8], 3);  // the version follows the 8-byte magic
  auto head = DecodeSegmentIndexHead(v3);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  ASSERT_EQ(head->sections.size(), 2u);
  EXPECT_EQ(head->sections[1].kind, IndexSection::Kind::kCounts);
  auto x = DecodeSegmentIndex(v3);
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  EXPECT_EQ(x->bloom_words, v4->bloom_words);
  ASSERT_EQ(x->blocks.size(), v4->blocks.size());
  EXPECT_EQ(ByValue(*x->CountsFor(kPrincipalFieldId)), ByValue(*v4->CountsFor(kPrincipalFieldId)));
  EXPECT_EQ(ByValue(*x->CountsFor(1)), ByValue(*v4->CountsFor(1)));
  // And a version 3 blob re-encoded as version 4 is the builder's blob
  // without its frame hashes.
  EXPECT_FALSE(x->has_frame_hashes);
  EXPECT_EQ(EncodeSegmentIndexVersion4(*x), EncodeSegmentIndexVersion4(*v4));
  EXPECT_EQ(EncodeSegmentIndex(WithFrameHashesOf(*v4, *x)), seg.index);
}

// Version 5 (the builder's): each block's entry holds the hash of its
// compressed frame, which a search checks before decoding part of a frame.
TEST(SegmentIndexTest, FrameHashesDescribeTheDataObjectsFrames) {
  BuiltSegment seg = Build();
  ASSERT_EQ(seg.index[8], 5);
  auto x = DecodeSegmentIndex(seg.index);
  ASSERT_TRUE(x.ok());
  ASSERT_TRUE(x->has_frame_hashes);
  ASSERT_GT(x->blocks.size(), 1u);
  for (const BlockInfo& b : x->blocks) {
    const std::string_view frame = std::string_view(seg.data).substr(b.offset, b.length);
    EXPECT_EQ(BlockFrameHash(frame), b.frame_hash);
    std::string damaged(frame);
    damaged[damaged.size() / 2] ^= 0x01;
    EXPECT_NE(BlockFrameHash(damaged), b.frame_hash);
  }
  // The head (where the hashes are) reads them too.
  auto head = DecodeSegmentIndexHead(seg.index);
  ASSERT_TRUE(head.ok());
  EXPECT_TRUE(head->index.has_frame_hashes);
  EXPECT_EQ(head->index.blocks.back().frame_hash, x->blocks.back().frame_hash);
}

// A head decoded for a query loads only the low-cardinality counts it
// names; the rest of the head (blocks, sections) is the same.
TEST(SegmentIndexTest, HeadLoadsOnlyTheInlineCountsAskedFor) {
  BuiltSegment seg = Build();
  auto all = DecodeSegmentIndexHead(seg.index);
  ASSERT_TRUE(all.ok());
  const size_t event = *TextFieldId("event");
  const size_t outcome = *TextFieldId("outcome");
  ASSERT_NE(all->index.CountsFor(event), nullptr);
  ASSERT_NE(all->index.CountsFor(outcome), nullptr);
  ASSERT_GT(all->index.counts.size(), 2u);
  for (const std::vector<size_t>& fields :
       {std::vector<size_t>{}, std::vector<size_t>{event}, std::vector<size_t>{outcome, event}}) {
    auto some = DecodeSegmentIndexHead(seg.index, &fields);
    ASSERT_TRUE(some.ok()) << some.status().ToString();
    EXPECT_EQ(some->index.counts.size(), fields.size());
    for (const FieldCounts& c : all->index.counts) {
      const bool asked = std::find(fields.begin(), fields.end(), c.field_id) != fields.end();
      const FieldCounts* got = some->index.CountsFor(c.field_id);
      ASSERT_EQ(got != nullptr, asked) << c.field_id;
      if (asked) {
        EXPECT_EQ(got->values, c.values);
        EXPECT_EQ(got->per_block, c.per_block);
      }
    }
    EXPECT_EQ(some->sections.size(), all->sections.size());
    EXPECT_EQ(some->blob_bytes, all->blob_bytes);
    ASSERT_EQ(some->index.blocks.size(), all->index.blocks.size());
    EXPECT_EQ(some->index.blocks.back().frame_hash, all->index.blocks.back().frame_hash);
  }
}

// Stores sealed before version 5 keep their version 4 indexes: the same
// content without frame hashes.
TEST(SegmentIndexTest, ReadsVersion4Blobs) {
  BuiltSegment seg = BuildManyPrincipals();
  auto v5 = DecodeSegmentIndex(seg.index);
  ASSERT_TRUE(v5.ok());
  const std::string v4 = EncodeSegmentIndexVersion4(*v5);
  ASSERT_EQ(v4[8], 4);
  auto x = DecodeSegmentIndex(v4);
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  EXPECT_FALSE(x->has_frame_hashes);
  ASSERT_EQ(x->blocks.size(), v5->blocks.size());
  for (const BlockInfo& b : x->blocks) EXPECT_EQ(b.frame_hash, 0u);
  EXPECT_EQ(ByValue(*x->CountsFor(kPrincipalFieldId)), ByValue(*v5->CountsFor(kPrincipalFieldId)));
  EXPECT_EQ(EncodeSegmentIndex(WithFrameHashesOf(*v5, *x)), seg.index);
}

TEST(SegmentIndexTest, AnyFlippedByteIsDetected) {
  BuiltSegment seg = Build();
  for (size_t i = 0; i < seg.index.size(); i += 7) {
    std::string bad = seg.index;
    bad[i] ^= 0x20;
    auto x = DecodeSegmentIndex(bad);
    ASSERT_FALSE(x.ok()) << "byte " << i;
    EXPECT_EQ(x.status().code(), StatusCode::kDataLoss);
  }
}

TEST(SegmentIndexTest, TruncatedOrForeignBlobsAreDataLoss) {
  BuiltSegment seg = Build();
  for (std::string_view bad : {std::string_view(), std::string_view("kura-idx"),
                               std::string_view(seg.index).substr(0, seg.index.size() - 1),
                               std::string_view(seg.data)}) {
    EXPECT_EQ(DecodeSegmentIndex(bad).status().code(), StatusCode::kDataLoss);
  }
  std::string extra = seg.index + "x";
  EXPECT_EQ(DecodeSegmentIndex(extra).status().code(), StatusCode::kDataLoss);
}

TEST(SegmentIndexTest, UnknownVersionIsRefused) {
  BuiltSegment seg = Build();
  for (char v : {char{0}, char{6}}) {
    std::string other = seg.index;
    other[8] = v;  // the version follows the 8-byte magic
    auto x = DecodeSegmentIndex(other);
    ASSERT_FALSE(x.ok());
    EXPECT_EQ(x.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(x.status().message().find("version"), std::string::npos);
  }
}

TEST(SegmentIndexTest, IndexOfAnotherDataObjectIsRejected) {
  BuiltSegment seg = Build();
  auto x = DecodeSegmentIndex(seg.index);
  ASSERT_TRUE(x.ok());
  EXPECT_TRUE(CheckIndexMatchesData(*x, seg.data.size()).ok());
  EXPECT_EQ(CheckIndexMatchesData(*x, seg.data.size() + 1).code(), StatusCode::kDataLoss);
}

TEST(SegmentIndexTest, BloomHasNoFalseNegativesAndFewFalsePositives) {
  const size_t n = 2000;
  std::vector<uint64_t> words((n * kBloomBitsPerToken + 63) / 64);
  for (size_t i = 0; i < n; ++i) {
    BloomAdd(words.data(), words.size(), kBloomProbes, WordTokenHash("in" + std::to_string(i)));
  }
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(BloomMayContain(words.data(), words.size(), kBloomProbes,
                                WordTokenHash("in" + std::to_string(i))));
  }
  size_t fp = 0;
  for (size_t i = 0; i < 20000; ++i) {
    fp += BloomMayContain(words.data(), words.size(), kBloomProbes,
                          WordTokenHash("out" + std::to_string(i)));
  }
  // The design rate at kBloomBitsPerToken / kBloomProbes (7 / 5: ~3.5 %):
  // (1 - e^(-k/b))^k. The filter must be within 1.5x of it, and the design
  // must stay under 4 % (a needle search decodes about that share of the
  // blocks a Bloom filter alone would have to look at).
  const double design = std::pow(1 - std::exp(-static_cast<double>(kBloomProbes) /
                                               static_cast<double>(kBloomBitsPerToken)),
                                 static_cast<double>(kBloomProbes));
  EXPECT_LT(design, 0.04);
  EXPECT_LT(static_cast<double>(fp), 20000 * 1.5 * design);
  // An empty filter says "maybe" to everything.
  EXPECT_TRUE(BloomMayContain(nullptr, 0, kBloomProbes, 42));
}

}  // namespace
}  // namespace kura::logs
