#include "core/crypto/aead.h"

#include <gtest/gtest.h>

#include <string>

namespace kura::crypto {
namespace {

SecretBytes MakeKey(uint8_t seed) {
  SecretBytes key(kAes256KeySize);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(seed + i);
  return key;
}

class FailingRandom final : public Random {
 public:
  Status Fill(std::span<uint8_t> /*out*/) override { return InternalError("no entropy"); }
};

TEST(AesGcmTest, RoundTrip) {
  OsRandom random;
  const SecretBytes key = MakeKey(1);
  auto sealed = AesGcmSeal(key, random, "4111111111111111", "token:abc|v1");
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_EQ(sealed->size(), kGcmNonceSize + 16 + kGcmTagSize);
  EXPECT_EQ(sealed->find("4111111111111111"), std::string::npos);
  auto opened = AesGcmOpen(key, *sealed, "token:abc|v1");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->view(), "4111111111111111");
}

TEST(AesGcmTest, EmptyPlaintextAndAad) {
  OsRandom random;
  const SecretBytes key = MakeKey(2);
  auto sealed = AesGcmSeal(key, random, "", "");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), kGcmNonceSize + kGcmTagSize);
  auto opened = AesGcmOpen(key, *sealed, "");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(opened->empty());
  // Even with nothing to decrypt, the tag still authenticates the AAD.
  EXPECT_EQ(AesGcmOpen(key, *sealed, "x").status().code(), StatusCode::kDataLoss);
}

TEST(AesGcmTest, SealerOutputOpensAndUsesAFreshNonceEachTime) {
  OsRandom random;
  const SecretBytes key = MakeKey(3);
  Result<AesGcmSealer> sealer = AesGcmSealer::Create(key);
  ASSERT_TRUE(sealer.ok()) << sealer.status().ToString();
  std::string previous;
  for (int i = 0; i < 50; ++i) {
    const std::string plain = "card " + std::to_string(i);
    const std::string aad = "aad " + std::to_string(i);
    Result<std::string> sealed = sealer->Seal(random, plain, aad);
    ASSERT_TRUE(sealed.ok());
    Result<SecretBytes> opened = AesGcmOpen(key, *sealed, aad);
    ASSERT_TRUE(opened.ok()) << i;
    EXPECT_EQ(opened->view(), plain);
    EXPECT_EQ(AesGcmOpen(key, *sealed, "other aad").status().code(), StatusCode::kDataLoss);
    EXPECT_NE(sealed->substr(0, kGcmNonceSize), previous.substr(0, kGcmNonceSize));
    previous = *sealed;
  }
  EXPECT_TRUE(sealer->Seal(random, "", "").ok());
  EXPECT_EQ(AesGcmSealer::Create(SecretBytes(16)).status().code(), StatusCode::kInvalidArgument);
  FailingRandom failing;
  EXPECT_EQ(sealer->Seal(failing, "x", "").status().code(), StatusCode::kInternal);
}

TEST(AesGcmTest, OpenerOpensManyAndRecoversFromAFailedOpen) {
  OsRandom random;
  const SecretBytes key = MakeKey(4);
  Result<AesGcmOpener> opener = AesGcmOpener::Create(key);
  ASSERT_TRUE(opener.ok()) << opener.status().ToString();
  for (int i = 0; i < 20; ++i) {
    const std::string plain = "card " + std::to_string(i);
    const std::string aad = "aad " + std::to_string(i);
    Result<std::string> sealed = AesGcmSeal(key, random, plain, aad);
    ASSERT_TRUE(sealed.ok());
    // A failed authentication leaves the opener usable for the next input.
    EXPECT_EQ(opener->Open(*sealed, "other aad").status().code(), StatusCode::kDataLoss);
    std::string tampered = *sealed;
    tampered[kGcmNonceSize] ^= 1;
    EXPECT_EQ(opener->Open(tampered, aad).status().code(), StatusCode::kDataLoss);
    Result<SecretBytes> opened = opener->Open(*sealed, aad);
    ASSERT_TRUE(opened.ok()) << i << " " << opened.status().ToString();
    EXPECT_EQ(opened->view(), plain);
  }
  Result<std::string> empty = AesGcmSeal(key, random, "", "");
  ASSERT_TRUE(empty.ok());
  Result<SecretBytes> opened_empty = opener->Open(*empty, "");
  ASSERT_TRUE(opened_empty.ok());
  EXPECT_TRUE(opened_empty->empty());
  EXPECT_EQ(opener->Open("short", "").status().code(), StatusCode::kInvalidArgument);
  Result<std::string> other_key = AesGcmSeal(MakeKey(5), random, "x", "");
  ASSERT_TRUE(other_key.ok());
  EXPECT_EQ(opener->Open(*other_key, "").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(AesGcmOpener::Create(SecretBytes(16)).status().code(), StatusCode::kInvalidArgument);
}

TEST(AesGcmTest, NonceIsFreshForEachSeal) {
  OsRandom random;
  const SecretBytes key = MakeKey(3);
  auto a = AesGcmSeal(key, random, "same plaintext", "aad");
  auto b = AesGcmSeal(key, random, "same plaintext", "aad");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_NE(a->substr(0, kGcmNonceSize), b->substr(0, kGcmNonceSize));
}

TEST(AesGcmTest, NonceComesFromInjectedRandom) {
  SeededRandom r1(42);
  SeededRandom r2(42);
  const SecretBytes key = MakeKey(4);
  auto a = AesGcmSeal(key, r1, "p", "");
  auto b = AesGcmSeal(key, r2, "p", "");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(AesGcmTest, TamperedCiphertextIsDataLoss) {
  OsRandom random;
  const SecretBytes key = MakeKey(5);
  auto sealed = AesGcmSeal(key, random, "secret value", "aad");
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string bad = *sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto opened = AesGcmOpen(key, bad, "aad");
    EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss) << "byte " << i;
  }
}

