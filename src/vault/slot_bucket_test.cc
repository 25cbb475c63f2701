#include "vault/slot_bucket.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace kura::vault {
namespace {

constexpr int64_t kBucketWidth = int64_t{1} << (63 - kSlotBucketBits);

TEST(SlotBucketTest, BucketsCutThePrefixesIntoEqualRanges) {
  EXPECT_EQ(SlotBucketOf(0), 0);
  EXPECT_EQ(SlotBucketOf(kBucketWidth - 1), 0);
  EXPECT_EQ(SlotBucketOf(kBucketWidth), 1);
  EXPECT_EQ(SlotBucketOf(std::numeric_limits<int64_t>::max()), (int64_t{1} << kSlotBucketBits) - 1);
}

TEST(SlotBucketTest, EntriesRoundTripAsVarintDistancesAndIds) {
  const int64_t base = 5 * kBucketWidth;
  const std::vector<SlotEntry> entries = {
      {base, 1},
      {base + 0x81, 0x7f},
      {base + kBucketWidth - 1, std::numeric_limits<int64_t>::max()}};
  std::string bytes = "stale";
  EncodeSlotBucket(entries.data(), entries.size(), bytes);
  // (0, 1), then (0x81 = 0x01 + 1 << 7, 0x7f), then a 7-byte distance and
  // a 9-byte id.
  EXPECT_EQ(bytes.substr(0, 5), std::string("\x00\x01\x81\x01\x7f", 5));
  EXPECT_EQ(bytes.size(), 5u + 7 + 9);
  std::vector<SlotEntry> decoded = {{9, 9}};
  ASSERT_TRUE(DecodeSlotBucket(5, bytes, decoded).ok());
  EXPECT_EQ(decoded, entries);
  EncodeSlotBucket(nullptr, 0, bytes);
  EXPECT_TRUE(bytes.empty());
  ASSERT_TRUE(DecodeSlotBucket(5, bytes, decoded).ok());
  EXPECT_TRUE(decoded.empty());
}

TEST(SlotBucketTest, TypicalEntriesTakeAboutTenBytes) {
  // 76 entries spread evenly over a bucket, ids near 10^7 (10^7 cards).
  std::vector<SlotEntry> entries;
  for (int64_t i = 0; i < 76; ++i) {
    entries.emplace_back(3 * kBucketWidth + i * (kBucketWidth / 76), 10'000'000 + i);
  }
  std::string bytes;
  EncodeSlotBucket(entries.data(), entries.size(), bytes);
  EXPECT_LE(bytes.size(), entries.size() * (kSlotEntryBytesTypical + 1));
  std::vector<SlotEntry> decoded;
  ASSERT_TRUE(DecodeSlotBucket(3, bytes, decoded).ok());
  EXPECT_EQ(decoded, entries);
}

TEST(SlotBucketTest, CorruptBucketsAreDataLossNamingTheBucket) {
  const int64_t base = 7 * kBucketWidth;
  const auto encode = [](std::vector<SlotEntry> entries) {
    std::string bytes;
    EncodeSlotBucket(entries.data(), entries.size(), bytes);
    return bytes;
  };
  const std::string one = encode({{base + 3, 300}});  // 03 ac 02
  ASSERT_EQ(one, std::string("\x03\xac\x02", 3));
  const std::vector<std::string> corrupt = {
      one.substr(0, 2),                                          // an id cut off
      one.substr(0, 1),                                          // no id
      std::string("\x80", 1),                                    // a distance cut off
      std::string(9, '\x80') + "\x01" + "\x01",                  // a 10-byte distance
      one + std::string("\x00\x05", 2),                          // a repeated prefix
      std::string("\x01\x01\x00\x02", 4),                        // the same, as bytes
      one + std::string("\x80\x80\x80\x80\x80\x80\x20\x01", 8),  // 2^47 on: past it
      std::string("\x00\x00", 2),                                // id 0
      std::string("\x00", 1) + std::string(8, '\xff') + "\x7f",  // an id of 2^63 - 1
  };
  for (size_t i = 0; i + 1 < corrupt.size(); ++i) {
    std::vector<SlotEntry> out;
    const Status s = DecodeSlotBucket(7, corrupt[i], out);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << i;
    EXPECT_NE(s.message().find("bucket 7 "), std::string::npos) << i << ": " << s.message();
  }
  // The largest id is valid; the bucket number must be one.
  std::vector<SlotEntry> out;
  EXPECT_TRUE(DecodeSlotBucket(7, corrupt.back(), out).ok());
  EXPECT_EQ(out, std::vector<SlotEntry>({{base, std::numeric_limits<int64_t>::max()}}));
  EXPECT_EQ(DecodeSlotBucket(-1, one, out).code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeSlotBucket(int64_t{1} << kSlotBucketBits, one, out).code(),
            StatusCode::kDataLoss);
}

}  // namespace
}  // namespace kura::vault
