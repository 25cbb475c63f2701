#include "core/keyring/init_keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "core/crypto/encoding.h"
#include "core/fs/memory_file_system.h"
#include "core/keyring/key_component.h"
#include "core/keyring/key_provider.h"
#include "core/keyring/keyring.h"

namespace kura::keyring {
namespace {

constexpr char kRing[] = "/etc/kura/keyring.json";
constexpr char kDir[] = "/media/components";

class InitKeysTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fs_.CreateDirs("/etc/kura").ok()); }

  InitResult Init(int custodians, int threshold, const std::string& ring = kRing,
                  const std::string& dir = kDir) {
    auto r = InitKeys(fs_, ring, dir, custodians, threshold, clock_, random_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(*r) : InitResult{};
  }

  Result<std::unique_ptr<Keyring>> OpenWith(const std::vector<std::string>& paths,
                                            const std::string& ring = kRing) {
    ComponentFilesKeyProvider provider(fs_, paths);
    return Keyring::Open(fs_, ring, provider, clock_, random_);
  }

  MemoryFileSystem fs_;
  FakeClock clock_;
  SeededRandom random_{99};
};

TEST_F(InitKeysTest, WritesOneComponentPerCustodian) {
  const InitResult r = Init(5, 3);
  EXPECT_EQ(r.key_id.rfind("kek-20260101-", 0), 0u);
  EXPECT_EQ(r.key_id.size(), std::string("kek-20260101-ab12cd").size());
  EXPECT_EQ(r.kek_kcv.size(), 6u);
  ASSERT_EQ(r.component_paths.size(), 5u);
  for (int i = 1; i <= 5; ++i) {
    const std::string& path = r.component_paths[static_cast<size_t>(i - 1)];
    EXPECT_EQ(path, std::string(kDir) + "/custodian-" + std::to_string(i) + ".key");
    EXPECT_EQ(fs_.GetMode(path).value(), 0600u);
    auto c = ParseComponent(fs_.ReadFile(path).value());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->index, i);
    EXPECT_EQ(c->threshold, 3);
    EXPECT_EQ(c->custodians, 5);
    EXPECT_EQ(c->key_id, r.key_id);
    EXPECT_EQ(c->kek_kcv, r.kek_kcv);
  }
  EXPECT_EQ(fs_.GetMode(kRing).value(), 0600u);
}

