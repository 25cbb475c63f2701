#include "vault/sqlite_card_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "vault/card.h"
#include "vault/sqlite_card_store_test_util.h"

namespace kura::vault {
namespace {

namespace fs = std::filesystem;

TEST_F(SqliteCardStoreTest, InsertGetDelete) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const CardRecord rec = MakeRecord("tok_a", "fp_a");
  ASSERT_TRUE(store->Insert(rec).ok());

  Result<CardRecord> got = store->Get("tok_a", 0);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_GT(got->id, 0);  // assigned by the store
  EXPECT_EQ(*got, WithId(rec, got->id));
  EXPECT_EQ(got->sealed.size(), rec.sealed.size());
  Result<int64_t> count = store->Count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 1);

  EXPECT_EQ(store->Get("tok_missing", 0).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store->Delete("tok_a", 0).ok());
  EXPECT_EQ(store->Get("tok_a", 0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->Delete("tok_a", 0).code(), StatusCode::kNotFound);
  EXPECT_EQ(*store->Count(), 0);
}

TEST_F(SqliteCardStoreTest, GetByFingerprintReturnsTheFirstStored) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Insert(MakeRecord("tok_first", "fp")).ok());
  ASSERT_TRUE(store->Insert(MakeRecord("tok_second", "fp")).ok());
  ASSERT_TRUE(store->Insert(MakeRecord("tok_third", "fp")).ok());
  Result<CardRecord> got = store->GetByFingerprint(Fp("fp"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->token, "tok_first");
  EXPECT_EQ(store->GetByFingerprint(Fp("fp_none")).status().code(), StatusCode::kNotFound);
  // Once it is deleted, the next one stored takes its place, also for
  // de-duplication; a later card with that PAN does not jump ahead.
  ASSERT_TRUE(store->Delete("tok_first", 0).ok());
  EXPECT_EQ(store->GetByFingerprint(Fp("fp"))->token, "tok_second");
  ASSERT_TRUE(store->Insert(MakeRecord("tok_fourth", "fp")).ok());
  EXPECT_EQ(store->GetByFingerprint(Fp("fp"))->token, "tok_second");
  EXPECT_EQ(store->InsertOrGetByFingerprint(MakeRecord("tok_fifth", "fp"))->record.token,
            "tok_second");
  ASSERT_TRUE(store->Delete("tok_second", 0).ok());
  ASSERT_TRUE(store->Delete("tok_third", 0).ok());
  EXPECT_EQ(store->GetByFingerprint(Fp("fp"))->token, "tok_fourth");
  ASSERT_TRUE(store->Delete("tok_fourth", 0).ok());
  EXPECT_EQ(store->GetByFingerprint(Fp("fp")).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->InsertOrGetByFingerprint(MakeRecord("tok_sixth", "fp"))->inserted);
}

// Fingerprints are stored and compared as the bytes they are: NUL and high
// bytes included, one differing byte a different card.
TEST_F(SqliteCardStoreTest, FingerprintsAreRawBytes) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::string binary("\x00\xff\x80" "fp\x00", 6);
  CardRecord a = MakeRecord("tok_a", "");
  a.fingerprint = binary;
  ASSERT_TRUE(store->InsertOrGetByFingerprint(a).ok());
  Result<CardRecord> found = store->GetByFingerprint(binary);
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ(found->token, "tok_a");
  EXPECT_EQ(found->fingerprint, binary);
  CardRecord again = MakeRecord("tok_again", "");
  again.fingerprint = binary;
  Result<InsertOutcome> dup = store->InsertOrGetByFingerprint(again);
  ASSERT_TRUE(dup.ok());
  EXPECT_FALSE(dup->inserted);
  EXPECT_EQ(dup->record.token, "tok_a");
  CardRecord other = MakeRecord("tok_b", "");
  other.fingerprint = std::string("\x00\xff\x80" "fp\x01", 6);
  Result<InsertOutcome> b = store->InsertOrGetByFingerprint(other);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->inserted);
  EXPECT_EQ(store->GetByFingerprint(binary.substr(0, 5)).status().code(), StatusCode::kNotFound);
}

