#include "logs/segment/segment_builder.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <memory>

#include "logs/segment/segment_index.h"
#include "logs/segment/segment_reader.h"
#include "logs/segment/segment_test_util.h"
#include "logs/segment/tokens.h"

namespace kura::logs {
namespace {

using testing::kTestEpochMs;
using testing::MakeChainedRecords;

// The whole data object through plain zstd (what `zstd -d`, DuckDB and
// Athena see): concatenated frames decompress to the concatenation.
std::string PlainZstdDecompress(const std::string& data) {
  std::string out;
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::string buf(ZSTD_DStreamOutSize(), '\0');
  while (in.pos < in.size) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    size_t r = ZSTD_decompressStream(d, &o, &in);
    EXPECT_FALSE(ZSTD_isError(r));
    if (ZSTD_isError(r)) break;
    out.append(buf.data(), o.pos);
  }
  ZSTD_freeDCtx(d);
  return out;
}

TEST(SegmentBuilderTest, DataIsJsonLinesOfTheRecordBytes) {
  auto records = MakeChainedRecords(1, 500, kTestEpochMs);
  SegmentBuilder builder(SegmentOptions{.block_bytes = 4096, .zstd_level = 3});
  std::string expected;
  for (const auto& r : records) {
    ASSERT_TRUE(builder.Add(r).ok());
    expected += r.bytes + "\n";
  }
  EXPECT_EQ(builder.record_count(), 500u);
  EXPECT_EQ(builder.raw_bytes(), expected.size());

  auto seg = builder.Finish();
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  EXPECT_EQ(seg->first_seq, 1u);
  EXPECT_EQ(seg->last_seq, 500u);
  EXPECT_EQ(seg->record_count, 500u);
  EXPECT_EQ(seg->min_received_ms, kTestEpochMs);
  EXPECT_EQ(seg->max_received_ms, kTestEpochMs + 499 * 1000);
  EXPECT_LT(seg->data.size(), expected.size() / 3);
  EXPECT_EQ(PlainZstdDecompress(seg->data), expected);

  auto all = ReadAllRecords(seg->data);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 500u);
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ((*all)[i], records[i].bytes);

  // The builder is empty and reusable.
  EXPECT_EQ(builder.record_count(), 0u);
  EXPECT_EQ(builder.raw_bytes(), 0u);
  ASSERT_TRUE(builder.Add(records[0]).ok());
  auto again = builder.Finish();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->record_count, 1u);
}

