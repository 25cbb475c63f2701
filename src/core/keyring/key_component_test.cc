#include "core/keyring/key_component.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "core/crypto/encoding.h"
#include "core/crypto/key_wrap.h"

namespace kura::keyring {
namespace {

struct Fixture {
  SecretBytes kek;
  std::vector<Share> shares;
  std::string kek_kcv;
};

Fixture MakeFixture() {
  SeededRandom random(5);
  Fixture f;
  f.kek = SecretBytes(kKekSize);
  EXPECT_TRUE(random.Fill(f.kek.mutable_span()).ok());
  f.shares = std::move(SplitSecret(f.kek, 3, 2, random).value());
  f.kek_kcv = crypto::KeyCheckValue(f.kek).value();
  return f;
}

std::string Text(const KeyComponent& c) { return std::string(FormatComponent(c).view()); }

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

// Replaces the whole line that starts with `prefix`.
std::string ReplaceLine(std::string text, const std::string& prefix, const std::string& line) {
  const size_t pos = text.find("\n" + prefix);
  EXPECT_NE(pos, std::string::npos) << prefix;
  const size_t end = text.find('\n', pos + 1);
  text.replace(pos + 1, end - pos - 1, line);
  return text;
}

TEST(KeyComponentTest, FormatParseRoundTrip) {
  Fixture f = MakeFixture();
  auto c = MakeComponent("kek-20260101-ab12cd", f.shares[1], 2, 3, f.kek_kcv);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->index, 2);
  EXPECT_EQ(c->share_kcv, crypto::KeyCheckValue(f.shares[1].y).value());

  const std::string text = Text(*c);
  EXPECT_EQ(text.rfind("# Kura key component \xE2\x80\x94 custodian 2 of 3 (threshold 2)", 0), 0u);
  EXPECT_NE(text.find("\nkura-key-component: v1\n"), std::string::npos);
  EXPECT_NE(text.find("\nshare: " + crypto::HexEncode(f.shares[1].y.span()) + "\n"),
            std::string::npos);

