#include "vault/token.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <set>
#include <string>

#include "core/base/random.h"
#include "core/pan/luhn.h"

namespace kura::vault {
namespace {

// Fills with 0, 1, 2, ... (repeating the same sequence on every call).
class CountingRandom final : public Random {
 public:
  Status Fill(std::span<uint8_t> out) override {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i);
    return OkStatus();
  }
};

class ConstantRandom final : public Random {
 public:
  explicit ConstantRandom(uint8_t value) : value_(value) {}
  Status Fill(std::span<uint8_t> out) override {
    for (auto& b : out) b = value_;
    return OkStatus();
  }

 private:
  uint8_t value_;
};

class FailingRandom final : public Random {
 public:
  Status Fill(std::span<uint8_t>) override { return InternalError("entropy source failed"); }
};

TEST(RandomTokenTest, KnownEncoding) {
  CountingRandom counting;
  Result<std::string> t = GenerateRandomToken(counting);
  ASSERT_TRUE(t.ok());
  // base32(00 01 02 ... 0f), RFC 4648 alphabet in lower case, no padding.
  EXPECT_EQ(*t, "tok_aaaqeayeaudaocajbifqydiob4");

  ConstantRandom ones(0xff);
  t = GenerateRandomToken(ones);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "tok_77777777777777777777777774");
}

TEST(RandomTokenTest, FormatAndUniqueness) {
  OsRandom random;
  std::set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) {
    Result<std::string> t = GenerateRandomToken(random);
    ASSERT_TRUE(t.ok());
    ASSERT_EQ(t->size(), 30u);
    ASSERT_TRUE(LooksLikeRandomToken(*t)) << *t;
    seen.insert(*t);
  }
  EXPECT_EQ(seen.size(), 10'000u);
}

TEST(RandomTokenTest, CharactersAreUniform) {
  // Deterministic (seeded) so the bounds cannot flake: every body position
  // but the last takes each of the 32 symbols about 10000/32 = 312 times.
  SeededRandom random(42);
  std::array<std::array<int, 32>, kRandomTokenChars - 1> counts{};
  const std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  for (int i = 0; i < 10'000; ++i) {
    Result<std::string> t = GenerateRandomToken(random);
    ASSERT_TRUE(t.ok());
    for (size_t p = 0; p + 1 < kRandomTokenChars; ++p) {
      ++counts[p][alphabet.find((*t)[4 + p])];
    }
  }
  for (const auto& position : counts) {
    for (int c : position) {
      EXPECT_GT(c, 220);
      EXPECT_LT(c, 410);
    }
  }
}

TEST(RandomTokenTest, GeneratorFailureIsPropagated) {
  FailingRandom failing;
  Result<std::string> t = GenerateRandomToken(failing);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInternal);
}

TEST(RandomTokenTest, LooksLikeRejectsOtherShapes) {
  const std::string good = "tok_aaaqeayeaudaocajbifqydiob4";
  ASSERT_TRUE(LooksLikeRandomToken(good));
  EXPECT_FALSE(LooksLikeRandomToken(""));
  EXPECT_FALSE(LooksLikeRandomToken("tok_"));
  EXPECT_FALSE(LooksLikeRandomToken("tik_aaaqeayeaudaocajbifqydiob4"));
  EXPECT_FALSE(LooksLikeRandomToken("TOK_aaaqeayeaudaocajbifqydiob4"));
  EXPECT_FALSE(LooksLikeRandomToken("tok_AAAQEAYEAUDAOCAJBIFQYDIOB4"));
  EXPECT_FALSE(LooksLikeRandomToken(good.substr(0, 29)));
  EXPECT_FALSE(LooksLikeRandomToken(good + "a"));
  EXPECT_FALSE(LooksLikeRandomToken("tok_aaaqeayeaudaocajbifqydio14"));  // '1' not base32
  EXPECT_FALSE(LooksLikeRandomToken("tok_aaaqeayeaudaocajbifqydio84"));  // '8' not base32
  EXPECT_FALSE(LooksLikeRandomToken("tok_aaaqeayeaudaocajbifqydiob5"));  // padding bits set
  EXPECT_FALSE(LooksLikeRandomToken("4111111111111111"));
}