TEST_F(SqliteCardStoreTest, RejectsInvalidRecords) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  CardRecord r = MakeRecord("", "fp");
  EXPECT_EQ(store->Insert(r).code(), StatusCode::kInvalidArgument);
  r = MakeRecord(std::string(kMaxTokenLength + 1, 't'), "fp");
  EXPECT_EQ(store->Insert(r).code(), StatusCode::kInvalidArgument);
  r = MakeRecord("tok_x", "");
  EXPECT_EQ(store->InsertOrGetByFingerprint(r).status().code(), StatusCode::kInvalidArgument);
  // Fingerprints are raw bytes, 1 to kMaxFingerprintBytes of them.
  r = MakeRecord("tok_x", "fp");
  r.fingerprint = std::string(kMaxFingerprintBytes + 1, 'a');
  const Status too_long = store->Insert(r);
  EXPECT_EQ(too_long.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.message().find("fingerprint"), std::string::npos) << too_long.message();
  EXPECT_EQ(store->InsertOrGetByFingerprint(r).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->GetByFingerprint("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->GetByFingerprint(std::string(kMaxFingerprintBytes + 1, 'a')).status().code(),
            StatusCode::kInvalidArgument);
  r = MakeRecord("tok_x", "fp");
  r.sealed.clear();
  EXPECT_EQ(store->Insert(r).code(), StatusCode::kInvalidArgument);
  r = MakeRecord("tok_x", "fp");
  r.sealed.assign(kMaxSealedSize + 1, 'x');
  EXPECT_EQ(store->Insert(r).code(), StatusCode::kInvalidArgument);
  r = MakeRecord("tok_x", "fp");
  r.exp_month = 13;
  EXPECT_EQ(store->Insert(r).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Get("", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store->Count(), 0);
}

TEST_F(SqliteCardStoreTest, DuplicateTokenIsAlreadyExistsWithoutLeakingIt) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Insert(MakeRecord("tok_secretish", "fp1")).ok());
  Status dup = store->Insert(MakeRecord("tok_secretish", "fp2"));
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.message().find("tok_secretish"), std::string::npos);
  EXPECT_EQ(store->Get("tok_secretish", 0)->fingerprint, Fp("fp1"));
  // The writer keeps working after a failed operation.
  EXPECT_TRUE(store->Insert(MakeRecord("tok_other", "fp3")).ok());
  EXPECT_EQ(*store->Count(), 2);
}

TEST_F(SqliteCardStoreTest, PersistsAcrossReopen) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Insert(MakeRecord("tok_keep", "fp")).ok());
    ASSERT_TRUE(store->ConsumeNonce("jti-1", kJan1st2026 + 60'000).ok());
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<CardRecord> got = store->Get("tok_keep", 0);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, WithId(MakeRecord("tok_keep", "fp"), got->id));
  // A replayed grant stays rejected after a restart.
  EXPECT_EQ(store->ConsumeNonce("jti-1", kJan1st2026 + 60'000).code(),
            StatusCode::kAlreadyExists);
}

TEST_F(SqliteCardStoreTest, InsertOrGetByFingerprint) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<InsertOutcome> first = store->InsertOrGetByFingerprint(MakeRecord("tok_1", "fp"));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->inserted);
  EXPECT_EQ(first->record.token, "tok_1");
  Result<InsertOutcome> second = store->InsertOrGetByFingerprint(MakeRecord("tok_2", "fp"));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->inserted);
  EXPECT_EQ(second->record, WithId(MakeRecord("tok_1", "fp"), first->record.id));
  EXPECT_EQ(store->Get("tok_2", 0).status().code(), StatusCode::kNotFound);
  // New fingerprint but a taken token: the caller must draw a new token.
  EXPECT_EQ(store->InsertOrGetByFingerprint(MakeRecord("tok_1", "fp_other")).status().code(),
            StatusCode::kAlreadyExists);
}

TEST_F(SqliteCardStoreTest, DedupRaceInsertsExactlyOnce) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 16;
  std::vector<std::thread> threads;
  std::vector<Result<InsertOutcome>> results(kThreads, InternalError("not run"));
  std::atomic<bool> go{false};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      results[i] = store->InsertOrGetByFingerprint(
          MakeRecord("tok_race_" + std::to_string(i), "fp_same"));
    });
  }
  go.store(true);
  for (auto& t : threads) t.join();
  int inserted = 0;
  std::set<std::string> tokens;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    inserted += r->inserted ? 1 : 0;
    tokens.insert(r->record.token);
  }
  EXPECT_EQ(inserted, 1);
  EXPECT_EQ(tokens.size(), 1u);
  EXPECT_EQ(*store->Count(), 1);
}

