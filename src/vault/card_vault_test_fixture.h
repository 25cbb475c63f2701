// CardVaultTest: a vault on a fresh SQLite store and an in-memory keyring,
// with a fake clock at 2026-01-01, for the CardVault tests (card_vault_test.cc
// and card_vault_batch_test.cc).
#ifndef KURA_VAULT_CARD_VAULT_TEST_FIXTURE_H_
#define KURA_VAULT_CARD_VAULT_TEST_FIXTURE_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/fs/memory_file_system.h"
#include "core/keyring/test_kek.h"
#include "vault/card_vault.h"
#include "vault/sqlite_card_store.h"
#include "vault/token.h"

namespace kura::vault {

class CardVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kura-card-vault-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_TRUE(fs_.CreateDirs("/keys").ok());
    auto kr = keyring::Keyring::Create(fs_, "/keys/keyring.json", keyring::testing::TestKek(),
                                       "kek-test", clock_,
                                       random_);
    ASSERT_TRUE(kr.ok()) << kr.status().ToString();
    keyring_ = std::move(kr).value();
    SqliteCardStoreOptions opts;
    opts.path = dir_ + "/vault.db";
    auto store = SqliteCardStore::Open(opts);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto vault = CardVault::Create(*store_, *keyring_, random_, clock_, CardVaultOptions{});
    ASSERT_TRUE(vault.ok()) << vault.status().ToString();
    vault_ = std::move(vault).value();
  }
  void TearDown() override {
    vault_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A vault on the same store and keyring drawing from `random`.
  std::unique_ptr<CardVault> VaultDrawingFrom(Random& random) {
    Result<std::unique_ptr<CardVault>> v =
        CardVault::Create(*store_, *keyring_, random, clock_, CardVaultOptions{});
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? std::move(v).value() : nullptr;
  }

  // Stores 4111111111111111 with an FPT token through a vault drawing from
  // SeededRandom(kClashSeed), and checks that kClashingPan (same length and
  // last four digits) draws that same token first from the same seed: a
  // second such vault's first attempt for it clashes.
  static constexpr uint64_t kClashSeed = 7;
  static constexpr std::string_view kClashingPan = "5500000000081111";
  // StoreFirstOfAClash, then the second such vault (drawing from
  // clash_random_, which outlives it).
  void SetUpClash(StoreOutcome* first_out, std::unique_ptr<CardVault>* second) {
    ASSERT_NO_FATAL_FAILURE(StoreFirstOfAClash(first_out));
    clash_random_ = std::make_unique<SeededRandom>(kClashSeed);
    *second = VaultDrawingFrom(*clash_random_);
    ASSERT_NE(*second, nullptr);
  }
  std::unique_ptr<SeededRandom> clash_random_;

  void StoreFirstOfAClash(StoreOutcome* first_out) {
    CardInput first_card = Card("4111111111111111");
    first_card.token_format = TokenFormat::kFpt;
    SeededRandom first_random(kClashSeed);
    std::unique_ptr<CardVault> first = VaultDrawingFrom(first_random);
    ASSERT_NE(first, nullptr);
    Result<StoreOutcome> a = first->Store(first_card);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    SeededRandom probe(kClashSeed);
    Result<std::string> first_draw = GenerateFptToken(kClashingPan, false, 6, probe);
    ASSERT_TRUE(first_draw.ok());
    ASSERT_EQ(*first_draw, a->card.token);
    *first_out = std::move(a).value();
  }
  static CardInput ClashingCard() {
    CardInput card = Card(kClashingPan);
    card.token_format = TokenFormat::kFpt;
    return card;
  }

  static CardInput Card(std::string_view pan, int month = 12, int year = 2030) {
    CardInput in;
    in.pan = SecretBytes::FromString(pan);
    in.exp_month = month;
    in.exp_year = year;
    return in;
  }

  std::string dir_;
  FakeClock clock_{1'767'225'600'000};  // 2026-01-01
  OsRandom random_;
  MemoryFileSystem fs_;
  std::unique_ptr<keyring::Keyring> keyring_;
  std::unique_ptr<SqliteCardStore> store_;
  std::unique_ptr<CardVault> vault_;
};


}  // namespace kura::vault

#endif  // KURA_VAULT_CARD_VAULT_TEST_FIXTURE_H_
