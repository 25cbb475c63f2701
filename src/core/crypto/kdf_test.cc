#include "core/crypto/kdf.h"

#include <gtest/gtest.h>

#include <string>

#include "core/crypto/encoding.h"

namespace kura::crypto {
namespace {

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string Hex(const SecretBytes& b) { return HexEncode(b.span()); }

// RFC 5869 appendix A.1 (basic test case with SHA-256).
TEST(HkdfSha256Test, MatchesRfc5869CaseOne) {
  const SecretBytes ikm = SecretBytes::FromString(Unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"));
  Result<SecretBytes> okm =
      HkdfSha256(ikm, Unhex("000102030405060708090a0b0c"), Unhex("f0f1f2f3f4f5f6f7f8f9"), 42);
  ASSERT_TRUE(okm.ok()) << okm.status().ToString();
  EXPECT_EQ(Hex(*okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

// RFC 5869 appendix A.3: no salt, no info.
TEST(HkdfSha256Test, MatchesRfc5869CaseThreeWithoutSaltAndInfo) {
  const SecretBytes ikm = SecretBytes::FromString(Unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"));
  Result<SecretBytes> okm = HkdfSha256(ikm, "", "", 42);
  ASSERT_TRUE(okm.ok()) << okm.status().ToString();
  EXPECT_EQ(Hex(*okm),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HkdfSha256Test, DifferentInfoGivesUnrelatedKeys) {
  const SecretBytes ikm = SecretBytes::FromString("an input key of some length......");
  Result<SecretBytes> a = HkdfSha256(ikm, "", "purpose a", 32);
  Result<SecretBytes> b = HkdfSha256(ikm, "", "purpose b", 32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(Hex(*a), Hex(*b));
}

TEST(HkdfSha256Test, RejectsEmptyKeyAndBadLengths) {
  EXPECT_EQ(HkdfSha256(SecretBytes(), "", "x", 32).status().code(), StatusCode::kInvalidArgument);
  const SecretBytes ikm = SecretBytes::FromString("key");
  EXPECT_EQ(HkdfSha256(ikm, "", "x", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HkdfSha256(ikm, "", "x", kMaxHkdfSha256Output + 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(HkdfSha256(ikm, "", "x", kMaxHkdfSha256Output).ok());
}

}  // namespace
}  // namespace kura::crypto
