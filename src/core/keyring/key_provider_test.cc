#include "core/keyring/key_provider.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "core/crypto/encoding.h"
#include "core/crypto/key_wrap.h"
#include "core/fs/memory_file_system.h"

namespace kura::keyring {
namespace {

struct Split {
  SecretBytes kek;
  std::vector<KeyComponent> components;
};

Split MakeSplit(uint64_t seed, const std::string& key_id, int custodians, int threshold) {
  SeededRandom random(seed);
  Split s;
  s.kek = SecretBytes(kKekSize);
  EXPECT_TRUE(random.Fill(s.kek.mutable_span()).ok());
  const std::string kcv = crypto::KeyCheckValue(s.kek).value();
  auto shares = SplitSecret(s.kek, custodians, threshold, random);
  EXPECT_TRUE(shares.ok());
  for (const Share& share : *shares) {
    s.components.push_back(
        std::move(MakeComponent(key_id, share, threshold, custodians, kcv).value()));
  }
  return s;
}

KeyComponent Copy(const KeyComponent& c) {
  return KeyComponent{c.key_id,        c.index,     c.threshold, c.custodians,
                      c.share.Clone(), c.share_kcv, c.kek_kcv};
}

std::vector<KeyComponent> Pick(const Split& s, std::initializer_list<int> indexes) {
  std::vector<KeyComponent> out;
  for (int i : indexes) out.push_back(Copy(s.components[static_cast<size_t>(i - 1)]));
  return out;
}

std::string Text(const KeyComponent& c) { return std::string(FormatComponent(c).view()); }

TEST(CombineComponentsTest, ThresholdOfComponentsRebuildsKek) {
  Split s = MakeSplit(1, "kek-a", 3, 2);
  for (const std::vector<int>& indexes :
       std::vector<std::vector<int>>{{1, 2}, {1, 3}, {3, 2}, {1, 2, 3}}) {
    std::vector<KeyComponent> pick;
    for (int i : indexes) pick.push_back(Copy(s.components[static_cast<size_t>(i - 1)]));
    auto kek = CombineComponents(pick);
    ASSERT_TRUE(kek.ok()) << kek.status().ToString();
    EXPECT_EQ(kek->view(), s.kek.view());
  }
}

TEST(CombineComponentsTest, TooFewIsFailedPrecondition) {
  Split s = MakeSplit(2, "kek-a", 5, 3);
  auto r = CombineComponents(Pick(s, {1, 4}));
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(), "need 3 components, have 2");
  // The same component twice counts once.
  auto dup = CombineComponents(Pick(s, {1, 4, 4}));
  EXPECT_EQ(dup.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(dup.status().message(), "need 3 components, have 2");
  EXPECT_EQ(CombineComponents({}).status().code(), StatusCode::kFailedPrecondition);
}

TEST(CombineComponentsTest, OtherKeyIdIsFailedPrecondition) {
  Split a = MakeSplit(3, "kek-a", 3, 2);
  Split b = MakeSplit(4, "kek-b", 3, 2);
  std::vector<KeyComponent> mixed = Pick(a, {1});
  mixed.push_back(Copy(b.components[1]));
  auto r = CombineComponents(mixed);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("different keys"), std::string::npos);
}

TEST(CombineComponentsTest, InconsistentComponentsAreDataLoss) {
  Split s = MakeSplit(5, "kek-a", 3, 2);
  // Same index, different share.
  std::vector<KeyComponent> clash = Pick(s, {1, 2});
  KeyComponent forged = Copy(s.components[2]);
  forged.index = 1;
  clash.push_back(std::move(forged));
  EXPECT_EQ(CombineComponents(clash).status().code(), StatusCode::kDataLoss);

  // Disagreeing metadata.
  std::vector<KeyComponent> meta = Pick(s, {1, 2});
  meta[1].kek_kcv = "000000";
  EXPECT_EQ(CombineComponents(meta).status().code(), StatusCode::kDataLoss);

  // Consistent but wrong kek-kcv: the rebuilt KEK does not check out.
  std::vector<KeyComponent> wrong = Pick(s, {1, 2});
  for (auto& c : wrong) c.kek_kcv = "000000";
  auto r = CombineComponents(wrong);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("kek-kcv"), std::string::npos);

  // A share altered in memory (past its own KCV check) is caught by kek-kcv.
  std::vector<KeyComponent> altered = Pick(s, {1, 2});
  altered[0].share[0] ^= 1;
  EXPECT_EQ(CombineComponents(altered).status().code(), StatusCode::kDataLoss);
}

TEST(StaticKeyProviderTest, ReturnsACopy) {
  StaticKeyProvider provider(SecretBytes::FromString(std::string(32, 'k')));
  auto a = provider.LoadKek();
  ASSERT_TRUE(a.ok());
  a->Wipe();
  auto b = provider.LoadKek();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->view(), std::string(32, 'k'));
}

class ComponentFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs_.CreateDirs("/media").ok());
    for (size_t i = 0; i < split_.components.size(); ++i) {
      ASSERT_TRUE(fs_.CreateFileExclusive(Path(i + 1), Text(split_.components[i])).ok());
    }
  }
  static std::string Path(size_t i) { return "/media/custodian-" + std::to_string(i) + ".key"; }

  MemoryFileSystem fs_;
  Split split_ = MakeSplit(6, "kek-files", 3, 2);
};

TEST_F(ComponentFilesTest, ThresholdFilesRebuildKek) {
  ComponentFilesKeyProvider provider(fs_, {Path(3), Path(1)});
  auto kek = provider.LoadKek();
  ASSERT_TRUE(kek.ok()) << kek.status().ToString();
  EXPECT_EQ(kek->view(), split_.kek.view());
}

