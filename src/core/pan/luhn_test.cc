#include "core/pan/luhn.h"

#include <gtest/gtest.h>

namespace kura::pan {
namespace {

TEST(LuhnTest, AcceptsBrandTestNumbers) {
  EXPECT_TRUE(LuhnValid("4111111111111111"));  // Visa test card
  EXPECT_TRUE(LuhnValid("5555555555554444"));  // Mastercard test card
  EXPECT_TRUE(LuhnValid("378282246310005"));   // Amex test card
}

TEST(LuhnTest, RejectsBadCheckDigitAndNonDigits) {
  EXPECT_FALSE(LuhnValid("4111111111111112"));
  EXPECT_FALSE(LuhnValid("4111-1111-1111-1111"));
  EXPECT_FALSE(LuhnValid(""));
  EXPECT_FALSE(LuhnValid("41111111111111a1"));
}

TEST(LuhnTest, CheckDigitCompletesNumber) {
  EXPECT_EQ(LuhnCheckDigit("411111111111111"), '1');
  EXPECT_EQ(LuhnCheckDigit("555555555555444"), '4');
  EXPECT_EQ(LuhnCheckDigit("37828224631000"), '5');
}

}  // namespace
}  // namespace kura::pan