TEST(AesGcmTest, TruncatedOrExtendedIsRejected) {
  OsRandom random;
  const SecretBytes key = MakeKey(6);
  auto sealed = AesGcmSeal(key, random, "secret value", "aad");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(AesGcmOpen(key, sealed->substr(0, sealed->size() - 1), "aad").status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(AesGcmOpen(key, *sealed + "x", "aad").status().code(), StatusCode::kDataLoss);
}

TEST(AesGcmTest, WrongAadIsDataLoss) {
  OsRandom random;
  const SecretBytes key = MakeKey(7);
  auto sealed = AesGcmSeal(key, random, "secret value", "token:a");
  ASSERT_TRUE(sealed.ok());
  auto opened = AesGcmOpen(key, *sealed, "token:b");
  EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(opened.status().message().find("secret value"), std::string::npos);
  EXPECT_EQ(AesGcmOpen(key, *sealed, "").status().code(), StatusCode::kDataLoss);
}

TEST(AesGcmTest, WrongKeyIsDataLoss) {
  OsRandom random;
  auto sealed = AesGcmSeal(MakeKey(8), random, "secret value", "aad");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(AesGcmOpen(MakeKey(9), *sealed, "aad").status().code(), StatusCode::kDataLoss);
}

TEST(AesGcmTest, BadKeySizeIsInvalidArgument) {
  OsRandom random;
  const SecretBytes short_key(16);
  const SecretBytes long_key(33);
  EXPECT_EQ(AesGcmSeal(short_key, random, "p", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AesGcmSeal(long_key, random, "p", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AesGcmOpen(short_key, std::string(40, 'x'), "").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(AesGcmTest, TooShortInputIsInvalidArgument) {
  const SecretBytes key = MakeKey(10);
  EXPECT_EQ(AesGcmOpen(key, "", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AesGcmOpen(key, std::string(kGcmNonceSize + kGcmTagSize - 1, 'x'), "").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(AesGcmTest, RandomFailureIsInternal) {
  FailingRandom random;
  EXPECT_EQ(AesGcmSeal(MakeKey(11), random, "p", "").status().code(), StatusCode::kInternal);
}

// NIST GCM test case 14 (AES-256, zero key, zero 96-bit IV, one zero block):
// checks our framing nonce || ciphertext || tag against an external vector.
TEST(AesGcmTest, NistTestCase14) {
  class ZeroRandom final : public Random {
   public:
    Status Fill(std::span<uint8_t> out) override {
      for (auto& b : out) b = 0;
      return OkStatus();
    }
  } zero;
  const SecretBytes key(kAes256KeySize);
  auto sealed = AesGcmSeal(key, zero, std::string(16, '\0'), "");
  ASSERT_TRUE(sealed.ok());
  const std::string expected_ct = "\xce\xa7\x40\x3d\x4d\x60\x6b\x6e\x07\x4e\xc5\xd3\xba\xf3\x9d\x18";
  const std::string expected_tag = "\xd0\xd1\xc8\xa7\x99\x99\x6b\xf0\x26\x5b\x98\xb5\xd4\x8a\xb9\x19";
  EXPECT_EQ(*sealed, std::string(kGcmNonceSize, '\0') + expected_ct + expected_tag);
}

}  // namespace
}  // namespace kura::crypto