// InsertAsync: many in flight from one thread, each answered from the
// writer thread after its commit; dedup works across them (one insert); a
// bad record is refused at once on the calling thread.
TEST_F(SqliteCardStoreTest, InsertAsyncAnswersOffTheCallersThreadAfterTheCommit) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  constexpr int kCards = 40;
  const std::thread::id caller = std::this_thread::get_id();
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0;
  bool answered_on_caller = false;
  std::vector<Result<InsertOutcome>> results(kCards, InternalError("not run"));
  for (int i = 0; i < kCards; ++i) {
    const bool dedup = i % 2 == 1;  // odd: all the same card
    const CardRecord r = MakeRecord("tok_async_" + std::to_string(i),
                                    dedup ? "fp_same" : "fp_" + std::to_string(i));
    store->InsertAsync(r, dedup, [&, i](Result<InsertOutcome> out) {
      std::lock_guard<std::mutex> lock(mu);
      results[i] = std::move(out);
      if (std::this_thread::get_id() == caller) answered_on_caller = true;
      ++answered;
      cv.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return answered == kCards; }));
  }
  EXPECT_FALSE(answered_on_caller);
  std::set<std::string> dedup_tokens;
  int dedup_inserted = 0;
  for (int i = 0; i < kCards; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status().ToString();
    if (i % 2 == 0) {
      EXPECT_TRUE(results[i]->inserted);
      EXPECT_EQ(results[i]->record.token, "tok_async_" + std::to_string(i));
    } else {
      dedup_inserted += results[i]->inserted ? 1 : 0;
      dedup_tokens.insert(results[i]->record.token);
    }
  }
  EXPECT_EQ(dedup_inserted, 1);
  EXPECT_EQ(dedup_tokens.size(), 1u);
  EXPECT_EQ(*store->Count(), kCards / 2 + 1);
  Result<CardRecord> got = store->Get("tok_async_2", 0);
  ASSERT_TRUE(got.ok());  // durable and visible once answered
  EXPECT_EQ(got->sealed, MakeRecord("tok_async_2", "x").sealed);

  Result<InsertOutcome> bad = InternalError("not called");
  std::thread::id bad_on;
  store->InsertAsync(MakeRecord("", "fp_bad"), false, [&](Result<InsertOutcome> out) {
    bad = std::move(out);
    bad_on = std::this_thread::get_id();
  });
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_on, caller);
}

TEST_F(SqliteCardStoreTest, GroupCommitBatchesConcurrentWrites) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 64;
  constexpr int kPerThread = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = std::to_string(t) + "_" + std::to_string(i);
        if (!store->Insert(MakeRecord("tok_" + id, "fp_" + id)).ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*store->Count(), kThreads * kPerThread);
  const SqliteCardStore::Stats stats = store->GetStats();
  EXPECT_EQ(stats.ops, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_LT(stats.commits, stats.ops);
  EXPECT_GT(stats.commits, 0u);
}

TEST_F(SqliteCardStoreTest, FailingOperationDoesNotFailItsBatch) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 32;
  constexpr int kRounds = 10;
  std::atomic<int> dup_ok{0};
  std::atomic<int> dup_exists{0};
  std::atomic<int> unique_failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        const std::string id = std::to_string(t) + "_" + std::to_string(i);
        Status dup = store->Insert(MakeRecord("tok_dup_" + std::to_string(i), "fp_dup" + id));
        if (dup.ok()) dup_ok.fetch_add(1);
        if (dup.code() == StatusCode::kAlreadyExists) dup_exists.fetch_add(1);
        if (!store->Insert(MakeRecord("tok_" + id, "fp_" + id)).ok()) unique_failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(dup_ok.load(), kRounds);
  EXPECT_EQ(dup_exists.load(), kThreads * kRounds - kRounds);
  EXPECT_EQ(unique_failures.load(), 0);
  EXPECT_EQ(*store->Count(), kThreads * kRounds + kRounds);
  // Failed duplicates shared transactions with successful inserts.
  const SqliteCardStore::Stats stats = store->GetStats();
  EXPECT_EQ(stats.ops, static_cast<uint64_t>(2 * kThreads * kRounds));
  EXPECT_LT(stats.commits, stats.ops);
}

