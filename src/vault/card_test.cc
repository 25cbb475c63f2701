#include "vault/card.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "core/base/clock.h"

namespace kura::vault {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kJan1st2026 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kFeb1st2026 = 1'769'904'000'000;  // 2026-02-01T00:00:00Z

void ExpectInvalid(std::string_view input, std::string_view message) {
  const Status checked = CheckPan(input);
  EXPECT_EQ(checked.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(checked.message(), message);
}

TEST(CheckPanTest, AcceptsValidPans) {
  for (std::string_view pan : {"4111111111111111", "378282246310005", "36227206271667",
                               "4222222222222", "6011000990139424", "4000000000000000006"}) {
    const Status s = CheckPan(pan);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
}

TEST(CheckPanTest, RejectsNonDigitsWithoutEchoingInput) {
  ExpectInvalid("4111 1111 1111 1111", "pan must contain only digits");
  ExpectInvalid("4111-1111-1111-1111", "pan must contain only digits");
  ExpectInvalid("411111111111111a", "pan must contain only digits");
  ExpectInvalid(" 4111111111111111", "pan must contain only digits");
  ExpectInvalid("4111111111111111\n", "pan must contain only digits");
  ExpectInvalid(std::string_view("41111111\0" "1111111", 16), "pan must contain only digits");
  ExpectInvalid("\xef\xbc\x94" "111111111111111", "pan must contain only digits");  // fullwidth 4
}

TEST(CheckPanTest, RejectsBadLengths) {
  ExpectInvalid("", "pan must be 13 to 19 digits");
  ExpectInvalid("411111111116", "pan must be 13 to 19 digits");           // 12, Luhn-valid
  ExpectInvalid("41111111111111111113", "pan must be 13 to 19 digits");   // 20 digits
}

TEST(CheckPanTest, RejectsLuhnFailures) {
  ExpectInvalid("4111111111111112", "pan fails the Luhn check");
  ExpectInvalid("4222222222223", "pan fails the Luhn check");
  ExpectInvalid("5555555555554445", "pan fails the Luhn check");
}

TEST(BrandTest, StandardTestPans) {
  EXPECT_EQ(DetectBrand("4111111111111111"), Brand::kVisa);
  EXPECT_EQ(DetectBrand("5555555555554444"), Brand::kMastercard);
  EXPECT_EQ(DetectBrand("2223003122003222"), Brand::kMastercard);
  EXPECT_EQ(DetectBrand("378282246310005"), Brand::kAmex);
  EXPECT_EQ(DetectBrand("6011111111111117"), Brand::kDiscover);
  EXPECT_EQ(DetectBrand("3530111333300000"), Brand::kJcb);
  EXPECT_EQ(DetectBrand("36227206271667"), Brand::kDinersClub);
  EXPECT_EQ(DetectBrand("6200000000000005"), Brand::kUnionPay);
}

TEST(BrandTest, RangeBoundaries) {
  EXPECT_EQ(DetectBrand("2220990000000000"), Brand::kUnknown);
  EXPECT_EQ(DetectBrand("2221000000000000"), Brand::kMastercard);
  EXPECT_EQ(DetectBrand("2720990000000000"), Brand::kMastercard);
  EXPECT_EQ(DetectBrand("2721000000000000"), Brand::kUnknown);
  EXPECT_EQ(DetectBrand("5000000000000000"), Brand::kUnknown);
  EXPECT_EQ(DetectBrand("5100000000000000"), Brand::kMastercard);
  EXPECT_EQ(DetectBrand("5600000000000000"), Brand::kUnknown);
  EXPECT_EQ(DetectBrand("3400000000000000"), Brand::kAmex);
  EXPECT_EQ(DetectBrand("3500000000000000"), Brand::kUnknown);
  EXPECT_EQ(DetectBrand("3527000000000000"), Brand::kUnknown);
  EXPECT_EQ(DetectBrand("3528000000000000"), Brand::kJcb);
  EXPECT_EQ(DetectBrand("3589000000000000"), Brand::kJcb);
  EXPECT_EQ(DetectBrand("3590000000000000"), Brand::kUnknown);
  EXPECT_EQ(DetectBrand("3000000000000000"), Brand::kDinersClub);
  EXPECT_EQ(DetectBrand("3050000000000000"), Brand::kDinersClub);
  EXPECT_EQ(DetectBrand("3060000000000000"), Brand::kUnknown);
  EXPECT_EQ(DetectBrand("3800000000000000"), Brand::kDinersClub);
  EXPECT_EQ(DetectBrand("3900000000000000"), Brand::kDinersClub);
  EXPECT_EQ(DetectBrand("6430000000000000"), Brand::kUnknown);
  EXPECT_EQ(DetectBrand("6440000000000000"), Brand::kDiscover);
  EXPECT_EQ(DetectBrand("6490000000000000"), Brand::kDiscover);
  EXPECT_EQ(DetectBrand("6500000000000000"), Brand::kDiscover);
  EXPECT_EQ(DetectBrand("6010000000000000"), Brand::kUnknown);
  EXPECT_EQ(DetectBrand(""), Brand::kUnknown);
  EXPECT_EQ(DetectBrand("x111111111111111"), Brand::kUnknown);
}

TEST(BrandTest, Names) {
  EXPECT_EQ(BrandName(Brand::kVisa), "visa");
  EXPECT_EQ(BrandName(Brand::kMastercard), "mastercard");
  EXPECT_EQ(BrandName(Brand::kAmex), "amex");
  EXPECT_EQ(BrandName(Brand::kDiscover), "discover");
  EXPECT_EQ(BrandName(Brand::kJcb), "jcb");
  EXPECT_EQ(BrandName(Brand::kDinersClub), "diners");
  EXPECT_EQ(BrandName(Brand::kUnionPay), "unionpay");
  EXPECT_EQ(BrandName(Brand::kUnknown), "unknown");
}

TEST(ExpiryTest, ValidThroughLastMillisecondOfMonth) {
  FakeClock clock(kFeb1st2026 - 1);  // 2026-01-31T23:59:59.999Z
  EXPECT_TRUE(ValidateExpiry(1, 2026, clock).ok());
  clock.SetUnixMillis(kFeb1st2026);
  Status s = ValidateExpiry(1, 2026, clock);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "card is expired");
  EXPECT_TRUE(ValidateExpiry(2, 2026, clock).ok());
}

TEST(ExpiryTest, ExpiredYearsAgo) {
  FakeClock clock(kJan1st2026);
  EXPECT_EQ(ValidateExpiry(12, 2025, clock).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateExpiry(6, 2001, clock).code(), StatusCode::kInvalidArgument);
}

TEST(ExpiryTest, RejectsBadMonthAndYear) {
  FakeClock clock(kJan1st2026);
  EXPECT_EQ(ValidateExpiry(0, 2027, clock).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateExpiry(13, 2027, clock).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateExpiry(-1, 2027, clock).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateExpiry(1, 27, clock).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateExpiry(1, 1999, clock).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateExpiry(1, 2100, clock).code(), StatusCode::kInvalidArgument);
}

TEST(ExpiryTest, TwentyYearsAheadLimit) {
  FakeClock clock(kJan1st2026);
  EXPECT_TRUE(ValidateExpiry(1, 2046, clock).ok());
  Status s = ValidateExpiry(2, 2046, clock);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message(), "card is expired");
}

TEST(ExpiryTest, ExpiryEndAndExpiredBefore) {
  using std::chrono::sys_days;
  using namespace std::chrono_literals;
  EXPECT_EQ(ExpiryEnd(12, 2026), sys_days{2027y / 1 / 1});
  EXPECT_EQ(ExpiryEnd(1, 2026), TimePoint(milliseconds(kFeb1st2026)));
  EXPECT_EQ(ExpiryEnd(2, 2028), sys_days{2028y / 3 / 1});
  const TimePoint end = ExpiryEnd(1, 2026);
  EXPECT_FALSE(CardExpiredBefore(1, 2026, end - 1ms));
  EXPECT_TRUE(CardExpiredBefore(1, 2026, end));
  EXPECT_TRUE(CardExpiredBefore(1, 2026, end + 1ms));
  EXPECT_FALSE(CardExpiredBefore(2, 2026, end));
}

TEST(MaskPanTest, LengthsFollowTheRule) {
  EXPECT_EQ(MaskPan("4222222222222"), "4222*****2222");             // 13
  EXPECT_EQ(MaskPan("36227206271667"), "36227*****1667");           // 14
  EXPECT_EQ(MaskPan("378282246310005"), "378282*****0005");         // 15
  EXPECT_EQ(MaskPan("4111111111111111"), "411111******1111");       // 16
  EXPECT_EQ(MaskPan("4000000000000000006"), "400000*********0006");  // 19
}

TEST(MaskPanTest, NeverShowsMoreThanAllowed) {
  const std::string digits = "1234567890123456789";
  for (size_t len = kMinPanLength; len <= kMaxPanLength; ++len) {
    const std::string masked = MaskPan(digits.substr(0, len));
    ASSERT_EQ(masked.size(), len);
    const auto hidden = static_cast<size_t>(std::count(masked.begin(), masked.end(), '*'));
    EXPECT_GE(hidden, kMinMaskedDigits) << len;
    EXPECT_LE(len - hidden, 10u) << len;
    EXPECT_EQ(masked.substr(len - 4), digits.substr(len - 4, 4)) << len;
  }
}

TEST(MaskPanTest, ShortInputFullyMasked) {
  EXPECT_EQ(MaskPan(""), "");
  EXPECT_EQ(MaskPan("1234"), "****");
  EXPECT_EQ(MaskPan("411111111111"), "************");
}

TEST(BinTest, SixOrEightDigits) {
  EXPECT_EQ(Bin("4111111111111111"), "411111");
  EXPECT_EQ(Bin("4111111111111111", 6), "411111");
  EXPECT_EQ(Bin("4111111122223333", 8), "41111111");
  EXPECT_EQ(Bin("4000000000000000006", 8), "40000000");
  // PCI DSS: an 8-digit BIN only on PANs of 16 digits or more.
  EXPECT_EQ(Bin("378282246310005", 8), "378282");
  EXPECT_EQ(Bin("4111111111111111", 7), "411111");
  EXPECT_EQ(Bin("411111"), "");
}

TEST(Last4Test, LastFourDigits) {
  EXPECT_EQ(Last4("4111111111111111"), "1111");
  EXPECT_EQ(Last4("378282246310005"), "0005");
  EXPECT_EQ(Last4("0005"), "");
}

}  // namespace
}  // namespace kura::vault