TEST(SegmentBuilderTest, IndexDescribesEveryBlock) {
  auto records = MakeChainedRecords(100, 1000, kTestEpochMs, 60'000);
  SegmentBuilder builder(SegmentOptions{.block_bytes = 8192, .zstd_level = 3});
  for (const auto& r : records) ASSERT_TRUE(builder.Add(r).ok());
  auto seg = builder.Finish();
  ASSERT_TRUE(seg.ok());
  auto index = DecodeSegmentIndex(seg->index);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  ASSERT_TRUE(CheckIndexMatchesData(*index, seg->data.size()).ok());
  EXPECT_GT(index->blocks.size(), 10u);
  EXPECT_EQ(index->first_seq, 100u);
  EXPECT_EQ(index->last_seq, 1099u);
  EXPECT_EQ(index->record_count, 1000u);
  EXPECT_EQ(index->min_received_ms, seg->min_received_ms);
  EXPECT_EQ(index->max_received_ms, seg->max_received_ms);

  // Each block decodes on its own to exactly its records, and its filter
  // contains each record's principal and words.
  const FieldCounts* events = index->CountsFor(*TextFieldId("event"));
  ASSERT_NE(events, nullptr);
  uint64_t next_seq = 100;
  std::string raw;
  for (size_t b = 0; b < index->blocks.size(); ++b) {
    const BlockInfo& blk = index->blocks[b];
    ASSERT_TRUE(DecompressBlock(std::string_view(seg->data).substr(blk.offset, blk.length), &raw)
                    .ok());
    EXPECT_EQ(raw.size(), blk.raw_bytes);
    uint64_t n = 0;
    ASSERT_TRUE(ForEachRecordInBlock(raw, [&](std::string_view rec) {
                  auto v = ScanRecord(rec);
                  EXPECT_TRUE(v.ok());
                  EXPECT_EQ(v->seq, next_seq++);
                  std::string s;
                  EXPECT_TRUE(index->BlockMayContain(
                      b, FieldTokenHash(*TextFieldId("principal"),
                                        v->Text(*TextFieldId("principal"), &s))));
                  EXPECT_TRUE(index->BlockMayContain(b, WordTokenHash("worker")));
                  ++n;
                  return OkStatus();
                }).ok());
    EXPECT_EQ(n, blk.record_count);
    uint64_t counted = 0;
    for (const auto& [id, c] : events->per_block[b]) counted += c;
    EXPECT_EQ(counted, blk.record_count);
  }
  EXPECT_EQ(next_seq, 1100u);
  // card.reveal is every 4th seq (see MakeChainedRecords).
  uint64_t reveals = 0;
  for (const auto& pairs : events->per_block) {
    for (const auto& [id, c] : pairs) {
      if (events->values[id] == "card.reveal") reveals += c;
    }
  }
  EXPECT_EQ(reveals, 250u);
  // A token that is nowhere is rejected by (nearly) every block.
  size_t may = 0;
  for (size_t b = 0; b < index->blocks.size(); ++b) {
    may += index->BlockMayContain(b, FieldTokenHash(*TextFieldId("principal"), "mallory"));
  }
  // At most the Bloom filters' false-positive share (~3.5 %, see
  // segment_index_test) of the blocks, plus one for noise.
  EXPECT_LE(may, 1u + index->blocks.size() * 7 / 100);
}

// Blocks are compressed on a helper thread; the frames must be exactly what
// compressing each block in line gives, in order, and the filters exactly
// those of the distinct tokens (whatever the dedup order). Built twice with
// the same builder (reuse after Finish) and compared with a fresh builder.
TEST(SegmentBuilderTest, BackgroundCompressionGivesTheInLineBytes) {
  const auto records = testing::MakeChainedRecords(1, 3000, testing::kTestEpochMs);
  const SegmentOptions options{.block_bytes = 16384, .zstd_level = 7};
  SegmentBuilder reused(options);
  std::string first_data, first_index;
  for (int round = 0; round < 2; ++round) {
    for (const ChainedRecord& r : records) ASSERT_TRUE(reused.Add(r).ok());
    auto seg = reused.Finish();
    ASSERT_TRUE(seg.ok());
    if (round == 0) {
      first_data = seg->data;
      first_index = seg->index;
      continue;
    }
    EXPECT_EQ(seg->data, first_data);
    EXPECT_EQ(seg->index, first_index);
  }
  auto index = DecodeSegmentIndex(first_index);
  ASSERT_TRUE(index.ok());
  ASSERT_GT(index->blocks.size(), 10u);
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  std::string expected;
  size_t next = 0;
  for (const BlockInfo& b : index->blocks) {
    std::string raw;
    for (; next < records.size() && records[next].seq <= b.last_seq; ++next) {
      raw += records[next].bytes;
      raw += '\n';
    }
    ZSTD_CCtx_reset(cctx.get(), ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, 7);
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
    std::string frame(ZSTD_compressBound(raw.size()), '\0');
    const size_t n = ZSTD_compress2(cctx.get(), frame.data(), frame.size(), raw.data(), raw.size());
    ASSERT_FALSE(ZSTD_isError(n));
    frame.resize(n);
    EXPECT_EQ(b.offset, expected.size());
    EXPECT_EQ(b.length, n);
    expected += frame;
  }
  EXPECT_EQ(next, records.size());
  EXPECT_EQ(first_data, expected);
}

TEST(SegmentBuilderTest, RefusesBadRecordsAndKeepsWhatWasAccepted) {
  auto records = MakeChainedRecords(1, 3, kTestEpochMs);
  SegmentBuilder builder;
  ASSERT_TRUE(builder.Add(records[0]).ok());
  ASSERT_TRUE(builder.Add(records[1]).ok());

  auto expect_invalid = [&](const ChainedRecord& r) {
    Status s = builder.Add(r);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  };
  expect_invalid(records[1]);  // seq not increasing
  expect_invalid(records[0]);
  ChainedRecord bad = records[2];
  bad.bytes = "";
  expect_invalid(bad);
  bad.bytes = records[2].bytes + "\n";
  expect_invalid(bad);
  bad.bytes = "not json";
  expect_invalid(bad);
  bad = records[2];
  bad.seq = 7;  // bytes say 3
  expect_invalid(bad);
  bad = records[2];
  bad.received_ms += 1;
  expect_invalid(bad);
  EXPECT_EQ(builder.record_count(), 2u);

  ASSERT_TRUE(builder.Add(records[2]).ok());
  auto seg = builder.Finish();
  ASSERT_TRUE(seg.ok());
  auto all = ReadAllRecords(seg->data);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<std::string>{records[0].bytes, records[1].bytes,
                                            records[2].bytes}));
}

TEST(SegmentBuilderTest, FinishWithoutRecordsFails) {
  SegmentBuilder builder;
  auto seg = builder.Finish();
  ASSERT_FALSE(seg.ok());
  EXPECT_EQ(seg.status().code(), StatusCode::kFailedPrecondition);
}

TEST(SegmentBuilderTest, ManyDistinctValuesDropThatFieldsCounts) {
  std::vector<LogRecord> recs;
  for (uint64_t i = 1; i <= kMaxCountedValues + 10; ++i) {
    auto r = testing::MakeRecord(i, kTestEpochMs, "p", "ev" + std::to_string(i), "success", "m");
    recs.push_back(r);
  }
  SegmentBuilder builder;
  for (const auto& c : testing::Chain(recs)) ASSERT_TRUE(builder.Add(c).ok());
  auto seg = builder.Finish();
  ASSERT_TRUE(seg.ok());
  auto index = DecodeSegmentIndex(seg->index);
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->CountsFor(*TextFieldId("event")), nullptr);
  ASSERT_NE(index->CountsFor(*TextFieldId("outcome")), nullptr);
  EXPECT_EQ(index->CountsFor(*TextFieldId("outcome"))->values,
            std::vector<std::string>{"success"});
}

TEST(SegmentBuilderTest, IndexIsASmallFractionOfTheData) {
  auto records = MakeChainedRecords(1, 20000, kTestEpochMs, 100);
  SegmentBuilder builder;  // default 1 MiB blocks
  size_t raw = 0;
  for (const auto& r : records) {
    ASSERT_TRUE(builder.Add(r).ok());
    raw += r.bytes.size() + 1;
  }
  auto seg = builder.Finish();
  ASSERT_TRUE(seg.ok());
  EXPECT_LT(seg->data.size() + seg->index.size(), raw / 5);
}

}  // namespace
}  // namespace kura::logs
