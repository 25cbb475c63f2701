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

TEST(SlotBucketTest, EntriesRoundTripAsBigEndianPairs) {
  const int64_t base = 5 * kBucketWidth;
  const std::vector<SlotEntry> entries = {
      {base, 1},
      {base + 0x0102, 0x7f},
      {base + kBucketWidth - 1, std::numeric_limits<int64_t>::max()}};
  std::string bytes = "stale";
  EncodeSlotBucket(entries.data(), entries.size(), bytes);
  ASSERT_EQ(bytes.size(), 3 * kSlotEntryBytes);
  // The second entry: its prefix's last two bytes, then its id's last byte.
  EXPECT_EQ(bytes.substr(kSlotEntryBytes + 6, 2), std::string("\x01\x02", 2));
  EXPECT_EQ(bytes[2 * kSlotEntryBytes - 1], '\x7f');
  std::vector<SlotEntry> decoded = {{9, 9}};
  ASSERT_TRUE(DecodeSlotBucket(5, bytes, decoded).ok());
  EXPECT_EQ(decoded, entries);
  EncodeSlotBucket(nullptr, 0, bytes);
  EXPECT_TRUE(bytes.empty());
  ASSERT_TRUE(DecodeSlotBucket(5, bytes, decoded).ok());
  EXPECT_TRUE(decoded.empty());
}

TEST(SlotBucketTest, CorruptBucketsAreDataLossNamingTheBucket) {
  const int64_t base = 7 * kBucketWidth;
  const auto encode = [](std::vector<SlotEntry> entries) {
    std::string bytes;
    EncodeSlotBucket(entries.data(), entries.size(), bytes);
    return bytes;
  };
  const std::vector<std::string> corrupt = {
      encode({{base, 1}}).substr(0, kSlotEntryBytes - 1),  // a partial entry
      encode({{base, 1}, {base + 1, 2}}) + "x",            // a trailing byte
      encode({{base + 1, 1}, {base, 2}}),                  // out of order
      encode({{base, 1}, {base, 2}}),                      // a repeated prefix
      encode({{base - 1, 1}}),                             // another bucket's prefix
      encode({{base, 0}}),                                 // id 0
      encode({{base, -1}}),                                // a negative id
      encode({{-1, 1}}),                                   // a negative prefix
  };
  for (size_t i = 0; i < corrupt.size(); ++i) {
    std::vector<SlotEntry> out;
    const Status s = DecodeSlotBucket(7, corrupt[i], out);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << i;
    EXPECT_NE(s.message().find("bucket 7 "), std::string::npos) << i << ": " << s.message();
  }
}

}  // namespace
}  // namespace kura::vault
