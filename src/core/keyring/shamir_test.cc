#include "core/keyring/shamir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>

namespace kura::keyring {
namespace {

// Fills every byte with one value, so the polynomial is known in advance.
class ConstantRandom final : public Random {
 public:
  explicit ConstantRandom(uint8_t v) : v_(v) {}
  Status Fill(std::span<uint8_t> out) override {
    std::fill(out.begin(), out.end(), v_);
    return OkStatus();
  }

 private:
  uint8_t v_;
};

class FailingRandom final : public Random {
 public:
  Status Fill(std::span<uint8_t>) override { return InternalError("rng down"); }
};

SecretBytes TestSecret() {
  SecretBytes s(32);
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(i * 7 + 3);
  return s;
}

bool Same(const SecretBytes& a, const SecretBytes& b) { return a.view() == b.view(); }

// All subsets of `n` indices with exactly `k` members, as bitmasks.
std::vector<unsigned> Subsets(int n, int k) {
  std::vector<unsigned> out;
  for (unsigned m = 0; m < (1u << n); ++m) {
    if (std::popcount(m) == k) out.push_back(m);
  }
  return out;
}

std::vector<const Share*> Pick(const std::vector<Share>& shares, unsigned mask) {
  std::vector<const Share*> out;
  for (size_t i = 0; i < shares.size(); ++i) {
    if (mask & (1u << i)) out.push_back(&shares[i]);
  }
  return out;
}

TEST(ShamirTest, EveryThreeOfFiveSubsetRecombines) {
  SeededRandom random(42);
  const SecretBytes secret = TestSecret();
  auto shares = SplitSecret(secret, 5, 3, random);
  ASSERT_TRUE(shares.ok()) << shares.status().ToString();
  ASSERT_EQ(shares->size(), 5u);
  for (size_t i = 0; i < shares->size(); ++i) {
    EXPECT_EQ((*shares)[i].x, i + 1);
    EXPECT_EQ((*shares)[i].y.size(), secret.size());
    EXPECT_FALSE(Same((*shares)[i].y, secret));
  }
  const auto subsets = Subsets(5, 3);
  ASSERT_EQ(subsets.size(), 10u);
  for (unsigned mask : subsets) {
    auto combined = CombineShares(Pick(*shares, mask));
    ASSERT_TRUE(combined.ok()) << combined.status().ToString();
    EXPECT_TRUE(Same(*combined, secret)) << "subset mask " << mask;
  }
  // More shares than the threshold also work.
  for (unsigned mask : Subsets(5, 4)) {
    auto combined = CombineShares(Pick(*shares, mask));
    ASSERT_TRUE(combined.ok());
    EXPECT_TRUE(Same(*combined, secret));
  }
  auto all = CombineShares(Pick(*shares, 0x1f));
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(Same(*all, secret));
}

TEST(ShamirTest, BelowThresholdGivesAnotherValue) {
  SeededRandom random(7);
  const SecretBytes secret = TestSecret();
  auto shares = SplitSecret(secret, 5, 3, random);
  ASSERT_TRUE(shares.ok());
  for (unsigned mask : Subsets(5, 2)) {
    auto combined = CombineShares(Pick(*shares, mask));
    ASSERT_TRUE(combined.ok());
    EXPECT_EQ(combined->size(), secret.size());
    EXPECT_FALSE(Same(*combined, secret)) << "subset mask " << mask;
  }
}

TEST(ShamirTest, TwoOfTwo) {
  SeededRandom random(1);
  const SecretBytes secret = TestSecret();
  auto shares = SplitSecret(secret, 2, 2, random);
  ASSERT_TRUE(shares.ok());
  auto both = CombineShares(Pick(*shares, 0x3));
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE(Same(*both, secret));
  // Order does not matter.
  auto reversed = CombineShares({&(*shares)[1], &(*shares)[0]});
  ASSERT_TRUE(reversed.ok());
  EXPECT_TRUE(Same(*reversed, secret));
  for (unsigned mask : {1u, 2u}) {
    EXPECT_EQ(CombineShares(Pick(*shares, mask)).status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(ShamirTest, KnownAnswerInAesField) {
  // Every coefficient is 0x57, threshold 2: y = 0x57 * x ^ s. FIPS-197
  // section 4.2.1: 0x57*2 = 0xae, 0x57*16 = 0x07, so 0x57*3 = 0xf9.
  ConstantRandom random(0x57);
  SecretBytes secret(1);
  secret[0] = 0x00;
  auto shares = SplitSecret(secret, 16, 2, random);
  ASSERT_TRUE(shares.ok());
  EXPECT_EQ((*shares)[0].y[0], 0x57);
  EXPECT_EQ((*shares)[1].y[0], 0xae);
  EXPECT_EQ((*shares)[2].y[0], 0xf9);
  EXPECT_EQ((*shares)[15].y[0], 0x07);
  auto combined = CombineShares({&(*shares)[2], &(*shares)[15]});
  ASSERT_TRUE(combined.ok());
  EXPECT_EQ((*combined)[0], 0x00);
}

TEST(ShamirTest, MaximumSixteenOfSixteen) {
  SeededRandom random(3);
  const SecretBytes secret = TestSecret();
  auto shares = SplitSecret(secret, 16, 16, random);
  ASSERT_TRUE(shares.ok());
  auto all = CombineShares(Pick(*shares, 0xffff));
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(Same(*all, secret));
  auto fifteen = CombineShares(Pick(*shares, 0x7fff));
  ASSERT_TRUE(fifteen.ok());
  EXPECT_FALSE(Same(*fifteen, secret));
}

TEST(ShamirTest, SplitRejectsBadParameters) {
  SeededRandom random(1);
  const SecretBytes secret = TestSecret();
  EXPECT_EQ(SplitSecret(secret, 3, 1, random).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitSecret(secret, 2, 3, random).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitSecret(secret, 17, 2, random).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitSecret(secret, 0, 0, random).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitSecret(secret, -1, -3, random).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitSecret(SecretBytes(), 3, 2, random).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitSecret(SecretBytes(kMaxSecretSize + 1), 3, 2, random).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ShamirTest, SplitPropagatesRandomFailure) {
  FailingRandom random;
  EXPECT_EQ(SplitSecret(TestSecret(), 3, 2, random).status().code(), StatusCode::kInternal);
}

TEST(ShamirTest, CombineRejectsDuplicatesAndMismatches) {
  SeededRandom random(9);
  auto shares = SplitSecret(TestSecret(), 3, 2, random);
  ASSERT_TRUE(shares.ok());
  const Share& a = (*shares)[0];
  const Share& b = (*shares)[1];

  auto dup = CombineShares({&a, &a});
  EXPECT_EQ(dup.status().code(), StatusCode::kInvalidArgument);

  Share same_x{a.x, b.y.Clone()};
  EXPECT_EQ(CombineShares({&a, &same_x}).status().code(), StatusCode::kInvalidArgument);

  Share short_share{b.x, SecretBytes(5)};
  EXPECT_EQ(CombineShares({&a, &short_share}).status().code(), StatusCode::kInvalidArgument);

  Share zero_x{0, b.y.Clone()};
  EXPECT_EQ(CombineShares({&a, &zero_x}).status().code(), StatusCode::kInvalidArgument);

  Share empty_a{1, SecretBytes()};
  Share empty_b{2, SecretBytes()};
  EXPECT_EQ(CombineShares({&empty_a, &empty_b}).status().code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(CombineShares({}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CombineShares({&a}).status().code(), StatusCode::kInvalidArgument);
}

TEST(ShamirTest, ErrorsNeverContainShareBytes) {
  SeededRandom random(11);
  auto shares = SplitSecret(TestSecret(), 3, 2, random);
  ASSERT_TRUE(shares.ok());
  const Share& a = (*shares)[0];
  Status s = CombineShares({&a, &a}).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().find(std::string(a.y.view())), std::string::npos);
}

}  // namespace
}  // namespace kura::keyring
