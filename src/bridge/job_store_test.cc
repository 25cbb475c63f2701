#include "bridge/job_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "bridge/test_util.h"

namespace kura::bridge {
namespace {

TEST(JobStoreTest, ClaimOnceThenRunningThenDone) {
  testing::TempDir dir;
  auto store = JobStore::Open(dir.Sub("bridge.db"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto a = (*store)->Claim("airflow", "k1", "id1", "job", "r1", 10);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->outcome, ClaimOutcome::kClaimed);
  auto b = (*store)->Claim("airflow", "k1", "id2", "job", "r2", 11);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->outcome, ClaimOutcome::kRunning);
  EXPECT_EQ(b->row.request_id, "id1");
  EXPECT_EQ(b->row.runner, "r1");
  // Same key from another submitter is a different request.
  EXPECT_EQ((*store)->Claim("cron", "k1", "id3", "job", "r1", 12)->outcome, ClaimOutcome::kClaimed);
  ASSERT_TRUE((*store)->Finish("airflow", "k1", "{\"status\":\"succeeded\"}").ok());
  auto c = (*store)->Claim("airflow", "k1", "id4", "job", "r1", 13);
  EXPECT_EQ(c->outcome, ClaimOutcome::kDone);
  EXPECT_EQ(c->row.result_payload, "{\"status\":\"succeeded\"}");
  EXPECT_EQ((*store)->Finish("airflow", "nope", "{}").code(), StatusCode::kNotFound);
}

TEST(JobStoreTest, SurvivesReopenAndListsRunningRows) {
  testing::TempDir dir;
  {
    auto store = JobStore::Open(dir.Sub("bridge.db"));
    ASSERT_TRUE((*store)->Claim("s", "k", "id", "job", "r1", 1).ok());
  }
  auto store = JobStore::Open(dir.Sub("bridge.db"));
  auto rows = (*store)->RunningFor("r1");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].request_id, "id");
  EXPECT_TRUE((*store)->RunningFor("r2")->empty());
  ASSERT_TRUE((*store)->Release("s", "k").ok());
  EXPECT_EQ((*store)->Release("s", "k").code(), StatusCode::kNotFound);
  EXPECT_EQ((*store)->Claim("s", "k", "id", "job", "r1", 2)->outcome, ClaimOutcome::kClaimed);
  auto found = (*store)->FindByRequestId("id");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
}

TEST(JobStoreTest, RacingStoresClaimExactlyOnce) {
  testing::TempDir dir;
  constexpr int kStores = 4;
  constexpr int kKeys = 50;
  std::vector<std::unique_ptr<JobStore>> stores;
  for (int i = 0; i < kStores; ++i) {
    auto s = JobStore::Open(dir.Sub("bridge.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    stores.push_back(std::move(*s));
  }
  std::atomic<int> claimed{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kStores; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < kKeys; ++k) {
        auto r = stores[i]->Claim("s", "k" + std::to_string(k), "id" + std::to_string(k), "job",
                                  "r" + std::to_string(i), 1);
        if (!r.ok()) {
          ++errors;
        } else if (r->outcome == ClaimOutcome::kClaimed) {
          ++claimed;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(claimed.load(), kKeys);
}

TEST(JobStoreTest, NotADatabaseIsDataLoss) {
  testing::TempDir dir;
  FILE* f = fopen(dir.Sub("bad.db").c_str(), "w");
  fputs("this is not a sqlite database, just some text that is long enough to matter\n", f);
  fclose(f);
  auto store = JobStore::Open(dir.Sub("bad.db"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
}

TEST(JobStoreTest, LeasesRenewTakeOverOnceAndFenceTheOldOwner) {
  testing::TempDir dir;
  auto a = JobStore::Open(dir.Sub("bridge.db"));
  auto b = JobStore::Open(dir.Sub("bridge.db"));
  auto c = JobStore::Open(dir.Sub("bridge.db"));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  auto claim = (*a)->Claim("s", "k", "id", "job", "r1", 1000, 61'000);
  ASSERT_TRUE(claim.ok());
  EXPECT_EQ(claim->row.lease_expires_ms, 61'000);
  ASSERT_TRUE((*a)->RenewLease("s", "k", "r1", 90'000).ok());
  EXPECT_EQ((*(*b)->FindByRequestId("id"))->lease_expires_ms, 90'000);
  // Not expired yet: nobody takes over.
  JobRow seen = **(*b)->FindByRequestId("id");
  EXPECT_FALSE((*b)->TakeOver(seen, "r2", 89'999, 150'000)->has_value());
  // Expired: of two runners that read the same row, exactly one wins.
  auto won_b = (*b)->TakeOver(seen, "r2", 90'000, 150'000);
  auto won_c = (*c)->TakeOver(seen, "r3", 90'001, 150'001);
  ASSERT_TRUE(won_b.ok() && won_c.ok());
  EXPECT_TRUE(won_b->has_value());
  EXPECT_FALSE(won_c->has_value());
  EXPECT_EQ((*won_b)->runner, "r2");
  // The old owner is fenced off: it can neither renew nor finish.
  EXPECT_EQ((*a)->RenewLease("s", "k", "r1", 200'000).code(), StatusCode::kAborted);
  EXPECT_EQ((*a)->FinishOwned("s", "k", "r1", "{}").code(), StatusCode::kAborted);
  ASSERT_TRUE((*b)->FinishOwned("s", "k", "r2", "{\"status\":\"failed\"}").ok());
  EXPECT_EQ((*c)->Claim("s", "k", "id2", "job", "r3", 1)->outcome, ClaimOutcome::kDone);
  // Done rows have no lease to renew.
  EXPECT_EQ((*b)->RenewLease("s", "k", "r2", 300'000).code(), StatusCode::kAborted);
  // A row without a lease is never taken over.
  ASSERT_TRUE((*a)->Claim("s", "k2", "id3", "job", "r1", 1).ok());
  JobRow no_lease = **(*b)->FindByRequestId("id3");
  EXPECT_EQ(no_lease.lease_expires_ms, 0);
  EXPECT_FALSE((*b)->TakeOver(no_lease, "r2", INT64_MAX, 1)->has_value());
}

TEST(JobStoreTest, DatabaseFromBeforeLeasesIsMigrated) {
  testing::TempDir dir;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.Sub("old.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE bridge_jobs ("
                           " submitter TEXT NOT NULL, idem_key TEXT NOT NULL,"
                           " request_id TEXT NOT NULL, job TEXT NOT NULL,"
                           " state TEXT NOT NULL CHECK (state IN ('running','done')),"
                           " runner TEXT NOT NULL, claimed_ms INTEGER NOT NULL, result_payload "
                           "TEXT, PRIMARY KEY (submitter, idem_key));"
                           "INSERT INTO bridge_jobs VALUES ('s','k','id','job','running','r1',5,NULL);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = JobStore::Open(dir.Sub("old.db"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto rows = (*store)->RunningFor("r1");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].lease_expires_ms, 0);  // no lease: only a restart recovers it
  ASSERT_TRUE((*store)->RenewLease("s", "k", "r1", 99).ok());
  // Opening again does not migrate twice.
  auto again = JobStore::Open(dir.Sub("old.db"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*(*again)->FindByRequestId("id"))->lease_expires_ms, 99);
}

}  // namespace
}  // namespace kura::bridge