TEST(FptTokenTest, PropertiesOverManySamples) {
  SeededRandom random(7);
  const std::string pan = "4111111111111111";
  std::set<std::string> seen;
  std::array<int, 10> last_random_digit{};
  for (int i = 0; i < 10'000; ++i) {
    Result<std::string> t = GenerateFptToken(pan, /*keep_bin=*/true, 6, random);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    ASSERT_EQ(t->size(), pan.size());
    ASSERT_EQ(t->find_first_not_of("0123456789"), std::string::npos);
    ASSERT_EQ(t->substr(0, 6), "411111");
    ASSERT_EQ(t->substr(12), "1111");
    ASSERT_FALSE(pan::LuhnValid(*t)) << *t;
    ASSERT_NE(*t, pan);
    ASSERT_TRUE(LooksLikeFptToken(*t));
    ++last_random_digit[(*t)[11] - '0'];
    seen.insert(*t);
  }
  // 6 random digits: 900,000 Luhn-invalid candidates, so 10k draws are
  // almost all distinct (expected ~55 collisions).
  EXPECT_GT(seen.size(), 9'800u);
  // The Luhn fix-up draws from the nine allowed digits, so every value still
  // occurs at the last random position (~1000 times each).
  for (int c : last_random_digit) {
    EXPECT_GT(c, 800);
    EXPECT_LT(c, 1200);
  }
}

TEST(FptTokenTest, WithoutBinOnlyLastFourKept) {
  SeededRandom random(11);
  const std::string pan = "378282246310005";
  int prefix_kept = 0;
  for (int i = 0; i < 1'000; ++i) {
    Result<std::string> t = GenerateFptToken(pan, /*keep_bin=*/false, 6, random);
    ASSERT_TRUE(t.ok());
    ASSERT_EQ(t->size(), 15u);
    ASSERT_EQ(t->substr(11), "0005");
    ASSERT_FALSE(pan::LuhnValid(*t));
    if (t->substr(0, 6) == "378282") ++prefix_kept;
  }
  EXPECT_LT(prefix_kept, 3);
}

TEST(FptTokenTest, EightDigitBin) {
  SeededRandom random(3);
  Result<std::string> t = GenerateFptToken("4111111122223333", true, 8, random);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->substr(0, 8), "41111111");
  EXPECT_EQ(t->substr(12), "3333");
  EXPECT_FALSE(pan::LuhnValid(*t));
}

TEST(FptTokenTest, MinimumRandomDigits) {
  SeededRandom random(5);
  // 13 digits, BIN 6: exactly 3 random digits, allowed.
  Result<std::string> t = GenerateFptToken("4222222222222", true, 6, random);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->substr(0, 6), "422222");
  EXPECT_FALSE(pan::LuhnValid(*t));
  // 13 digits, BIN 8: 1 random digit, refused.
  t = GenerateFptToken("4222222222222", true, 8, random);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message().find("4222"), std::string::npos);
  // 14 digits, BIN 8: 2 random digits, refused; without the BIN it works.
  EXPECT_EQ(GenerateFptToken("36227206271667", true, 8, random).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(GenerateFptToken("36227206271667", false, 8, random).ok());
}

TEST(FptTokenTest, RejectsBadInput) {
  SeededRandom random(1);
  EXPECT_EQ(GenerateFptToken("4111111111111111", true, 7, random).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateFptToken("4111-1111-1111-1111", false, 6, random).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateFptToken("411111111111", false, 6, random).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateFptToken("41111111111111111113", false, 6, random).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(GenerateFptToken("", false, 6, random).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(FptTokenTest, GeneratorFailureIsPropagated) {
  FailingRandom failing;
  Result<std::string> t = GenerateFptToken("4111111111111111", true, 6, failing);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInternal);
}

TEST(FptTokenTest, LooksLikeFptToken) {
  EXPECT_FALSE(LooksLikeFptToken("4111111111111111"));  // a real (Luhn-valid) PAN
  EXPECT_TRUE(LooksLikeFptToken("4111111111111112"));
  EXPECT_FALSE(LooksLikeFptToken("411111111112"));      // 12 digits
  EXPECT_FALSE(LooksLikeFptToken("41111111111111111112"));  // 20 digits
  EXPECT_FALSE(LooksLikeFptToken("411111111111111a"));
  EXPECT_FALSE(LooksLikeFptToken("tok_aaaqeayeaudaocajbifqydiob4"));
}

TEST(RandomTokenTest, EncodeAndDecodeRoundTrip) {
  SeededRandom random(3);
  for (int i = 0; i < 100; ++i) {
    RandomTokenBytes bytes{};
    ASSERT_TRUE(random.Fill(bytes).ok());
    const std::string token = EncodeRandomToken(bytes);
    EXPECT_TRUE(LooksLikeRandomToken(token));
    const std::optional<RandomTokenBytes> back = DecodeRandomToken(token);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, bytes);
  }
  EXPECT_FALSE(DecodeRandomToken("tok_short").has_value());
  EXPECT_FALSE(DecodeRandomToken("4111111111111112").has_value());
}

}  // namespace
}  // namespace kura::vault
