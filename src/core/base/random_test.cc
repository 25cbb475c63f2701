#include "core/base/random.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <set>
#include <thread>

namespace kura {
namespace {

TEST(RandomTest, OsRandomProducesDistinctBlocks) {
  OsRandom rng;
  std::set<std::array<uint8_t, 16>> seen;
  for (int i = 0; i < 100; ++i) {
    std::array<uint8_t, 16> block{};
    ASSERT_TRUE(rng.Fill(block).ok());
    seen.insert(block);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(RandomTest, UniformStaysInBoundsAndCoversRange) {
  SeededRandom rng(7);
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    Result<uint64_t> v = rng.Uniform(10);
    ASSERT_TRUE(v.ok());
    ASSERT_LT(*v, 10u);
    seen.insert(*v);
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(rng.Uniform(0).status().code(), StatusCode::kInvalidArgument);
}

TEST(RandomTest, SeededRandomIsRepeatable) {
  SeededRandom a(42), b(42);
  std::array<uint8_t, 32> x{}, y{};
  ASSERT_TRUE(a.Fill(x).ok());
  ASSERT_TRUE(b.Fill(y).ok());
  EXPECT_EQ(x, y);
}

// Counts calls; hands out 0, 1, 2, ... across calls.
class CountingSource final : public Random {
 public:
  Status Fill(std::span<uint8_t> out) override {
    ++calls;
    if (fail) return InternalError("source failed");
    for (auto& b : out) b = next++;
    return OkStatus();
  }
  int calls = 0;
  bool fail = false;
  uint8_t next = 0;
};

TEST(RandomTest, BufferedRandomServesItsReserveInOrderThenTheSource) {
  CountingSource source;
  BufferedRandom buffered(source, 10);
  EXPECT_EQ(source.calls, 1);
  std::vector<uint8_t> a(4), b(4), c(4);
  ASSERT_TRUE(buffered.Fill(a).ok());
  ASSERT_TRUE(buffered.Fill(b).ok());
  EXPECT_EQ(source.calls, 1);  // served from the reserve
  EXPECT_EQ(a, (std::vector<uint8_t>{0, 1, 2, 3}));
  EXPECT_EQ(b, (std::vector<uint8_t>{4, 5, 6, 7}));
  ASSERT_TRUE(buffered.Fill(c).ok());  // 2 left in the reserve, 2 from the source
  EXPECT_EQ(source.calls, 2);
  EXPECT_EQ(c, (std::vector<uint8_t>{8, 9, 10, 11}));
  ASSERT_TRUE(buffered.Fill(c).ok());
  EXPECT_EQ(source.calls, 3);
}

TEST(RandomTest, PooledRandomDrawsOnePoolPerPoolBytesAndHandsEachByteOutOnce) {
  CountingSource source;
  PooledRandom pooled(source, 10);
  EXPECT_EQ(source.calls, 0);  // drawn on first use
  std::vector<uint8_t> got;
  for (int i = 0; i < 7; ++i) {
    std::vector<uint8_t> out(4);
    ASSERT_TRUE(pooled.Fill(out).ok());
    got.insert(got.end(), out.begin(), out.end());
  }
  // 28 bytes from pools of 10: three draws, a Fill may span two pools.
  EXPECT_EQ(source.calls, 3);
  std::vector<uint8_t> want(28);
  for (size_t i = 0; i < want.size(); ++i) want[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(got, want);
  // Larger than the pool: straight from the source, the pool untouched.
  std::vector<uint8_t> big(11);
  ASSERT_TRUE(pooled.Fill(big).ok());
  EXPECT_EQ(source.calls, 4);
  EXPECT_EQ(big[0], 30);
  std::vector<uint8_t> two(2);
  ASSERT_TRUE(pooled.Fill(two).ok());
  EXPECT_EQ(two, (std::vector<uint8_t>{28, 29}));
}

TEST(RandomTest, PooledRandomFailsWhenARefillFailsAndRecoversAfterwards) {
  CountingSource source;
  PooledRandom pooled(source, 8);
  std::vector<uint8_t> out(6);
  ASSERT_TRUE(pooled.Fill(out).ok());
  source.fail = true;
  std::vector<uint8_t> more(4, 0xee);
  EXPECT_EQ(pooled.Fill(more).code(), StatusCode::kInternal);
  EXPECT_EQ(more, (std::vector<uint8_t>{0, 0, 0xee, 0xee}));  // nothing half-random handed out
  source.fail = false;
  ASSERT_TRUE(pooled.Fill(more).ok());
  EXPECT_EQ(source.calls, 3);  // first pool, the failed refill, the new pool
}

TEST(RandomTest, PooledRandomIsSafeForConcurrentUse) {
  OsRandom os;
  PooledRandom pooled(os, 64);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::vector<std::vector<uint8_t>> drawn(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        uint8_t b[12];
        if (!pooled.Fill(b).ok()) failures.fetch_add(1);
        drawn[static_cast<size_t>(t)].insert(drawn[static_cast<size_t>(t)].end(), b, b + 12);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  // 48,000 random bytes: every byte value appears (a stuck or repeated
  // pool would not spread like this).
  std::vector<int> seen(256, 0);
  for (const auto& d : drawn) {
    for (uint8_t b : d) ++seen[b];
  }
  for (int v = 0; v < 256; ++v) EXPECT_GT(seen[static_cast<size_t>(v)], 100) << v;
}

TEST(RandomTest, BufferedRandomFailsIfItsReserveCouldNotBeDrawn) {
  CountingSource source;
  source.fail = true;
  BufferedRandom buffered(source, 16);
  std::vector<uint8_t> out(4);
  EXPECT_EQ(buffered.Fill(out).code(), StatusCode::kInternal);
  source.fail = false;
  EXPECT_EQ(buffered.Fill(out).code(), StatusCode::kInternal);  // never a half-random draw
}

}  // namespace
}  // namespace kura
