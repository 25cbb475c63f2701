#include "core/keyring/keyring.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto/encoding.h"
#include "core/fs/fault_injecting_file_system.h"
#include "core/fs/memory_file_system.h"

namespace kura::keyring {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

constexpr char kPath[] = "/keys/keyring.json";

SecretBytes TestKek(char fill = 'K') { return SecretBytes::FromString(std::string(32, fill)); }

// Every encoding in which key bytes could leak into a text file.
void ExpectAbsent(const std::string& text, const SecretBytes& key) {
  EXPECT_EQ(text.find(key.view()), std::string::npos);
  EXPECT_EQ(text.find(crypto::HexEncode(key.span())), std::string::npos);
  EXPECT_EQ(text.find(crypto::Base64Encode(key.span())), std::string::npos);
  EXPECT_EQ(text.find(crypto::Base64UrlEncode(key.span())), std::string::npos);
}

class KeyringTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fs_.CreateDirs("/keys").ok()); }

  std::unique_ptr<Keyring> CreateRing(KeyringOptions options = {}) {
    auto ring = Keyring::Create(fs_, kPath, TestKek(), "kek-test", clock_, random_, options);
    EXPECT_TRUE(ring.ok()) << ring.status().ToString();
    return ring.ok() ? std::move(*ring) : nullptr;
  }

  Result<std::unique_ptr<Keyring>> Reopen(SecretBytes kek = TestKek(),
                                          KeyringOptions options = {}) {
    StaticKeyProvider provider(std::move(kek));
    return Keyring::Open(fs_, kPath, provider, clock_, random_, options);
  }

  std::string FileText() { return fs_.ReadFile(kPath).value(); }

  MemoryFileSystem fs_;
  FakeClock clock_;
  SeededRandom random_{1234};
};

TEST_F(KeyringTest, CreateThenReopenGivesSameKeys) {
  auto ring = CreateRing();
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(ring->key_id(), "kek-test");
  EXPECT_EQ(ring->active_version(), 1);
  auto active = ring->ActiveDataKey();
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->first, 1);
  EXPECT_EQ(active->second.size(), kDataKeySize);
  const crypto::Digest256 fp = ring->Fingerprint("4111111111111111");
  EXPECT_NE(fp, ring->Fingerprint("4111111111111112"));
  EXPECT_EQ(ring->NewFingerprinter()->Mac("4111111111111111"), fp);
  EXPECT_EQ(fs_.GetMode(kPath).value(), 0600u);

  auto reopened = Reopen();
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->key_id(), "kek-test");
  EXPECT_EQ((*reopened)->kek_kcv(), ring->kek_kcv());
  EXPECT_EQ((*reopened)->active_version(), 1);
  auto again = (*reopened)->DataKey(1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->view(), active->second.view());
  EXPECT_EQ((*reopened)->Fingerprint("4111111111111111"), fp);

  const auto list = (*reopened)->List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].version, 1);
  EXPECT_EQ(list[0].state, DekState::kActive);
  EXPECT_EQ(list[0].created, clock_.Now());
  EXPECT_EQ(list[0].kcv.size(), 6u);
}

TEST_F(KeyringTest, LookupKeysArePerPurposeAndSurviveRotationAndReopen) {
  auto ring = CreateRing();
  ASSERT_NE(ring, nullptr);
  Result<SecretBytes> a = ring->LookupKey("vault.token-id");
  Result<SecretBytes> b = ring->LookupKey("another purpose");
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString();
  EXPECT_EQ(a->size(), kDataKeySize);
  EXPECT_NE(a->view(), b->view());
  EXPECT_NE(a->view(), ring->ActiveDataKey()->second.view());
  EXPECT_EQ(ring->LookupKey("").status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(ring->Rotate().ok());
  EXPECT_EQ(ring->LookupKey("vault.token-id")->view(), a->view());
  auto reopened = Reopen();
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->LookupKey("vault.token-id")->view(), a->view());
  // A keyring created with another fingerprint key derives another key.
  MemoryFileSystem other_fs;
  ASSERT_TRUE(other_fs.CreateDirs("/keys").ok());
  SeededRandom other_random{99};
  auto other = Keyring::Create(other_fs, kPath, TestKek(), "kek-test", clock_, other_random);
  ASSERT_TRUE(other.ok());
  EXPECT_NE((*other)->LookupKey("vault.token-id")->view(), a->view());
  // Nothing derived is written to the file.
  ExpectAbsent(FileText(), *a);
}

