#include "core/crypto/constant_time.h"

#include <gtest/gtest.h>

#include <vector>

namespace kura::crypto {
namespace {

TEST(ConstantTimeEqualsTest, Strings) {
  EXPECT_TRUE(ConstantTimeEquals(std::string_view("secret"), std::string_view("secret")));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("secret"), std::string_view("secreT")));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("Secret"), std::string_view("secret")));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("secret"), std::string_view("secret1")));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view(""), std::string_view("a")));
  EXPECT_TRUE(ConstantTimeEquals(std::string_view(""), std::string_view("")));
}

TEST(ConstantTimeEqualsTest, EmbeddedNulIsCompared) {
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
  EXPECT_TRUE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
}

TEST(ConstantTimeEqualsTest, Bytes) {
  const std::vector<uint8_t> a = {1, 2, 3, 4};
  std::vector<uint8_t> b = a;
  EXPECT_TRUE(ConstantTimeEquals(std::span<const uint8_t>(a), std::span<const uint8_t>(b)));
  b[3] = 5;
  EXPECT_FALSE(ConstantTimeEquals(std::span<const uint8_t>(a), std::span<const uint8_t>(b)));
  b.pop_back();
  EXPECT_FALSE(ConstantTimeEquals(std::span<const uint8_t>(a), std::span<const uint8_t>(b)));
  EXPECT_TRUE(ConstantTimeEquals(std::span<const uint8_t>(), std::span<const uint8_t>()));
}

}  // namespace
}  // namespace kura::crypto
