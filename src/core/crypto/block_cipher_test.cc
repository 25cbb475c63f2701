#include "core/crypto/block_cipher.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/crypto/encoding.h"

namespace kura::crypto {
namespace {

SecretBytes SequentialKey() {
  SecretBytes key(32);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  return key;
}

Block128 SequentialBlock() {
  Block128 b{};
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 0x11);
  return b;
}

// FIPS-197 appendix C.3 (AES-256).
TEST(Aes256BlockTest, MatchesFips197KnownAnswer) {
  Result<Aes256Block> aes = Aes256Block::Create(SequentialKey());
  ASSERT_TRUE(aes.ok()) << aes.status().ToString();
  Result<Block128> ct = aes->Encrypt(SequentialBlock());
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(HexEncode(*ct), "8ea2b7ca516745bfeafc49904b496089");
  Result<Block128> pt = aes->Decrypt(*ct);
  ASSERT_TRUE(pt.ok());
  EXPECT_EQ(*pt, SequentialBlock());
}

TEST(Aes256BlockTest, RejectsKeysThatAreNot32Bytes) {
  EXPECT_EQ(Aes256Block::Create(SecretBytes(16)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Aes256Block::Create(SecretBytes()).status().code(), StatusCode::kInvalidArgument);
}

TEST(Aes256BlockTest, ConcurrentCallsAgree) {
  Result<Aes256Block> aes = Aes256Block::Create(SequentialKey());
  ASSERT_TRUE(aes.ok());
  const Block128 expected = *aes->Encrypt(SequentialBlock());
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        Result<Block128> ct = aes->Encrypt(SequentialBlock());
        if (!ct.ok() || *ct != expected) ++mismatches[t];
        Result<Block128> pt = aes->Decrypt(expected);
        if (!pt.ok() || *pt != SequentialBlock()) ++mismatches[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace kura::crypto
