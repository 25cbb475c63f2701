#include "vault/slot_filter.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <unordered_set>
#include <vector>

namespace kura::vault {
namespace {

std::vector<int64_t> RandomPrefixes(size_t n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<int64_t> out(n);
  for (int64_t& p : out) p = static_cast<int64_t>(gen() >> 1);  // 63 bits, as FingerprintPrefix
  return out;
}

TEST(SlotFilterTest, EveryKeyAddedIsFound) {
  SlotFilter filter(100'000);
  const std::vector<int64_t> keys = RandomPrefixes(100'000, 1);
  for (int64_t k : keys) filter.Add(k);
  for (int64_t k : keys) ASSERT_TRUE(filter.MayContain(k)) << k;
  EXPECT_EQ(filter.size(), keys.size());
  EXPECT_FALSE(filter.over_capacity());
}

TEST(SlotFilterTest, FalsePositivesStayRareAtCapacity) {
  SlotFilter filter(100'000);
  for (int64_t k : RandomPrefixes(100'000, 2)) filter.Add(k);
  const std::vector<int64_t> others = RandomPrefixes(100'000, 3);
  size_t positives = 0;
  for (int64_t k : others) positives += filter.MayContain(k) ? 1 : 0;
  // Four bits of a 512-bit block, 16 bits per key: about 0.3 % expected.
  EXPECT_LT(positives, 1'000u) << positives;  // < 1 %
}

TEST(SlotFilterTest, SmallConsecutiveKeysSpreadToo) {
  SlotFilter filter(10'000);
  for (int64_t k = 0; k < 10'000; ++k) filter.Add(k);
  for (int64_t k = 0; k < 10'000; ++k) ASSERT_TRUE(filter.MayContain(k)) << k;
  size_t positives = 0;
  for (int64_t k = 10'000; k < 20'000; ++k) positives += filter.MayContain(k) ? 1 : 0;
  EXPECT_LT(positives, 100u) << positives;
}

TEST(SlotFilterTest, PrefetchIsOnlyAHint) {
  SlotFilter filter(1'000);
  const std::vector<int64_t> keys = RandomPrefixes(1'000, 5);
  for (int64_t k : keys) {
    filter.Prefetch(k);
    filter.Add(k);
  }
  const std::vector<int64_t> others = RandomPrefixes(1'000, 6);
  std::vector<bool> before;
  for (int64_t k : others) before.push_back(filter.MayContain(k));
  for (int64_t k : others) filter.Prefetch(k);
  for (size_t i = 0; i < others.size(); ++i) EXPECT_EQ(filter.MayContain(others[i]), before[i]);
  for (int64_t k : keys) EXPECT_TRUE(filter.MayContain(k));
  SlotFilter empty(0);
  empty.Prefetch(std::numeric_limits<int64_t>::max());
  EXPECT_FALSE(empty.MayContain(std::numeric_limits<int64_t>::max()));
}

TEST(SlotFilterTest, EmptyFilterHoldsNothingAndOverCapacityIsReported) {
  SlotFilter empty(0);
  EXPECT_FALSE(empty.MayContain(0));
  EXPECT_FALSE(empty.MayContain(int64_t{1} << 62));
  SlotFilter small(2);
  for (int64_t k : RandomPrefixes(3, 4)) small.Add(k);
  EXPECT_TRUE(small.over_capacity());
  for (int64_t k : RandomPrefixes(3, 4)) EXPECT_TRUE(small.MayContain(k));
}

}  // namespace
}  // namespace kura::vault
