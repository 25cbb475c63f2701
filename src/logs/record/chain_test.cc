#include "logs/record/chain.h"

#include <gtest/gtest.h>

namespace kura::logs {
namespace {

TEST(ChainTest, MatchesSha256OfPreviousLinkAndBytes) {
  // sha256(32 zero bytes || "abc"), computed independently with
  // hashlib.sha256(bytes(32) + b"abc") in Python.
  EXPECT_EQ(ChainHashHex(NextChainHash(kGenesisChainHash, "abc")),
            "365aa7d8f7f9402c4b9434502b4cc89ddb09fe50d7cd95b493b834c62d5a5370");
}

TEST(ChainTest, LargeRecordsHashTheSameAsTheStackPath) {
  std::string big(10'000, 'x');
  ChainHash a = NextChainHash(kGenesisChainHash, big);
  crypto::Sha256Hasher h;
  h.Update(std::span<const uint8_t>(kGenesisChainHash.data(), 32));
  h.Update(big);
  EXPECT_EQ(a, h.Finish());
}

TEST(ChainTest, ChainHasherGivesNextChainHashForEveryRecord) {
  ChainHasher hasher;  // one object, reused
  ChainHash a = kGenesisChainHash;
  ChainHash b = kGenesisChainHash;
  for (size_t n : {0, 1, 3, 55, 56, 64, 480, 5000, 0, 7}) {
    const std::string record(n, static_cast<char>('a' + n % 26));
    a = NextChainHash(a, record);
    b = hasher.Next(b, record);
    ASSERT_EQ(ChainHashHex(a), ChainHashHex(b)) << "record of " << n << " bytes";
  }
}

TEST(ChainTest, OrderAndContentChangeTheLink) {
  ChainHash ab = NextChainHash(NextChainHash(kGenesisChainHash, "a"), "b");
  ChainHash ba = NextChainHash(NextChainHash(kGenesisChainHash, "b"), "a");
  EXPECT_NE(ab, ba);
  EXPECT_NE(NextChainHash(kGenesisChainHash, "a"), NextChainHash(kGenesisChainHash, "A"));
}

TEST(ChainTest, HexRoundTripAndErrors) {
  ChainHash h = NextChainHash(kGenesisChainHash, "x");
  auto back = ChainHashFromHex(ChainHashHex(h));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, h);
  EXPECT_FALSE(ChainHashFromHex("abcd").ok());
  EXPECT_FALSE(ChainHashFromHex(std::string(64, 'g')).ok());
}

}  // namespace
}  // namespace kura::logs
