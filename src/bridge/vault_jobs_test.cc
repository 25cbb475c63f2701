#include "bridge/vault_jobs.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "bridge/test_util.h"
#include "core/keyring/test_kek.h"
#include "core/pan/luhn.h"
#include "core/pan/pan_scanner.h"
#include "vault/sqlite_card_store.h"

namespace kura::bridge {
namespace {

using keyring::testing::TestKek;

class VaultJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto kr = keyring::Keyring::Create(fs_, dir_.Sub("keyring.json"), TestKek(), "kek-test", clock_,
                                       random_);
    ASSERT_TRUE(kr.ok()) << kr.status().ToString();
    keyring_ = std::move(*kr);
    vault::SqliteCardStoreOptions opts;
    opts.path = dir_.Sub("vault.db");
    auto store = vault::SqliteCardStore::Open(opts);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    auto vault =
        vault::CardVault::Create(*store_, *keyring_, random_, clock_, vault::CardVaultOptions{});
    ASSERT_TRUE(vault.ok()) << vault.status().ToString();
    vault_ = std::move(vault).value();
    ASSERT_TRUE(fs_.CreateDirs(dir_.Sub("inbox")).ok());
    ASSERT_TRUE(fs_.CreateDirs(dir_.Sub("work")).ok());
    jobs_ = MakeVaultJobs(*vault_, *keyring_, dir_.Sub("inbox"));
  }

  Result<JobOutput> RunJob(const std::string& builtin, std::map<std::string, std::string> params,
                           std::function<Status()> check_continue = {}) {
    BridgeRequest req;
    req.id = "0123456789abcdef0123456789abcdef";
    req.job = builtin;
    req.params = std::move(params);
    JobSpec spec;
    spec.name = builtin;
    JobContext ctx{req, spec, dir_.Sub("work"), std::move(check_continue)};
    return jobs_.at(builtin)(ctx);
  }

  std::string StoreCard(const std::string& pan, int year = 2030) {
    vault::CardInput in;
    in.pan = SecretBytes::FromString(pan);
    in.exp_month = 12;
    in.exp_year = year;
    auto r = vault_->Store(in);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->card.token : "";
  }

  testing::TempDir dir_;
  PosixFileSystem fs_;
  FakeClock clock_;
  OsRandom random_;
  std::unique_ptr<keyring::Keyring> keyring_;
  std::unique_ptr<vault::SqliteCardStore> store_;
  std::unique_ptr<vault::CardVault> vault_;
  std::map<std::string, BuiltinJob> jobs_;
};

TEST_F(VaultJobsTest, TokenizeFileWritesTokensIntoTheArtifact) {
  std::ofstream(dir_.Sub("inbox/cards.csv"))
      << "id,card,expiry\n1,4111111111111111,12/30\n2,4111111111111112,12/30\n"
         "3,4111111111111111,12/30\n";
  auto out = RunJob("tokenize-file", {{"input", "cards.csv"},
                                      {"pan_column", "card"},
                                      {"exp_column", "expiry"},
                                      {"last4", "true"}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->summary, "rows=3 tokenized=2 invalid=1 invalid_lines=[3]");
  ASSERT_EQ(out->artifacts, (std::vector<std::string>{"tokenized.csv"}));
  std::ifstream f(dir_.Sub("work/tokenized.csv"));
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string csv = ss.str();
  EXPECT_FALSE(pan::ContainsPan(csv)) << csv;
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(ss, line)) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "id,card,expiry,card_last4");
  // Same PAN, same token (dedup), and the token resolves in the vault.
  const std::string token = lines[1].substr(2, lines[1].find(',', 2) - 2);
  EXPECT_EQ(lines[3], "3," + token + ",12/30,1111");
  EXPECT_EQ(lines[2], "2,,12/30,");
  auto card = vault_->Get(token);
  ASSERT_TRUE(card.ok());
  EXPECT_EQ(card->last4, "1111");
}

