#include "core/crypto/hash.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/crypto/encoding.h"

namespace kura::crypto {
namespace {

std::string Hex(const Digest256& d) { return HexEncode(std::span<const uint8_t>(d)); }

// FIPS 180-2 appendix B.1.
TEST(Sha256Test, Abc) {
  EXPECT_EQ(Hex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, Empty) {
  EXPECT_EQ(Hex(Sha256(std::string_view())),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// FIPS 180-2 appendix B.3: one million 'a', fed in uneven chunks.
TEST(Sha256HasherTest, MillionAInChunks) {
  Sha256Hasher hasher;
  const std::string chunk(997, 'a');
  size_t fed = 0;
  while (fed + chunk.size() <= 1000000) {
    hasher.Update(chunk);
    fed += chunk.size();
  }
  hasher.Update(std::string(1000000 - fed, 'a'));
  EXPECT_EQ(Hex(hasher.Finish()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256HasherTest, MatchesOneShot) {
  Sha256Hasher hasher;
  hasher.Update("a");
  hasher.Update("");
  hasher.Update("bc");
  EXPECT_EQ(hasher.Finish(), Sha256("abc"));
}

// RFC 4231 test case 2.
TEST(HmacSha256Test, Rfc4231Case2) {
  const SecretBytes key = SecretBytes::FromString("Jefe");
  EXPECT_EQ(Hex(HmacSha256(key, "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// RFC 4231 test case 6: a key longer than the block size is hashed first.
TEST(HmacSha256Test, Rfc4231Case6LongKey) {
  const SecretBytes key(std::span<const uint8_t>(std::vector<uint8_t>(131, 0xaa)));
  EXPECT_EQ(Hex(HmacSha256(key, "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256Test, KeyedContextMatchesTheOneShotFunctionOverManyMessages) {
  const SecretBytes key = SecretBytes::FromString("a fingerprint key of 32 bytes!!!");
  HmacSha256Keyed keyed(key);
  std::string message;
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(keyed.Mac(message), HmacSha256(key, message)) << "message length " << i;
    message.push_back(static_cast<char>('0' + i % 10));
  }
  HmacSha256Keyed empty_key{SecretBytes()};
  EXPECT_EQ(empty_key.Mac("x"), HmacSha256(SecretBytes(), "x"));
}

TEST(HmacSha256Test, CloneComputesTheSameMacsIndependentlyOfItsOrigin) {
  const SecretBytes key = SecretBytes::FromString("a fingerprint key of 32 bytes!!!");
  std::unique_ptr<HmacSha256Keyed> grandchild;
  {
    HmacSha256Keyed original(key);
    // Clone after the original has been used, then interleave: neither
    // context may disturb the other's state (the key pads are copied).
    EXPECT_EQ(original.Mac("first"), HmacSha256(key, "first"));
    const std::unique_ptr<HmacSha256Keyed> clone = original.Clone();
    ASSERT_NE(clone, nullptr);
    EXPECT_EQ(clone->Mac("4111111111111111"), HmacSha256(key, "4111111111111111"));
    EXPECT_EQ(original.Mac("second"), HmacSha256(key, "second"));
    EXPECT_EQ(clone->Mac(""), HmacSha256(key, ""));
    grandchild = clone->Clone();
  }
  // A clone of a clone outlives both.
  EXPECT_EQ(grandchild->Mac("third"), HmacSha256(key, "third"));
  EXPECT_NE(grandchild->Mac("third"), HmacSha256(SecretBytes::FromString("other"), "third"));
}

TEST(HmacSha256Test, EmptyKeyIsAllowedAndDiffersFromNonEmpty) {
  const SecretBytes empty;
  const SecretBytes one = SecretBytes::FromString("k");
  // HMAC-SHA-256("", "") is a well-known value.
  EXPECT_EQ(Hex(HmacSha256(empty, "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_NE(HmacSha256(empty, "x"), HmacSha256(one, "x"));
}

}  // namespace
}  // namespace kura::crypto
