#include "vault/dek_openers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/fs/memory_file_system.h"
#include "core/keyring/test_kek.h"

namespace kura::vault {
namespace {

using keyring::testing::TestKek;

class DekOpenersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs_.CreateDirs("/keys").ok());
    auto kr = keyring::Keyring::Create(fs_, "/keys/keyring.json", TestKek(), "kek-test", clock_,
                                       random_);
    ASSERT_TRUE(kr.ok()) << kr.status().ToString();
    keyring_ = std::move(kr).value();
  }

  std::string SealUnder(int version, std::string_view plain, std::string_view aad) {
    Result<SecretBytes> dek = keyring_->DataKey(version);
    EXPECT_TRUE(dek.ok());
    Result<std::string> sealed = crypto::AesGcmSeal(*dek, random_, plain, aad);
    EXPECT_TRUE(sealed.ok());
    return *sealed;
  }

  FakeClock clock_{1'767'225'600'000};
  OsRandom random_;
  MemoryFileSystem fs_;
  std::unique_ptr<keyring::Keyring> keyring_;
};

TEST_F(DekOpenersTest, OpensUnderEachVersionAndReusesOpeners) {
  DekOpeners openers(*keyring_);
  const std::string v1 = SealUnder(1, "4111111111111111", "aad1");
  ASSERT_TRUE(keyring_->Rotate().ok());
  const std::string v2 = SealUnder(2, "5555555555554444", "aad2");
  for (int i = 0; i < 3; ++i) {
    Result<SecretBytes> a = openers.Open(1, v1, "aad1");
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_EQ(a->view(), "4111111111111111");
    Result<SecretBytes> b = openers.Open(2, v2, "aad2");
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_EQ(b->view(), "5555555555554444");
  }
  // One call at a time: one opener per version, reused.
  EXPECT_EQ(openers.idle(1), 1u);
  EXPECT_EQ(openers.idle(2), 1u);
  // The wrong version's key, a wrong AAD, or a modified blob fail to open.
  EXPECT_EQ(openers.Open(2, v1, "aad1").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(openers.Open(1, v1, "aad2").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(openers.Open(9, v1, "aad1").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(openers.Open(1, v1, "aad1").ok());  // still usable after failures
}

TEST_F(DekOpenersTest, RetiredVersionNoLongerOpensAndItsOpenersGo) {
  DekOpeners openers(*keyring_);
  const std::string v1 = SealUnder(1, "4111111111111111", "aad");
  ASSERT_TRUE(openers.Open(1, v1, "aad").ok());
  EXPECT_EQ(openers.idle(1), 1u);
  ASSERT_TRUE(keyring_->Rotate().ok());
  ASSERT_TRUE(keyring_->Retire(1).ok());
  EXPECT_EQ(openers.Open(1, v1, "aad").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(openers.idle(1), 0u);
}

// The usual order: cards are re-encrypted off a version, which is then
// retired and never opened again; its openers must still go.
TEST_F(DekOpenersTest, RetiredVersionsOpenersGoAtTheNextOpenOfAnyVersion) {
  DekOpeners openers(*keyring_);
  const std::string v1 = SealUnder(1, "4111111111111111", "aad");
  ASSERT_TRUE(openers.Open(1, v1, "aad").ok());
  ASSERT_TRUE(keyring_->Rotate().ok());
  const std::string v2 = SealUnder(2, "5555555555554444", "aad");
  ASSERT_TRUE(keyring_->Retire(1).ok());
  EXPECT_EQ(openers.idle(1), 1u);
  ASSERT_TRUE(openers.Open(2, v2, "aad").ok());
  EXPECT_EQ(openers.idle(1), 0u);
  EXPECT_EQ(openers.idle(2), 1u);
}

TEST_F(DekOpenersTest, ConcurrentOpensEachGetTheirOwnOpener) {
  DekOpeners openers(*keyring_);
  std::vector<std::string> sealed;
  for (int i = 0; i < 16; ++i) {
    sealed.push_back(SealUnder(1, "card-" + std::to_string(i), "aad-" + std::to_string(i)));
  }
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        const int i = (round + t) % 16;
        Result<SecretBytes> p = openers.Open(1, sealed[i], "aad-" + std::to_string(i));
        if (!p.ok() || p->view() != "card-" + std::to_string(i)) wrong.fetch_add(1);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GE(openers.idle(1), 1u);
  EXPECT_LE(openers.idle(1), kMaxIdleOpeners);
}

}  // namespace
}  // namespace kura::vault