  auto parsed = ParseComponent(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->key_id, "kek-20260101-ab12cd");
  EXPECT_EQ(parsed->index, 2);
  EXPECT_EQ(parsed->threshold, 2);
  EXPECT_EQ(parsed->custodians, 3);
  EXPECT_EQ(parsed->share.view(), f.shares[1].y.view());
  EXPECT_EQ(parsed->share_kcv, c->share_kcv);
  EXPECT_EQ(parsed->kek_kcv, f.kek_kcv);
}

TEST(KeyComponentTest, AcceptsCrlfUpperCaseHexAndReorderedFields) {
  Fixture f = MakeFixture();
  auto c = MakeComponent("k1", f.shares[0], 2, 3, f.kek_kcv);
  ASSERT_TRUE(c.ok());
  std::string hex = crypto::HexEncode(f.shares[0].y.span());
  std::string upper = hex;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const std::string text = "\r\n  kek-kcv: " + f.kek_kcv + "\r\nshare:   " + upper +
                           "  \r\nindex: 1\r\nthreshold: 2\r\ncustodians: 3\r\n"
                           "key-id: k1\r\n# comment\r\nkura-key-component: v1\r\nshare-kcv: " +
                           c->share_kcv + "\r\n";
  auto parsed = ParseComponent(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->share.view(), f.shares[0].y.view());
}

TEST(KeyComponentTest, MistypedShareIsDataLoss) {
  Fixture f = MakeFixture();
  auto c = MakeComponent("k1", f.shares[1], 2, 3, f.kek_kcv);
  ASSERT_TRUE(c.ok());
  const std::string hex = crypto::HexEncode(f.shares[1].y.span());
  std::string typo = hex;
  typo[10] = typo[10] == '0' ? '1' : '0';
  auto parsed = ParseComponent(Replace(Text(*c), hex, typo));
  EXPECT_EQ(parsed.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(parsed.status().message(), "component 2: check value mismatch (mistyped or corrupted)");

  // A wrong share-kcv is the same failure.
  std::string bad_kcv = c->share_kcv;
  bad_kcv[0] = bad_kcv[0] == 'a' ? 'b' : 'a';
  auto parsed2 = ParseComponent(ReplaceLine(Text(*c), "share-kcv:", "share-kcv: " + bad_kcv));
  EXPECT_EQ(parsed2.status().code(), StatusCode::kDataLoss);
}

TEST(KeyComponentTest, MalformedFieldsAreInvalidArgumentNamingTheField) {
  Fixture f = MakeFixture();
  auto c = MakeComponent("k1", f.shares[1], 2, 3, f.kek_kcv);
  ASSERT_TRUE(c.ok());
  const std::string good = Text(*c);
  const std::string hex = crypto::HexEncode(f.shares[1].y.span());
  struct Case {
    std::string text;
    std::string field;
  };
  const std::vector<Case> cases = {
      {ReplaceLine(good, "share:", "share: " + hex.substr(0, 62)), "'share'"},
      {ReplaceLine(good, "share:", "share: " + hex.substr(0, 63) + "g"), "'share'"},
      {ReplaceLine(good, "index:", "index: two"), "'index'"},
      {ReplaceLine(good, "index:", "index: 4"), "'index'"},
      {ReplaceLine(good, "index:", "index: 0"), "'index'"},
      {ReplaceLine(good, "threshold:", "threshold: 1"), "'threshold'"},
      {ReplaceLine(good, "threshold:", "threshold: 4"), "'threshold'"},
      {ReplaceLine(good, "custodians:", "custodians: 17"), "'custodians'"},
      {ReplaceLine(good, "key-id:", "key-id: a/b"), "'key-id'"},
      {ReplaceLine(good, "key-id:", "key-id: "), "'key-id'"},
      {ReplaceLine(good, "kek-kcv:", "kek-kcv: 12345"), "'kek-kcv'"},
      {ReplaceLine(good, "share-kcv:", "share-kcv: zzzzzz"), "'share-kcv'"},
      {ReplaceLine(good, "kura-key-component:", "kura-key-component: v2"), "'kura-key-component'"},
      {ReplaceLine(good, "kek-kcv:", "# removed"), "'kek-kcv'"},
      {good + "index: 2\n", "'index'"},
  };
  for (const Case& tc : cases) {
    auto parsed = ParseComponent(tc.text);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << tc.field;
    EXPECT_NE(parsed.status().message().find(tc.field), std::string::npos)
        << parsed.status().message();
    EXPECT_EQ(parsed.status().message().find(hex.substr(0, 16)), std::string::npos);
  }
}

TEST(KeyComponentTest, BareShareOrUnknownFieldIsRejectedWithoutEcho) {
  Fixture f = MakeFixture();
  auto c = MakeComponent("k1", f.shares[1], 2, 3, f.kek_kcv);
  ASSERT_TRUE(c.ok());
  const std::string hex = crypto::HexEncode(f.shares[1].y.span());
  auto bare = ParseComponent(Text(*c) + hex + "\n");
  EXPECT_EQ(bare.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bare.status().message().find("line 10"), std::string::npos) << bare.status().message();
  EXPECT_EQ(bare.status().message().find(hex.substr(0, 8)), std::string::npos);

  auto unknown = ParseComponent(Text(*c) + hex + ": x\n");
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().message().find(hex.substr(0, 8)), std::string::npos);

  EXPECT_EQ(ParseComponent("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseComponent(std::string(kMaxComponentTextSize + 1, '#')).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(KeyComponentTest, MakeComponentValidates) {
  Fixture f = MakeFixture();
  EXPECT_EQ(MakeComponent("bad id", f.shares[0], 2, 3, f.kek_kcv).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeComponent("k", f.shares[0], 2, 3, "xyz").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeComponent("k", f.shares[2], 2, 2, f.kek_kcv).status().code(),
            StatusCode::kInvalidArgument);  // x = 3 > custodians
  EXPECT_EQ(MakeComponent("k", f.shares[0], 1, 3, f.kek_kcv).status().code(),
            StatusCode::kInvalidArgument);
  Share short_share{1, SecretBytes(16)};
  EXPECT_EQ(MakeComponent("k", short_share, 2, 3, f.kek_kcv).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(KeyComponentTest, KeyIdAlphabet) {
  EXPECT_TRUE(IsValidKeyId("kek-20260101-ab12cd"));
  EXPECT_TRUE(IsValidKeyId("A.b_c-9"));
  EXPECT_FALSE(IsValidKeyId(""));
  EXPECT_FALSE(IsValidKeyId("a b"));
  EXPECT_FALSE(IsValidKeyId("../etc"));
  EXPECT_FALSE(IsValidKeyId(std::string(kMaxKeyIdLength + 1, 'a')));
  EXPECT_TRUE(IsValidKeyId(std::string(kMaxKeyIdLength, 'a')));
}

}  // namespace
}  // namespace kura::keyring
