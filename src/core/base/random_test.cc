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

}  // namespace
}  // namespace kura
