#include "core/crypto/encoding.h"

#include <gtest/gtest.h>

#include <string>

namespace kura::crypto {
namespace {

std::span<const uint8_t> B(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(HexTest, EncodeLowerCase) {
  EXPECT_EQ(HexEncode(std::string_view("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(HexEncode(std::string_view()), "");
}

TEST(HexTest, DecodeAcceptsBothCases) {
  auto lower = HexDecode("0001abff");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(*lower, std::string("\x00\x01\xab\xff", 4));
  auto upper = HexDecode("0001ABFF");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(*upper, *lower);
  auto empty = HexDecode("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

TEST(HexTest, DecodeRejectsOddLength) {
  EXPECT_EQ(HexDecode("abc").status().code(), StatusCode::kInvalidArgument);
}

TEST(HexTest, DecodeRejectsNonHexWithoutEchoingInput) {
  auto r = HexDecode("00zz");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message().find("zz"), std::string::npos);
  EXPECT_EQ(HexDecode("0 ").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HexDecode("0x").status().code(), StatusCode::kInvalidArgument);
}

// RFC 4648 section 10.
TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> kVectors[] = {
      {"", ""},         {"f", "Zg=="},     {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : kVectors) {
    EXPECT_EQ(Base64Encode(B(plain)), encoded);
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64Test, DecodeRejectsMalformed) {
  for (std::string_view bad : {"Zg", "Zg=", "Z===", "====", "Zm9v=", "Zm 9v", "Zm9-", "Zm9_",
                               "Zh==", "Zg=A"}) {
    EXPECT_EQ(Base64Decode(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(Base64UrlTest, RoundTripWithoutPadding) {
  const std::pair<std::string_view, std::string_view> kVectors[] = {
      {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"},
      {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : kVectors) {
    EXPECT_EQ(Base64UrlEncode(plain), encoded);
    auto decoded = Base64UrlDecode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64UrlTest, UsesUrlAlphabet) {
  const std::string_view bytes("\xfb\xff", 2);
  EXPECT_EQ(Base64UrlEncode(bytes), "-_8");
  EXPECT_EQ(Base64Encode(B(bytes)), "+/8=");
  auto decoded = Base64UrlDecode("-_8");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, bytes);
}

TEST(Base64UrlTest, RejectsPadding) {
  EXPECT_EQ(Base64UrlDecode("Zg==").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Base64UrlDecode("Zm8=").status().code(), StatusCode::kInvalidArgument);
}

TEST(Base64UrlTest, RejectsStandardAlphabetCharacters) {
  EXPECT_EQ(Base64UrlDecode("+_8").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Base64UrlDecode("-/8").status().code(), StatusCode::kInvalidArgument);
}

TEST(Base64UrlTest, RejectsWhitespace) {
  EXPECT_EQ(Base64UrlDecode("Zm9v ").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Base64UrlDecode("Zm\n9v").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Base64UrlDecode("\tZm9v").status().code(), StatusCode::kInvalidArgument);
}

TEST(Base64UrlTest, RejectsNonCanonicalTrailingBits) {
  // "Zg" is canonical for "f"; "Zh".."Zv" carry non-zero unused bits.
  EXPECT_TRUE(Base64UrlDecode("Zg").ok());
  EXPECT_EQ(Base64UrlDecode("Zh").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Base64UrlDecode("Zm9").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Base64UrlDecode("Zm8").ok());
}

TEST(Base64UrlTest, RejectsImpossibleLength) {
  EXPECT_EQ(Base64UrlDecode("Z").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Base64UrlDecode("Zm9vY").status().code(), StatusCode::kInvalidArgument);
}

TEST(Base64UrlTest, RejectsNulAndHighBytes) {
  EXPECT_EQ(Base64UrlDecode(std::string_view("Zm\0v", 4)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Base64UrlDecode("Zm\xc3\xa9").status().code(), StatusCode::kInvalidArgument);
}

TEST(Base64UrlTest, AllByteValuesRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  auto decoded = Base64UrlDecode(Base64UrlEncode(all));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, all);
  auto std_decoded = Base64Decode(Base64Encode(B(all)));
  ASSERT_TRUE(std_decoded.ok());
  EXPECT_EQ(*std_decoded, all);
}

}  // namespace
}  // namespace kura::crypto