TEST_F(VaultJobsTest, TokenizeFileRefusesPathsOutsideTheInbox) {
  for (const char* bad : {"../vault.db", "/etc/passwd", ".hidden", ""}) {
    auto out = RunJob("tokenize-file", {{"input", bad}});
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(RunJob("tokenize-file", {{"input", "missing.csv"}}).status().code(),
            StatusCode::kNotFound);
}

TEST_F(VaultJobsTest, RotateKeysReencryptsAndRetiresOldVersion) {
  std::vector<std::string> tokens;
  for (const char* pan : {"4111111111111111", "5500000000000004", "340000000000009"}) {
    tokens.push_back(StoreCard(pan));
  }
  auto out = RunJob("rotate-keys", {{"start_new_version", "true"}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->summary, "reencrypted=3 retired=[1] active=2");
  EXPECT_EQ(keyring_->List().front().state, keyring::DekState::kRetired);
  for (const std::string& t : tokens) EXPECT_TRUE(vault_->Reveal(t).ok());
  // Running again is harmless (resumable, nothing left).
  auto again = RunJob("rotate-keys", {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->summary, "reencrypted=0 retired=[] active=2");
}

TEST_F(VaultJobsTest, PurgeExpiredDeletesOldCards) {
  std::string token = StoreCard("4111111111111111", 2026);
  clock_.Advance(std::chrono::hours(24 * 365 * 2));
  auto out = RunJob("purge-expired", {});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->summary.rfind("deleted=1 ", 0), 0u) << out->summary;
  EXPECT_EQ(vault_->Get(token).status().code(), StatusCode::kNotFound);
}

TEST_F(VaultJobsTest, TokenizeFileInManyBatchesDedupsAcrossBatchesAndTheVault) {
  const std::string known = StoreCard("5500000000000004");
  // 2.5 batches: row 1 and the last row share a PAN, one row is already
  // in the vault.
  std::string csv = "id,pan,exp\n1,4111111111111111,12/30\n2,5500000000000004,12/30\n";
  std::string pan = "400000";
  int rows = 2;
  for (int i = 0; rows < static_cast<int>(kTokenizeBatchRows * 5 / 2) - 1; ++i, ++rows) {
    std::string p = "400000" + std::to_string(100000000 + i);
    p += pan::LuhnCheckDigit(p);
    csv += std::to_string(rows + 1) + "," + p + ",12/30\n";
  }
  csv += std::to_string(rows + 1) + ",4111111111111111,12/30\n";
  ++rows;
  std::ofstream(dir_.Sub("inbox/big.csv")) << csv;
  const int64_t before = *store_->Count();
  const uint64_t commits_before = store_->GetStats().commits;
  auto out = RunJob("tokenize-file", {{"input", "big.csv"}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->summary, "rows=" + std::to_string(rows) + " tokenized=" + std::to_string(rows) +
                              " invalid=0");
  // New cards: all rows but the known one and the repeat.
  EXPECT_EQ(*store_->Count(), before + rows - 2);
  // Per batch: one commit reserves its row ids, one stores it.
  EXPECT_LE(store_->GetStats().commits - commits_before, 6u);
  std::ifstream f(dir_.Sub("work/tokenized.csv"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(f, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), static_cast<size_t>(rows) + 1);
  auto token = [](const std::string& line) {
    const size_t a = line.find(',') + 1;
    return line.substr(a, line.find(',', a) - a);
  };
  EXPECT_EQ(token(lines[1]), token(lines.back()));
  EXPECT_EQ(token(lines[2]), known);
}

TEST_F(VaultJobsTest, BuiltinsStopWhenTheRunnerSaysSo) {
  std::ofstream(dir_.Sub("inbox/cards.csv")) << "id,pan,exp\n1,4111111111111111,12/30\n";
  auto stop = []() -> Status { return DeadlineExceededError("timed out"); };
  EXPECT_EQ(RunJob("tokenize-file", {{"input", "cards.csv"}}, stop).status().code(),
            StatusCode::kDeadlineExceeded);
  EXPECT_EQ(*store_->Count(), 0);  // nothing tokenized
  EXPECT_FALSE(fs_.Exists(dir_.Sub("work/tokenized.csv")));
  StoreCard("5500000000000004");
  EXPECT_EQ(RunJob("rotate-keys", {{"start_new_version", "true"}}, stop).status().code(),
            StatusCode::kDeadlineExceeded);
  EXPECT_EQ(RunJob("purge-expired", {}, stop).status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(*store_->Count(), 1);
}

}  // namespace
}  // namespace kura::bridge