TEST_F(KeyringTest, FileHoldsNoRawKeyMaterial) {
  auto ring = CreateRing();
  ASSERT_NE(ring, nullptr);
  ASSERT_TRUE(ring->Rotate().ok());
  const std::string text = FileText();
  EXPECT_NE(text.find("\"key_id\":\"kek-test\""), std::string::npos);
  EXPECT_NE(text.find("\"state\":\"decrypt_only\""), std::string::npos);
  ExpectAbsent(text, TestKek());
  for (int v : {1, 2}) ExpectAbsent(text, ring->DataKey(v).value());
}

TEST_F(KeyringTest, CreateRejectsBadInput) {
  ASSERT_NE(CreateRing(), nullptr);
  EXPECT_EQ(Keyring::Create(fs_, kPath, TestKek(), "kek-test", clock_, random_).status().code(),
            StatusCode::kAlreadyExists);
  const std::string other = "/keys/other.json";
  EXPECT_EQ(Keyring::Create(fs_, other, SecretBytes(16), "k", clock_, random_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Keyring::Create(fs_, other, TestKek(), "bad id", clock_, random_).status().code(),
            StatusCode::kInvalidArgument);
  KeyringOptions zero;
  zero.cryptoperiod = milliseconds(0);
  EXPECT_EQ(Keyring::Create(fs_, other, TestKek(), "k", clock_, random_, zero).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Keyring::Create(fs_, "/nodir/k.json", TestKek(), "k", clock_, random_).status().code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(fs_.Exists(other));
}

TEST_F(KeyringTest, OpenWithWrongKekIsDataLoss) {
  ASSERT_NE(CreateRing(), nullptr);
  auto r = Reopen(TestKek('X'));
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(), "master key does not match keyring (wrong components?)");
  EXPECT_EQ(Reopen(SecretBytes(16)).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(KeyringTest, OpenMissingIsNotFound) {
  EXPECT_EQ(Reopen().status().code(), StatusCode::kNotFound);
}

class FailingProvider final : public KeyProvider {
 public:
  Result<SecretBytes> LoadKek() override {
    return FailedPreconditionError("need 2 components, have 1");
  }
};

TEST_F(KeyringTest, OpenPropagatesProviderError) {
  ASSERT_NE(CreateRing(), nullptr);
  FailingProvider provider;
  EXPECT_EQ(Keyring::Open(fs_, kPath, provider, clock_, random_).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(KeyringTest, CorruptFilesAreRejected) {
  ASSERT_NE(CreateRing(), nullptr);
  const std::string good = FileText();
  auto open_with = [&](const std::string& text) {
    EXPECT_TRUE(fs_.WriteFileAtomic(kPath, text).ok());
    return Reopen().status().code();
  };
  auto replace = [&](std::string from, std::string to) {
    std::string t = good;
    const size_t pos = t.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    if (pos != std::string::npos) t.replace(pos, from.size(), to);
    return t;
  };
  EXPECT_EQ(open_with("not json"), StatusCode::kDataLoss);
  EXPECT_EQ(open_with("[]"), StatusCode::kDataLoss);
  EXPECT_EQ(open_with("{}"), StatusCode::kDataLoss);
  EXPECT_EQ(open_with(replace("\"version\":1,\"key_id\"", "\"version\":2,\"key_id\"")),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(open_with(replace("\"state\":\"active\"", "\"state\":\"sleeping\"")),
            StatusCode::kDataLoss);
  EXPECT_EQ(open_with(replace("\"state\":\"active\"", "\"state\":\"decrypt_only\"")),
            StatusCode::kDataLoss);  // no active DEK
  EXPECT_EQ(open_with(replace("\"key_id\":\"kek-test\"", "\"key_id\":\"../x\"")),
            StatusCode::kDataLoss);
  EXPECT_EQ(open_with(replace("\"deks\":[", "\"deks\":[1,")), StatusCode::kDataLoss);

  // Flip one character of the wrapped DEK: the RFC 5649 check catches it.
  const size_t deks = good.find("\"deks\"");
  const size_t wrapped = good.find("\"wrapped\":\"", deks) + 11;
  std::string flipped = good;
  flipped[wrapped + 2] = flipped[wrapped + 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(open_with(flipped), StatusCode::kDataLoss);
  // A wrong DEK check value is caught too.
  const size_t kcv = good.find("\"kcv\":\"", deks) + 7;
  std::string bad_kcv = good;
  bad_kcv[kcv] = bad_kcv[kcv] == '0' ? '1' : '0';
  EXPECT_EQ(open_with(bad_kcv), StatusCode::kDataLoss);

  KeyringOptions tiny;
  tiny.max_file_size = 10;
  ASSERT_TRUE(fs_.WriteFileAtomic(kPath, good).ok());
  EXPECT_EQ(Reopen(TestKek(), tiny).status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(Reopen().ok());
}

TEST_F(KeyringTest, VersionOverflowIsOutOfRange) {
  ASSERT_NE(CreateRing(), nullptr);
  std::string text = FileText();
  const std::string from = "\"deks\":[{\"version\":1,";
  const size_t pos = text.find(from);
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, from.size(), "\"deks\":[{\"version\":2147483647,");
  ASSERT_TRUE(fs_.WriteFileAtomic(kPath, text).ok());
  auto ring = Reopen();
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  EXPECT_EQ((*ring)->active_version(), 2147483647);
  EXPECT_EQ((*ring)->Rotate().status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(FileText(), text);

  text.replace(pos, from.size() + 9, "\"deks\":[{\"version\":2147483648,");
  ASSERT_TRUE(fs_.WriteFileAtomic(kPath, text).ok());
  EXPECT_EQ(Reopen().status().code(), StatusCode::kDataLoss);
}

TEST_F(KeyringTest, RotateKeepsOldVersionsReadableAcrossReopen) {
  auto ring = CreateRing();
  ASSERT_NE(ring, nullptr);
  const SecretBytes v1 = ring->DataKey(1).value();
  clock_.Advance(hours(1));
  auto v = ring->Rotate();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 2);
  EXPECT_EQ(ring->active_version(), 2);
  auto active = ring->ActiveDataKey();
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->first, 2);
  EXPECT_NE(active->second.view(), v1.view());
  EXPECT_EQ(ring->DataKey(1)->view(), v1.view());
  EXPECT_EQ(ring->Rotate().value(), 3);

  auto reopened = Reopen();
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->active_version(), 3);
  EXPECT_EQ((*reopened)->DataKey(1)->view(), v1.view());
  EXPECT_EQ((*reopened)->DataKey(2)->view(), active->second.view());
  const auto list = (*reopened)->List();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].state, DekState::kDecryptOnly);
  EXPECT_EQ(list[1].state, DekState::kDecryptOnly);
  EXPECT_EQ(list[2].state, DekState::kActive);
  EXPECT_EQ(list[1].created, list[0].created + hours(1));
}

TEST_F(KeyringTest, RotateIfDueFollowsTheCryptoperiod) {
  auto ring = CreateRing();
  ASSERT_NE(ring, nullptr);
  clock_.Advance(hours(24 * 89));
  EXPECT_FALSE(ring->RotateIfDue().value());
  EXPECT_EQ(ring->active_version(), 1);
  clock_.Advance(hours(24) - milliseconds(1));
  EXPECT_FALSE(ring->RotateIfDue().value());
  clock_.Advance(milliseconds(1));
  EXPECT_TRUE(ring->RotateIfDue().value());
  EXPECT_EQ(ring->active_version(), 2);
  // The new DEK starts a new period.
  EXPECT_FALSE(ring->RotateIfDue().value());
  clock_.Advance(hours(24 * 90));
  EXPECT_TRUE(ring->RotateIfDue().value());
  EXPECT_EQ(ring->active_version(), 3);

  KeyringOptions weekly;
  weekly.cryptoperiod = hours(24 * 7);
  auto reopened = Reopen(TestKek(), weekly);
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE((*reopened)->RotateIfDue().value());
  clock_.Advance(hours(24 * 7));
  EXPECT_TRUE((*reopened)->RotateIfDue().value());
}

TEST_F(KeyringTest, RetireWipesTheKeyForGood) {
  auto ring = CreateRing();
  ASSERT_NE(ring, nullptr);
  ASSERT_TRUE(ring->Rotate().ok());
  const std::string before = FileText();
  const std::string wrapped_v1 =
      before.substr(before.find("\"wrapped\":\"", before.find("\"deks\"")));
  const std::string wrapped_b64 = wrapped_v1.substr(11, wrapped_v1.find('"', 11) - 11);
  ASSERT_GT(wrapped_b64.size(), 20u);

  EXPECT_EQ(ring->Retire(2).code(), StatusCode::kFailedPrecondition);  // active
  EXPECT_EQ(ring->Retire(7).code(), StatusCode::kNotFound);
  EXPECT_TRUE(ring->HasDataKey(1));
  EXPECT_EQ(ring->retirements(), 0u);
  ASSERT_TRUE(ring->Retire(1).ok());
  EXPECT_EQ(ring->retirements(), 1u);
  EXPECT_TRUE(ring->Retire(1).ok());  // idempotent
  EXPECT_EQ(ring->retirements(), 1u);
  EXPECT_EQ(ring->DataKey(1).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ring->DataKey(7).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(ring->DataKey(2).ok());
  EXPECT_FALSE(ring->HasDataKey(1));
  EXPECT_FALSE(ring->HasDataKey(7));
  EXPECT_TRUE(ring->HasDataKey(2));
  EXPECT_EQ(ring->List()[0].state, DekState::kRetired);

  const std::string after = FileText();
  EXPECT_EQ(after.find(wrapped_b64), std::string::npos);
  EXPECT_NE(after.find("\"state\":\"retired\""), std::string::npos);

  auto reopened = Reopen();
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->DataKey(1).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*reopened)->DataKey(2).ok());
  // Versions are never reused after retirement.
  EXPECT_EQ((*reopened)->Rotate().value(), 3);
}

TEST_F(KeyringTest, FailedWriteChangesNothing) {
  FaultInjectingFileSystem faulty(fs_);
  auto created = Keyring::Create(faulty, kPath, TestKek(), "kek-test", clock_, random_);
  ASSERT_TRUE(created.ok());
  Keyring& ring = **created;
  ASSERT_TRUE(ring.Rotate().ok());
  const std::string before = FileText();

  faulty.FailNextSync();
  EXPECT_EQ(ring.Rotate().status().code(), StatusCode::kInternal);
  EXPECT_EQ(ring.active_version(), 2);
  EXPECT_EQ(ring.List().size(), 2u);
  EXPECT_EQ(FileText(), before);

  faulty.FailWritesAfterBytes(0);
  EXPECT_EQ(ring.Retire(1).code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(ring.DataKey(1).ok());
  EXPECT_EQ(FileText(), before);

  clock_.Advance(hours(24 * 365));
  EXPECT_EQ(ring.RotateIfDue().status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ring.active_version(), 2);

  faulty.ClearFaults();
  EXPECT_EQ(ring.Rotate().value(), 3);
}

TEST_F(KeyringTest, ConcurrentReadersDuringRotation) {
  auto ring = CreateRing();
  ASSERT_NE(ring, nullptr);
  std::atomic<bool> bad{false};
  std::thread reader([&] {
    for (int i = 0; i < 200; ++i) {
      auto active = ring->ActiveDataKey();
      if (!active.ok() || active->second.size() != kDataKeySize) {
        bad = true;
        continue;
      }
      auto again = ring->DataKey(active->first);
      if (!again.ok() || again->view() != active->second.view()) bad = true;
    }
  });
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(ring->Rotate().ok());
  reader.join();
  EXPECT_FALSE(bad.load());
  EXPECT_EQ(ring->active_version(), 21);
}

TEST_F(KeyringTest, FingerprintersFromManyThreadsAgreeWithFingerprint) {
  auto ring = CreateRing();
  ASSERT_NE(ring, nullptr);
  const std::string pans[] = {"4111111111111111", "5555555555554444", "378282246310005"};
  crypto::Digest256 expected[3];
  for (int i = 0; i < 3; ++i) expected[i] = ring->Fingerprint(pans[i]);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const int k = (i + t) % 3;
        if (ring->NewFingerprinter()->Mac(pans[k]) != expected[k]) wrong.fetch_add(1);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(KeyringRealFileTest, WorksOnPosixFileSystem) {
  char tmpl[] = "/tmp/kura-keyring-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string path = dir + "/keyring.json";
  PosixFileSystem fs;
  FakeClock clock;
  OsRandom random;
  {
    auto ring = Keyring::Create(fs, path, TestKek(), "kek-real", clock, random);
    ASSERT_TRUE(ring.ok()) << ring.status().ToString();
    ASSERT_TRUE((*ring)->Rotate().ok());
  }
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  StaticKeyProvider provider(TestKek());
  auto reopened = Keyring::Open(fs, path, provider, clock, random);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->active_version(), 2);
  EXPECT_TRUE((*reopened)->DataKey(1).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kura::keyring