TEST_F(SqliteCardStoreTest, InsertBatchIsOneCommitWithPerItemOutcomes) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Insert(MakeRecord("tok_old", "fp_old")).ok());
  const uint64_t commits_before = store->GetStats().commits;
  std::vector<BatchInsertItem> items;
  for (int i = 0; i < 1000; ++i) {
    items.push_back({MakeRecord("tok_" + std::to_string(i), "fp_" + std::to_string(i)), true});
  }
  items.push_back({MakeRecord("tok_again", "fp_7"), true});        // dedup within the batch
  items.push_back({MakeRecord("tok_new_for_old", "fp_old"), true});  // dedup against the store
  items.push_back({MakeRecord("tok_old", "fp_clash"), true});       // token taken
  CardRecord bad = MakeRecord("tok_bad", "fp_bad");
  bad.exp_month = 13;
  items.push_back({bad, true});                                  // invalid record
  items.push_back({MakeRecord("tok_nodedup", "fp_7"), false});    // dedup off: stored anyway
  Result<std::vector<Result<InsertOutcome>>> r = store->InsertBatch(items);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), items.size());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE((*r)[i].ok());
    EXPECT_TRUE((*r)[i]->inserted);
  }
  ASSERT_TRUE((*r)[1000].ok());
  EXPECT_FALSE((*r)[1000]->inserted);
  EXPECT_EQ((*r)[1000]->record.token, "tok_7");
  ASSERT_TRUE((*r)[1001].ok());
  EXPECT_FALSE((*r)[1001]->inserted);
  EXPECT_EQ((*r)[1001]->record.token, "tok_old");
  EXPECT_EQ((*r)[1002].status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ((*r)[1003].status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE((*r)[1004].ok());
  EXPECT_TRUE((*r)[1004]->inserted);
  EXPECT_EQ(*store->Count(), 1 + 1000 + 1);
  EXPECT_EQ(store->GetStats().commits, commits_before + 1);
  EXPECT_EQ(store->Get("tok_999", 0)->fingerprint, Fp("fp_999"));
  EXPECT_EQ(store->Get("tok_again", 0).status().code(), StatusCode::kNotFound);
  // Durable: visible after reopening.
  store.reset();
  store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->Count(), 1002);
}

TEST_F(SqliteCardStoreTest, InsertBatchOfOnlyInvalidItemsWritesNothing) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  CardRecord bad = MakeRecord("", "fp");
  Result<std::vector<Result<InsertOutcome>>> r = store->InsertBatch({{bad, true}});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->GetStats().commits, 0u);
  EXPECT_TRUE(store->InsertBatch({})->empty());
}

