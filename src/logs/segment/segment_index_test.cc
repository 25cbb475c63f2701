#include "logs/segment/segment_index.h"

#include <gtest/gtest.h>

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
  std::string v2 = seg.index;
  v2[8] = 2;  // the version follows the 8-byte magic
  auto x = DecodeSegmentIndex(v2);
  ASSERT_FALSE(x.ok());
  EXPECT_EQ(x.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(x.status().message().find("version"), std::string::npos);
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
  EXPECT_LT(fp, 20000u * 3 / 100);  // ~1% expected at 10 bits per token
  // An empty filter says "maybe" to everything.
  EXPECT_TRUE(BloomMayContain(nullptr, 0, kBloomProbes, 42));
}

}  // namespace
}  // namespace kura::logs