TEST_F(InitKeysTest, NoSingleComponentRevealsOrOpensTheKek) {
  const InitResult r = Init(3, 2);
  // Rebuild the KEK the legitimate way to compare against.
  ComponentFilesKeyProvider two(fs_, {r.component_paths[0], r.component_paths[1]});
  auto kek = two.LoadKek();
  ASSERT_TRUE(kek.ok()) << kek.status().ToString();
  const std::string kek_hex = crypto::HexEncode(kek->span());
  const std::string ring_text = fs_.ReadFile(kRing).value();
  EXPECT_EQ(ring_text.find(kek_hex), std::string::npos);
  EXPECT_EQ(ring_text.find(crypto::Base64Encode(kek->span())), std::string::npos);

  for (const std::string& path : r.component_paths) {
    const std::string text = fs_.ReadFile(path).value();
    EXPECT_EQ(text.find(kek_hex), std::string::npos);
    auto c = ParseComponent(text);
    ASSERT_TRUE(c.ok());
    EXPECT_NE(c->share.view(), kek->view());

    auto alone = OpenWith({path});
    EXPECT_EQ(alone.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(alone.status().message(), "need 2 components, have 1");
    // Even used directly as a master key, a share does not open the keyring.
    StaticKeyProvider as_kek(c->share.Clone());
    EXPECT_EQ(Keyring::Open(fs_, kRing, as_kek, clock_, random_).status().code(),
              StatusCode::kDataLoss);
  }
}

TEST_F(InitKeysTest, AnyThresholdSubsetOpensTheKeyring) {
  const InitResult r = Init(5, 3);
  const auto& p = r.component_paths;
  std::string dek_view;
  for (const auto& subset : std::vector<std::vector<std::string>>{
           {p[0], p[1], p[2]}, {p[4], p[2], p[0]}, {p[1], p[3], p[4]}, {p[0], p[1], p[2], p[3]}}) {
    auto ring = OpenWith(subset);
    ASSERT_TRUE(ring.ok()) << ring.status().ToString();
    EXPECT_EQ((*ring)->key_id(), r.key_id);
    auto dek = (*ring)->DataKey(1);
    ASSERT_TRUE(dek.ok());
    if (dek_view.empty()) dek_view = std::string(dek->view());
    EXPECT_EQ(dek->view(), dek_view);
  }
  auto short_one = OpenWith({p[0], p[3]});
  EXPECT_EQ(short_one.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(short_one.status().message(), "need 3 components, have 2");
}

TEST_F(InitKeysTest, ComponentOfAnotherKeyIsRejected) {
  const InitResult a = Init(3, 2);
  ASSERT_TRUE(fs_.CreateDirs("/etc/other").ok());
  const InitResult b = Init(3, 2, "/etc/other/keyring.json", "/media/other");
  ASSERT_NE(a.key_id, b.key_id);
  auto mixed = OpenWith({a.component_paths[0], b.component_paths[1]});
  EXPECT_EQ(mixed.status().code(), StatusCode::kFailedPrecondition);
  // All of keyring b's components are consistent but belong to another KEK.
  auto wrong = OpenWith({b.component_paths[0], b.component_paths[1]});
  EXPECT_EQ(wrong.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(wrong.status().message(), "master key does not match keyring (wrong components?)");
}

TEST_F(InitKeysTest, CorruptedShareIsDataLoss) {
  const InitResult r = Init(3, 2);
  std::string text = fs_.ReadFile(r.component_paths[1]).value();
  const size_t share = text.find("share: ") + 7;
  text[share + 3] = text[share + 3] == '7' ? '8' : '7';
  ASSERT_TRUE(fs_.WriteFileAtomic(r.component_paths[1], text).ok());
  auto ring = OpenWith({r.component_paths[0], r.component_paths[1]});
  EXPECT_EQ(ring.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(ring.status().message().find("component 2: check value mismatch"), std::string::npos);
}

TEST_F(InitKeysTest, NeverOverwrites) {
  const InitResult r = Init(3, 2);
  const std::string component = fs_.ReadFile(r.component_paths[0]).value();
  const std::string ring = fs_.ReadFile(kRing).value();
  EXPECT_EQ(InitKeys(fs_, kRing, "/media/fresh", 3, 2, clock_, random_).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_FALSE(fs_.Exists("/media/fresh/custodian-1.key"));
  EXPECT_EQ(InitKeys(fs_, "/etc/kura/new.json", kDir, 3, 2, clock_, random_).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_FALSE(fs_.Exists("/etc/kura/new.json"));
  EXPECT_EQ(fs_.ReadFile(r.component_paths[0]).value(), component);
  EXPECT_EQ(fs_.ReadFile(kRing).value(), ring);
}

TEST_F(InitKeysTest, RejectsBadCounts) {
  for (auto [n, k] : std::vector<std::pair<int, int>>{{3, 1}, {2, 3}, {17, 2}, {1, 1}, {0, 0}}) {
    EXPECT_EQ(InitKeys(fs_, kRing, kDir, n, k, clock_, random_).status().code(),
              StatusCode::kInvalidArgument)
        << n << " " << k;
  }
  EXPECT_FALSE(fs_.Exists(kRing));
}

TEST_F(InitKeysTest, FailedKeyringCreationRemovesComponents) {
  auto r = InitKeys(fs_, "/missing/dir/keyring.json", kDir, 3, 2, clock_, random_);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_FALSE(fs_.Exists(std::string(kDir) + "/custodian-" + std::to_string(i) + ".key"));
  }
}

TEST(InitKeysRealFileTest, CeremonyOnPosixFileSystem) {
  char tmpl[] = "/tmp/kura-init-keys-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  PosixFileSystem fs;
  FakeClock clock;
  OsRandom random;
  auto r = InitKeys(fs, dir + "/keyring.json", dir + "/components", 3, 2, clock, random);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const std::string& path : r->component_paths) {
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  struct stat dst {};
  ASSERT_EQ(stat((dir + "/components").c_str(), &dst), 0);
  EXPECT_EQ(dst.st_mode & 0777, 0700u);
  ComponentFilesKeyProvider provider(fs, {r->component_paths[2], r->component_paths[0]});
  auto ring = Keyring::Open(fs, dir + "/keyring.json", provider, clock, random);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  EXPECT_EQ((*ring)->key_id(), r->key_id);
  EXPECT_EQ((*ring)->kek_kcv(), r->kek_kcv);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kura::keyring