TEST_F(SqliteCardStoreTest, ListExpiredMatchesCardExpiredBefore) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::vector<std::pair<int, int>> expiries = {
      {12, 2025}, {1, 2026}, {2, 2026}, {11, 2024}, {1, 2027}};
  std::vector<int64_t> ids;
  for (size_t i = 0; i < expiries.size(); ++i) {
    CardRecord r = MakeRecord("tok_" + std::to_string(i), "fp_" + std::to_string(i));
    r.exp_month = expiries[i].first;
    r.exp_year = expiries[i].second;
    ASSERT_TRUE(store->Insert(r).ok());
    Result<CardRecord> stored = store->Get(r.token, 0);
    ASSERT_TRUE(stored.ok());
    ids.push_back(stored->id);
  }
  const TimePoint feb1 = ExpiryEnd(1, 2026);
  for (TimePoint before : {feb1 - std::chrono::milliseconds(1), feb1}) {
    Result<std::vector<CardRecord>> list = store->ListExpired(before, 100, 0);
    ASSERT_TRUE(list.ok()) << list.status().ToString();
    size_t expected = 0;
    for (const auto& [m, y] : expiries) expected += CardExpiredBefore(m, y, before) ? 1 : 0;
    EXPECT_EQ(list->size(), expected);
    for (const CardRecord& r : *list) EXPECT_TRUE(CardExpiredBefore(r.exp_month, r.exp_year, before));
  }
  // Expired before February 2026: cards 0, 1 and 3, in id order.
  Result<std::vector<CardRecord>> list = store->ListExpired(feb1, 100, 0);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].id, ids[0]);
  EXPECT_EQ((*list)[1].id, ids[1]);
  EXPECT_EQ((*list)[2].id, ids[3]);
  // Page by page: each page starts after the last id of the one before.
  std::vector<int64_t> paged;
  int64_t after = 0;
  for (;;) {
    Result<std::vector<CardRecord>> page = store->ListExpired(feb1, 2, after);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const CardRecord& r : *page) paged.push_back(r.id);
    if (page->size() < 2) break;
    after = page->back().id;
  }
  EXPECT_EQ(paged, (std::vector<int64_t>{ids[0], ids[1], ids[3]}));
  EXPECT_TRUE(store->ListExpired(feb1, 100, ids[3])->empty());  // the last expired card
  EXPECT_EQ(store->ListExpired(feb1, 0, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->ListExpired(feb1, 1, -1).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SqliteCardStoreTest, DekVersionPaginationAndUpdate) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store->Insert(MakeRecord("tok_v1_" + std::to_string(i), "fp1" + std::to_string(i))).ok());
  }
  for (int i = 0; i < 3; ++i) {
    CardRecord r = MakeRecord("tok_v2_" + std::to_string(i), "fp2" + std::to_string(i));
    r.dek_version = 2;
    ASSERT_TRUE(store->Insert(r).ok());
  }
  std::vector<std::string> seen;
  std::vector<int64_t> ids;
  int64_t after = 0;
  for (;;) {
    Result<std::vector<CardRecord>> page = store->ListByDekVersion(1, 2, after);
    ASSERT_TRUE(page.ok());
    if (page->empty()) break;
    EXPECT_LE(page->size(), 2u);
    for (const CardRecord& r : *page) {
      EXPECT_EQ(r.dek_version, 1);
      seen.push_back(r.token);
      ids.push_back(r.id);
    }
    after = page->back().id;
  }
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));  // inserted in this order
  EXPECT_EQ(*store->CountByDekVersion(1), 5);
  EXPECT_EQ(*store->CountByDekVersion(2), 3);

  const int64_t id0 = store->Get("tok_v1_0", 0)->id;
  ASSERT_TRUE(store->UpdateSealed(id0, 2, "resealed").ok());
  Result<CardRecord> got = store->Get("tok_v1_0", 0);
  EXPECT_EQ(got->dek_version, 2);
  EXPECT_EQ(got->sealed, "resealed");
  EXPECT_EQ(*store->CountByDekVersion(1), 4);
  EXPECT_EQ(*store->CountByDekVersion(2), 4);
  EXPECT_EQ(store->UpdateSealed(999'999, 2, "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(store->UpdateSealed(id0, 2, "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->ListByDekVersion(1, 0, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->ListByDekVersion(1, 1, -1).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SqliteCardStoreTest, NonceReplayAndPurge) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->ConsumeNonce("a", 1'000).ok());
  ASSERT_TRUE(store->ConsumeNonce("b", 2'000).ok());
  Status replay = store->ConsumeNonce("a", 1'000);
  EXPECT_EQ(replay.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store->ConsumeNonce("", 1'000).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->ConsumeNonce(std::string(kMaxNonceLength + 1, 'n'), 1'000).code(),
            StatusCode::kInvalidArgument);

  Result<int64_t> purged = store->PurgeNonces(1'500);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1);
  EXPECT_TRUE(store->ConsumeNonce("a", 3'000).ok());  // forgotten once expired
  EXPECT_EQ(store->ConsumeNonce("b", 2'000).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(*store->PurgeNonces(1'500), 0);
}

TEST_F(SqliteCardStoreTest, FilesAreOwnerOnlyRegardlessOfUmask) {
  const mode_t old_umask = ::umask(0);
  auto store = OpenStore();
  ::umask(old_umask);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Insert(MakeRecord("tok_a", "fp")).ok());
  EXPECT_EQ(FileMode(path_), 0600u);
  ASSERT_TRUE(fs::exists(path_ + "-wal"));
  ASSERT_TRUE(fs::exists(path_ + "-shm"));
  EXPECT_EQ(FileMode(path_ + "-wal"), 0600u);
  EXPECT_EQ(FileMode(path_ + "-shm"), 0600u);
}

TEST_F(SqliteCardStoreTest, TightensExistingFileMode) {
  { std::ofstream create(path_); }
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(FileMode(path_), 0600u);
}

TEST_F(SqliteCardStoreTest, DeletedDataLeavesNoTraceInFiles) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::string marker = "ZZ-sealed-marker-7f3a9c-ZZ";
  CardRecord rec = MakeRecord("tok_gone", "fp_gone");
  rec.sealed = marker;
  ASSERT_TRUE(store->Insert(rec).ok());
  ASSERT_TRUE(store->Insert(MakeRecord("tok_stays", "fp_stays")).ok());
  const auto on_disk = [&] { return ReadFileBytes(path_) + ReadFileBytes(path_ + "-wal"); };
  ASSERT_NE(on_disk().find(marker), std::string::npos);  // the check can see it

  ASSERT_TRUE(store->Delete("tok_gone", 0).ok());
  EXPECT_EQ(on_disk().find(marker), std::string::npos);
  EXPECT_EQ(fs::file_size(path_ + "-wal"), 0u);  // truncated by the checkpoint
  EXPECT_TRUE(store->Get("tok_stays", 0).ok());
}

TEST_F(SqliteCardStoreTest, ResealLeavesNoOldBlob) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::string marker = "YY-old-dek-blob-41c2-YY";
  CardRecord rec = MakeRecord("tok_r", "fp_r");
  rec.sealed = marker;
  ASSERT_TRUE(store->Insert(rec).ok());
  ASSERT_TRUE(store->UpdateSealed(store->Get("tok_r", 0)->id, 2, "new-blob").ok());
  const std::string bytes = ReadFileBytes(path_) + ReadFileBytes(path_ + "-wal");
  EXPECT_EQ(bytes.find(marker), std::string::npos);
  EXPECT_NE(bytes.find("new-blob"), std::string::npos);
}

TEST_F(SqliteCardStoreTest, OpenErrors) {
  SqliteCardStoreOptions options;
  EXPECT_EQ(SqliteCardStore::Open(options).status().code(), StatusCode::kInvalidArgument);
  options.path = dir_ + "/missing/cards.db";
  EXPECT_EQ(SqliteCardStore::Open(options).status().code(), StatusCode::kNotFound);
  options.path = path_;
  options.max_batch = 0;
  EXPECT_EQ(SqliteCardStore::Open(options).status().code(), StatusCode::kInvalidArgument);
  options.max_batch = kDefaultMaxBatch;
  options.checkpoint_bytes = 0;
  EXPECT_EQ(SqliteCardStore::Open(options).status().code(), StatusCode::kInvalidArgument);
}

// A new vault gets 8 KiB pages; a file created with other pages (an older
// vault) keeps them: SQLite fixes the page size when a database is created.
TEST_F(SqliteCardStoreTest, NewFilesGetEightKibPagesOldOnesKeepTheirs) {
  {
    std::unique_ptr<SqliteCardStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Insert(MakeRecord("tok_new", "fp_new")).ok());
  }
  EXPECT_EQ(ReadInt(path_, "PRAGMA page_size"), 8192);

  const std::string old_path = dir_ + "/old.db";
  ExecSql(old_path,
          "PRAGMA page_size=4096;"
          "CREATE TABLE schema_version (version INTEGER NOT NULL);");
  SqliteCardStoreOptions options;
  options.path = old_path;
  {
    Result<std::unique_ptr<SqliteCardStore>> store = SqliteCardStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Insert(MakeRecord("tok_old", "fp_old")).ok());
    EXPECT_EQ((*store)->Get("tok_old", 0)->token, "tok_old");
  }
  EXPECT_EQ(ReadInt(old_path, "PRAGMA page_size"), 4096);
}

TEST_F(SqliteCardStoreTest, RefusesNonDatabaseFile) {
  {
    std::ofstream garbage(path_, std::ios::binary);
    garbage << std::string(4096, 'g');
  }
  SqliteCardStoreOptions options;
  options.path = path_;
  EXPECT_EQ(SqliteCardStore::Open(options).status().code(), StatusCode::kDataLoss);
}

TEST_F(SqliteCardStoreTest, RefusesSymlink) {
  const std::string target = dir_ + "/target.db";
  { std::ofstream create(target); }
  fs::create_symlink(target, path_);
  SqliteCardStoreOptions options;
  options.path = path_;
  EXPECT_EQ(SqliteCardStore::Open(options).status().code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace kura::vault
