#include "vault/token_codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <set>
#include <string>

#include "core/base/random.h"
#include "vault/token.h"

namespace kura::vault {
namespace {

SecretBytes Key(char fill) { return SecretBytes::FromString(std::string(32, fill)); }

class FailingRandom final : public Random {
 public:
  Status Fill(std::span<uint8_t>) override { return InternalError("entropy source failed"); }
};

TEST(TokenCodecTest, MintedTokensCarryTheirIdAndLookRandom) {
  Result<TokenCodec> codec = TokenCodec::Create(Key('k'));
  ASSERT_TRUE(codec.ok()) << codec.status().ToString();
  SeededRandom random(7);
  for (int64_t id : {int64_t{1}, int64_t{2}, int64_t{1} << 40, std::numeric_limits<int64_t>::max()}) {
    Result<std::string> token = codec->Mint(id, random);
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    EXPECT_TRUE(LooksLikeRandomToken(*token)) << *token;
    EXPECT_EQ(codec->IdOf(*token), id);
    // The id is not visible in the token: consecutive ids share no prefix
    // beyond chance (checked below over many ids).
  }
  std::set<std::string> prefixes;
  for (int64_t id = 1; id <= 200; ++id) prefixes.insert(codec->Mint(id, random)->substr(0, 8));
  EXPECT_GT(prefixes.size(), 195u);  // 4 base32 chars: 2^20 values; collisions are rare
}

TEST(TokenCodecTest, SameIdGivesDifferentTokensThatAllResolve) {
  Result<TokenCodec> codec = TokenCodec::Create(Key('k'));
  ASSERT_TRUE(codec.ok());
  SeededRandom random(8);
  std::set<std::string> tokens;
  for (int i = 0; i < 50; ++i) {
    Result<std::string> token = codec->Mint(42, random);
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(codec->IdOf(*token), 42);
    tokens.insert(*token);
  }
  EXPECT_EQ(tokens.size(), 50u);
}

TEST(TokenCodecTest, AnotherKeyReadsAnotherId) {
  Result<TokenCodec> a = TokenCodec::Create(Key('a'));
  Result<TokenCodec> b = TokenCodec::Create(Key('b'));
  ASSERT_TRUE(a.ok() && b.ok());
  SeededRandom random(9);
  const std::string token = a->Mint(1234, random).value();
  EXPECT_NE(b->IdOf(token), 1234);
}

TEST(TokenCodecTest, NonTokensCarryNoId) {
  Result<TokenCodec> codec = TokenCodec::Create(Key('k'));
  ASSERT_TRUE(codec.ok());
  EXPECT_EQ(codec->IdOf(""), 0);
  EXPECT_EQ(codec->IdOf("4111111111111112"), 0);  // an FPT-shaped token
  EXPECT_EQ(codec->IdOf("tok_abc"), 0);
  EXPECT_EQ(codec->IdOf("tok_aaaaaaaaaaaaaaaaaaaaaaaaab"), 0);  // non-canonical last char
  // An id of 0 or with the top bit set is never minted, so never read back.
  const RandomTokenBytes zero{};
  Result<crypto::Aes256Block> block = crypto::Aes256Block::Create(Key('k'));
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(codec->IdOf(EncodeRandomToken(*block->Encrypt(zero))), 0);
  RandomTokenBytes top{};
  top[0] = 0x80;
  EXPECT_EQ(codec->IdOf(EncodeRandomToken(*block->Encrypt(top))), 0);
}

TEST(TokenCodecTest, RejectsBadIdsKeysAndAFailedRandom) {
  Result<TokenCodec> codec = TokenCodec::Create(Key('k'));
  ASSERT_TRUE(codec.ok());
  SeededRandom random(1);
  EXPECT_EQ(codec->Mint(0, random).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(codec->Mint(-5, random).status().code(), StatusCode::kInvalidArgument);
  FailingRandom failing;
  EXPECT_EQ(codec->Mint(5, failing).status().code(), StatusCode::kInternal);
  EXPECT_EQ(TokenCodec::Create(SecretBytes(16)).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::vault
