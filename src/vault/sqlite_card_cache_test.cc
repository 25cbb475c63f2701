// The card cache of SqliteCardStore (card_cache.h, change_generation.h):
// repeated reads come from memory, and every change or delete — by this
// store or by another one on the same file, as another process would — is
// seen by the next read.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "vault/change_generation.h"
#include "vault/sqlite_card_store.h"
#include "vault/sqlite_card_store_test_util.h"

namespace kura::vault {
namespace {

class SqliteCardCacheTest : public SqliteCardStoreTest {
 protected:
  // Stores a card whose token carries its (reserved) row id, as the vault's
  // random tokens do; returns the id.
  int64_t StoreWithId(SqliteCardStore& store, const std::string& token) {
    Result<int64_t> id = store.ReserveIds(1);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    CardRecord r = MakeRecord(token, "fp_" + token);
    r.id = *id;
    EXPECT_TRUE(store.Insert(r).ok());
    return *id;
  }
};

TEST_F(SqliteCardCacheTest, RepeatedReadIsServedFromMemory) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int64_t id = StoreWithId(*store, "tok_a");
  Result<CardRecord> first = store->Get("tok_a", id);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(store->GetStats().cache_hits, 0u);
  Result<CardRecord> second = store->Get("tok_a", id);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(store->GetStats().cache_hits, 1u);
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(*second, WithId(MakeRecord("tok_a", "fp_tok_a"), id));
  // The token must match the cached record's, as on the database path.
  EXPECT_EQ(store->Get("tok_b", id).status().code(), StatusCode::kNotFound);
  // Tokens without an id (index look-ups) are not cached.
  ASSERT_TRUE(store->Insert(MakeRecord("tok_indexed", "fp_i")).ok());
  ASSERT_TRUE(store->Get("tok_indexed", 0).ok());
  ASSERT_TRUE(store->Get("tok_indexed", 0).ok());
  EXPECT_EQ(store->GetStats().cache_hits, 1u);
}

TEST_F(SqliteCardCacheTest, OwnDeleteAndResealAreSeenAtOnce) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int64_t a = StoreWithId(*store, "tok_a");
  const int64_t b = StoreWithId(*store, "tok_b");
  ASSERT_TRUE(store->Get("tok_a", a).ok());
  ASSERT_TRUE(store->Get("tok_b", b).ok());
  ASSERT_TRUE(store->UpdateSealed(b, 2, "resealed").ok());
  Result<CardRecord> b2 = store->Get("tok_b", b);
  ASSERT_TRUE(b2.ok());
  EXPECT_EQ(b2->sealed, "resealed");
  EXPECT_EQ(b2->dek_version, 2);
  ASSERT_TRUE(store->Delete("tok_a", a).ok());
  EXPECT_EQ(store->Get("tok_a", a).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->Get("tok_a", a).status().code(), StatusCode::kNotFound);
}

TEST_F(SqliteCardCacheTest, ChangesByAnotherProcessAreSeenByTheNextRead) {
  auto server = OpenStore();
  // Another process (purge, rotate-keys) on the same file; its own cache off,
  // which must not matter for what it tells the others.
  SqliteCardStoreOptions other_options;
  other_options.card_cache_entries = 0;
  auto job = OpenStoreWith(other_options);
  ASSERT_NE(server, nullptr);
  ASSERT_NE(job, nullptr);
  const int64_t a = StoreWithId(*server, "tok_a");
  const int64_t b = StoreWithId(*server, "tok_b");
  ASSERT_TRUE(server->Get("tok_a", a).ok());
  ASSERT_TRUE(server->Get("tok_b", b).ok());
  ASSERT_TRUE(server->Get("tok_a", a).ok());
  const uint64_t hits = server->GetStats().cache_hits;
  EXPECT_EQ(hits, 1u);

  ASSERT_TRUE(job->UpdateSealed(a, 3, "rotated").ok());
  Result<CardRecord> rotated = server->Get("tok_a", a);
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(rotated->sealed, "rotated");
  EXPECT_EQ(rotated->dek_version, 3);

  ASSERT_TRUE(server->Get("tok_b", b).ok());  // read again after the change
  ASSERT_TRUE(server->Get("tok_b", b).ok());  // and cached again
  EXPECT_EQ(server->GetStats().cache_hits, 2u);
  ASSERT_TRUE(job->Delete("tok_b", b).ok());
  EXPECT_EQ(server->Get("tok_b", b).status().code(), StatusCode::kNotFound);
  // New cards stored elsewhere need no invalidation and are found.
  const int64_t c = StoreWithId(*job, "tok_c");
  EXPECT_TRUE(server->Get("tok_c", c).ok());
}