TEST_F(ComponentFilesTest, OneFileIsNotEnough) {
  ComponentFilesKeyProvider provider(fs_, {Path(2)});
  auto kek = provider.LoadKek();
  EXPECT_EQ(kek.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(kek.status().message(), "need 2 components, have 1");
}

TEST_F(ComponentFilesTest, MissingFileIsNotFound) {
  ComponentFilesKeyProvider provider(fs_, {Path(1), "/media/nope.key"});
  EXPECT_EQ(provider.LoadKek().status().code(), StatusCode::kNotFound);
}

TEST_F(ComponentFilesTest, CorruptedShareIsDataLossNamingThePath) {
  std::string text = fs_.ReadFile(Path(2)).value();
  const std::string hex = crypto::HexEncode(split_.components[1].share.span());
  const size_t pos = text.find(hex);
  ASSERT_NE(pos, std::string::npos);
  text[pos + 5] = text[pos + 5] == 'f' ? 'e' : 'f';
  ASSERT_TRUE(fs_.WriteFileAtomic(Path(2), text).ok());
  ComponentFilesKeyProvider provider(fs_, {Path(1), Path(2)});
  auto kek = provider.LoadKek();
  EXPECT_EQ(kek.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(kek.status().message().find(Path(2)), std::string::npos);
  EXPECT_EQ(kek.status().message().find(hex.substr(0, 12)), std::string::npos);
}

TEST(PromptKeyProviderTest, PastedComponentsRebuildKek) {
  Split s = MakeSplit(7, "kek-prompt", 3, 2);
  // One component followed by an empty line, the next without one.
  std::istringstream in("\n\n" + Text(s.components[2]) + "\n" + Text(s.components[0]));
  std::ostringstream out;
  PromptKeyProvider provider(in, out);
  auto kek = provider.LoadKek();
  ASSERT_TRUE(kek.ok()) << kek.status().ToString();
  EXPECT_EQ(kek->view(), s.kek.view());
  const std::string transcript = out.str();
  EXPECT_NE(transcript.find("Key component 1:"), std::string::npos);
  EXPECT_NE(transcript.find("Key component 2 of 2:"), std::string::npos);
  EXPECT_NE(transcript.find("accepted component 3 of key kek-prompt (1 of 2)"), std::string::npos);
  for (const auto& c : s.components) {
    EXPECT_EQ(transcript.find(crypto::HexEncode(c.share.span()).substr(0, 12)), std::string::npos);
  }
}

TEST(PromptKeyProviderTest, RejectsBadEntriesAndLetsCustodianRetry) {
  Split s = MakeSplit(8, "kek-prompt", 3, 2);
  Split other = MakeSplit(9, "kek-other", 3, 2);
  std::string mistyped = Text(s.components[1]);
  const std::string hex = crypto::HexEncode(s.components[1].share.span());
  mistyped.replace(mistyped.find(hex), 4, hex[0] == '0' ? "1111" : "0000");
  std::istringstream in(Text(s.components[0]) + "\n" +      // accepted
                        Text(s.components[0]) + "\n" +      // already entered
                        Text(other.components[1]) + "\n" +  // other key
                        mistyped + "\n" +                   // check value mismatch
                        "share: " + hex + "\n\n" +          // malformed
                        Text(s.components[1]));             // accepted
  std::ostringstream out;
  PromptKeyProvider provider(in, out);
  auto kek = provider.LoadKek();
  ASSERT_TRUE(kek.ok()) << kek.status().ToString();
  EXPECT_EQ(kek->view(), s.kek.view());
  const std::string transcript = out.str();
  EXPECT_NE(transcript.find("rejected: component 1 was already entered"), std::string::npos);
  EXPECT_NE(transcript.find("rejected: component belongs to key kek-other"), std::string::npos);
  EXPECT_NE(transcript.find("rejected: component 2: check value mismatch"), std::string::npos);
  EXPECT_NE(transcript.find("rejected: component: missing field"), std::string::npos);
  EXPECT_EQ(transcript.find(hex.substr(0, 12)), std::string::npos);
}

TEST(PromptKeyProviderTest, EndOfInputBeforeThresholdIsFailedPrecondition) {
  Split s = MakeSplit(10, "kek-prompt", 5, 3);
  std::istringstream in(Text(s.components[0]) + "\n" + Text(s.components[4]) + "\n\n");
  std::ostringstream out;
  PromptKeyProvider provider(in, out);
  auto kek = provider.LoadKek();
  EXPECT_EQ(kek.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(kek.status().message(), "need 3 components, have 2");

  std::istringstream empty("");
  PromptKeyProvider none(empty, out);
  EXPECT_EQ(none.LoadKek().status().code(), StatusCode::kFailedPrecondition);
}

TEST(PromptKeyProviderTest, TooManyRejectionsStop) {
  Split s = MakeSplit(11, "kek-prompt", 3, 2);
  std::string input;
  for (int i = 0; i < 3; ++i) input += "garbage line\n\n";
  input += Text(s.components[0]) + "\n" + Text(s.components[1]);
  std::istringstream in(input);
  std::ostringstream out;
  PromptKeyProvider provider(in, out, /*max_rejected=*/2);
  auto kek = provider.LoadKek();
  EXPECT_EQ(kek.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(kek.status().message().find("too many rejected components"), std::string::npos);
}

}  // namespace
}  // namespace kura::keyring
