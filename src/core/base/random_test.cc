#include "core/base/random.h"

#include <gtest/gtest.h>

#include <array>
#include <set>

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