TEST_F(SqliteCardCacheTest, AChangeLeftInFlightTurnsCachingOffUntilAWriterHeals) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int64_t a = StoreWithId(*store, "tok_a");
  {
    // A process that began a change and died before its End().
    Result<std::unique_ptr<ChangeGeneration>> dead = ChangeGeneration::Open(path_ + "-gen", path_);
    ASSERT_TRUE(dead.ok());
    (*dead)->Begin();
  }
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->Get("tok_a", a).ok());
  EXPECT_EQ(store->GetStats().cache_hits, 0u);
  // Any write transaction heals it (holding the write lock).
  StoreWithId(*store, "tok_b");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->Get("tok_a", a).ok());
  EXPECT_EQ(store->GetStats().cache_hits, 2u);
}

// A change genuinely in flight in another process (holding the write lock
// between its Begin() and its commit) must stay marked: a store's writer
// heals only once it holds the write lock itself, i.e. after that commit.
TEST_F(SqliteCardCacheTest, AChangeInFlightElsewhereStaysMarkedUntilItsCommit) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int64_t a = StoreWithId(*store, "tok_a");
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  sqlite3_busy_timeout(other, 5000);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Result<std::unique_ptr<ChangeGeneration>> gen = ChangeGeneration::Open(path_ + "-gen", path_);
  ASSERT_TRUE(gen.ok());
  const uint64_t change = (*gen)->Begin();
  // The store's writer now waits for the lock (busy timeout) with a batch
  // that would heal; give it time to try.
  std::thread writer([&] { StoreWithId(*store, "tok_b"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ((*gen)->Load(), change);
  // Reads meanwhile are right and not cached.
  EXPECT_TRUE(store->Get("tok_a", a).ok());
  EXPECT_TRUE(store->Get("tok_a", a).ok());
  EXPECT_EQ(store->GetStats().cache_hits, 0u);
  EXPECT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  (*gen)->End(change);
  writer.join();
  sqlite3_close(other);
  EXPECT_TRUE(ChangeGeneration::IsStable((*gen)->Load()));
}

TEST_F(SqliteCardCacheTest, OpeningTheStoreHealsAChangeLeftInFlight) {
  {
    auto first = OpenStore();
    ASSERT_NE(first, nullptr);
  }
  {
    Result<std::unique_ptr<ChangeGeneration>> dead = ChangeGeneration::Open(path_ + "-gen", path_);
    ASSERT_TRUE(dead.ok());
    (*dead)->Begin();
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<std::unique_ptr<ChangeGeneration>> gen = ChangeGeneration::Open(path_ + "-gen", path_);
  ASSERT_TRUE(gen.ok());
  EXPECT_TRUE(ChangeGeneration::IsStable((*gen)->Load()));
  EXPECT_EQ(FileMode(path_ + "-gen"), 0600u);
}

TEST_F(SqliteCardCacheTest, CacheCanBeTurnedOff) {
  SqliteCardStoreOptions options;
  options.card_cache_entries = 0;
  auto store = OpenStoreWith(options);
  ASSERT_NE(store, nullptr);
  const int64_t a = StoreWithId(*store, "tok_a");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->Get("tok_a", a).ok());
  EXPECT_EQ(store->GetStats().cache_hits, 0u);
}

// Readers in this process race re-encryptions by "another process": a read
// that starts after a re-encryption returned must never see an older blob.
TEST_F(SqliteCardCacheTest, NoReadStartedAfterAChangeSeesTheOldRecord) {
  auto server = OpenStore();
  auto job = OpenStore();
  ASSERT_NE(server, nullptr);
  ASSERT_NE(job, nullptr);
  const int64_t a = StoreWithId(*server, "tok_a");
  ASSERT_TRUE(job->UpdateSealed(a, 1, "v0").ok());
  constexpr int kVersions = 60;
  std::atomic<int> completed{0};
  std::atomic<bool> done{false};
  std::atomic<int> stale{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!done.load()) {
        const int floor = completed.load();
        Result<CardRecord> r = server->Get("tok_a", a);
        if (!r.ok()) {
          errors.fetch_add(1);
          continue;
        }
        if (std::stoi(r->sealed.substr(1)) < floor) stale.fetch_add(1);
      }
    });
  }
  int updated = 0;
  for (int v = 1; v <= kVersions; ++v) {
    if (!job->UpdateSealed(a, 1, "v" + std::to_string(v)).ok()) break;  // checked below
    updated = v;
    completed.store(v);
    std::this_thread::yield();
  }
  done.store(true);
  for (std::thread& t : readers) t.join();
  ASSERT_EQ(updated, kVersions);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(stale.load(), 0);
  Result<CardRecord> last = server->Get("tok_a", a);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->sealed, "v" + std::to_string(kVersions));
  EXPECT_GT(server->GetStats().cache_hits, 0u);
}

}  // namespace
}  // namespace kura::vault
