#include "bridge/job_store.h"

#include <gtest/gtest.h>

#include <atomic>
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

}  // namespace
}  // namespace kura::bridge
