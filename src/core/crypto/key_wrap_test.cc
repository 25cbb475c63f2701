#include "core/crypto/key_wrap.h"

#include <gtest/gtest.h>

#include <string>

#include "core/crypto/encoding.h"

namespace kura::crypto {
namespace {

SecretBytes FromHex(std::string_view hex) {
  auto bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.ok());
  return SecretBytes::FromString(bytes.value_or(""));
}

std::string Hex(std::string_view s) { return HexEncode(s); }

constexpr std::string_view kKekHex =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

// RFC 5649 section 6 only gives AES-192 KEK vectors; our API is AES-256 only.
// These AES-256 vectors were derived with the OpenSSL CLI, after checking the
// same command reproduces the RFC 5649 AES-192 vector (20-byte key ->
// 138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a):
//   printf '<key bytes>' | openssl enc -id-aes256-wrap-pad -K <kKekHex>
//       -iv A65959A6 | xxd -p -c64   (one command line)
struct Vector {
  std::string_view key_hex;
  std::string_view wrapped_hex;
};
constexpr Vector kVectors[] = {
    // 32-byte key (a DEK), no padding needed.
    {"00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f",
     "4a8029243027353b0694cf1bd8fc745bb0ce8a739b19b1960b12426d4c39cfeda926d103ab34e9f6"},
    // The RFC 5649 20-byte key, padded to 24.
    {"c37b7e6492584340bed12207808941155068f738",
     "29b7fa191c2165684374eee9f74595e2a42bace75c425b3053efa26ffe1bb32f"},
    // The RFC 5649 7-byte key: the single-block (n == 1) special case.
    {"466f7250617369", "443b17837bb39348610d19202df8a1f9"},
};

TEST(KeyWrapTest, KnownAnswerVectors) {
  const SecretBytes kek = FromHex(kKekHex);
  for (const Vector& v : kVectors) {
    auto wrapped = WrapKey(kek, FromHex(v.key_hex));
    ASSERT_TRUE(wrapped.ok()) << wrapped.status().ToString();
    EXPECT_EQ(Hex(*wrapped), v.wrapped_hex);
    auto unwrapped = UnwrapKey(kek, *HexDecode(v.wrapped_hex));
    ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().ToString();
    EXPECT_EQ(Hex(unwrapped->view()), v.key_hex);
  }
}

TEST(KeyWrapTest, RoundTripAllSmallSizes) {
  const SecretBytes kek = FromHex(kKekHex);
  for (size_t n = 1; n <= 70; ++n) {
    SecretBytes key(n);
    for (size_t i = 0; i < n; ++i) key[i] = static_cast<uint8_t>(i * 7 + n);
    auto wrapped = WrapKey(kek, key);
    ASSERT_TRUE(wrapped.ok()) << n;
    EXPECT_EQ(wrapped->size(), (n + 7) / 8 * 8 + 8) << n;
    auto unwrapped = UnwrapKey(kek, *wrapped);
    ASSERT_TRUE(unwrapped.ok()) << n;
    EXPECT_EQ(unwrapped->view(), key.view()) << n;
  }
}

TEST(KeyWrapTest, TamperIsDataLoss) {
  const SecretBytes kek = FromHex(kKekHex);
  const std::string wrapped = *HexDecode(kVectors[0].wrapped_hex);
  for (size_t i = 0; i < wrapped.size(); ++i) {
    std::string bad = wrapped;
    bad[i] = static_cast<char>(bad[i] ^ 0x80);
    EXPECT_EQ(UnwrapKey(kek, bad).status().code(), StatusCode::kDataLoss) << "byte " << i;
  }
  // The single-block form takes a different code path in RFC 5649.
  std::string small = *HexDecode(kVectors[2].wrapped_hex);
  small[15] = static_cast<char>(small[15] ^ 1);
  EXPECT_EQ(UnwrapKey(kek, small).status().code(), StatusCode::kDataLoss);
}

TEST(KeyWrapTest, WrongKekIsDataLoss) {
  const SecretBytes kek = FromHex(kKekHex);
  SecretBytes other = kek.Clone();
  other[0] ^= 1;
  auto wrapped = WrapKey(kek, FromHex(kVectors[0].key_hex));
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(UnwrapKey(other, *wrapped).status().code(), StatusCode::kDataLoss);
}

TEST(KeyWrapTest, BadArgumentsAreInvalidArgument) {
  const SecretBytes kek = FromHex(kKekHex);
  const SecretBytes key = FromHex(kVectors[0].key_hex);
  EXPECT_EQ(WrapKey(SecretBytes(16), key).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WrapKey(SecretBytes(24), key).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WrapKey(kek, SecretBytes()).status().code(), StatusCode::kInvalidArgument);
  const std::string wrapped = *HexDecode(kVectors[0].wrapped_hex);
  EXPECT_EQ(UnwrapKey(SecretBytes(16), wrapped).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UnwrapKey(kek, "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UnwrapKey(kek, std::string(8, 'x')).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UnwrapKey(kek, wrapped.substr(0, wrapped.size() - 1)).status().code(),
            StatusCode::kInvalidArgument);
}

// Expected value derived offline with the OpenSSL CLI:
//   head -c16 /dev/zero | openssl enc -aes-256-ecb -nopad -K <kKekHex> | xxd -p
//   -> f29000b62a499fd0a9f39a6add2e7780; the KCV is the first 3 bytes.
TEST(KeyCheckValueTest, KnownKey) {
  auto kcv = KeyCheckValue(FromHex(kKekHex));
  ASSERT_TRUE(kcv.ok());
  EXPECT_EQ(*kcv, "f29000");
}

// AES-256 of a zero block under the zero key is the well-known
// dc95c078a2408989ad48a21492842087 (FIPS-197 style KAT, also via the CLI).
TEST(KeyCheckValueTest, ZeroKey) {
  auto kcv = KeyCheckValue(SecretBytes(32));
  ASSERT_TRUE(kcv.ok());
  EXPECT_EQ(*kcv, "dc95c0");
}

TEST(KeyCheckValueTest, WrongSizeIsInvalidArgument) {
  EXPECT_EQ(KeyCheckValue(SecretBytes(16)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(KeyCheckValue(SecretBytes()).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::crypto
