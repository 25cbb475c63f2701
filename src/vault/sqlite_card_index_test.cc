#include "vault/sqlite_card_index.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "vault/slot_bucket.h"
#include "vault/sqlite_card_store_test_util.h"

namespace kura::vault {
namespace {

namespace fs = std::filesystem;

// Fingerprints sharing their first 8 bytes (the slot key) but not the rest:
// one takes the slot, the others go to the overflow, and every look-up is
// exact — in single inserts and in a batch (which skips the overflow probe
// only while the overflow is empty).
TEST_F(SqliteCardStoreTest, FingerprintPrefixClashesAreExact) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  // "samepref" is 8 bytes: these fingerprints differ only after it.
  ASSERT_TRUE(store->InsertOrGetByFingerprint(MakeRecord("tok_a", "samepref-a"))->inserted);
  ASSERT_TRUE(store->InsertOrGetByFingerprint(MakeRecord("tok_b", "samepref-b"))->inserted);
  EXPECT_EQ(store->InsertOrGetByFingerprint(MakeRecord("tok_x", "samepref-a"))->record.token,
            "tok_a");
  EXPECT_EQ(store->InsertOrGetByFingerprint(MakeRecord("tok_y", "samepref-b"))->record.token,
            "tok_b");
  EXPECT_EQ(store->GetByFingerprint(Fp("samepref-c")).status().code(), StatusCode::kNotFound);

  std::vector<BatchInsertItem> batch;
  for (const auto& [token, label] : std::vector<std::pair<std::string, std::string>>{
           {"tok_c", "samepref-c"},  // a third clash, new
           {"tok_z", "samepref-b"},  // an existing one, in the overflow
           {"tok_d", "otherpre-d"},  // an unrelated new one
           {"tok_e", "otherpre-e"},  // clashes with the one before, same batch
           {"tok_f", "otherpre-d"},  // a repeat within the batch
       }) {
    batch.push_back(BatchInsertItem{MakeRecord(token, label), true});
  }
  Result<std::vector<Result<InsertOutcome>>> out = store->InsertBatch(batch);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 5u);
  EXPECT_TRUE((*out)[0]->inserted);
  EXPECT_EQ((*out)[1]->record.token, "tok_b");
  EXPECT_FALSE((*out)[1]->inserted);
  EXPECT_TRUE((*out)[2]->inserted);
  EXPECT_TRUE((*out)[3]->inserted);
  EXPECT_EQ((*out)[4]->record.token, "tok_d");
  EXPECT_FALSE((*out)[4]->inserted);
  for (const auto& [label, token] :
       std::vector<std::pair<std::string, std::string>>{{"samepref-a", "tok_a"},
                                                        {"samepref-b", "tok_b"},
                                                        {"samepref-c", "tok_c"},
                                                        {"otherpre-d", "tok_d"},
                                                        {"otherpre-e", "tok_e"}}) {
    EXPECT_EQ(store->GetByFingerprint(Fp(label))->token, token) << label;
  }
  // The slot's card goes; the others stay findable, and a new clash can take
  // the free slot without hiding them.
  ASSERT_TRUE(store->Delete("tok_a", 0).ok());
  EXPECT_EQ(store->GetByFingerprint(Fp("samepref-a")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->GetByFingerprint(Fp("samepref-b"))->token, "tok_b");
  ASSERT_TRUE(store->InsertOrGetByFingerprint(MakeRecord("tok_g", "samepref-g"))->inserted);
  EXPECT_EQ(store->GetByFingerprint(Fp("samepref-b"))->token, "tok_b");
  EXPECT_EQ(store->GetByFingerprint(Fp("samepref-c"))->token, "tok_c");
  EXPECT_EQ(store->GetByFingerprint(Fp("samepref-g"))->token, "tok_g");
  EXPECT_EQ(*store->Count(), 5);  // b, c, d, e, g
}

int64_t CountRows(const std::string& path, const std::string& table) {
  return ReadInt(path, ("SELECT COUNT(*) FROM " + table).c_str());
}

// A bulk insert writes its new recent slots kRecentSlotsPerInsert at a time
// (multi-row INSERTs, then the remainder one by one), and writes the pending
// ones before anything reads fingerprint_recent: a prefix clash later in the
// same batch sees the slot taken and goes to the overflow, and every card is
// found afterwards.
TEST_F(SqliteCardStoreTest, PendingRecentSlotsAreWrittenBeforeEachRead) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int numbered = 2 * static_cast<int>(kRecentSlotsPerInsert) + 37;
  // Labels "<i>-numbered": their first 8 bytes (the slot key) differ.
  std::vector<BatchInsertItem> items = NumberedItems("tok_n", numbered, "", "-numbered");
  // Adjacent in fingerprint order, so the second is probed while the
  // first's slot is still pending.
  items.push_back({MakeRecord("tok_a", "samepref-a"), true});
  items.push_back({MakeRecord("tok_b", "samepref-b"), true});
  // Last in fingerprint order ('z' > 's'): still pending when the items end.
  for (BatchInsertItem& tail : NumberedItems("tok_t", 5, "zz", "-tail")) {
    items.push_back(std::move(tail));
  }
  Result<std::vector<Result<InsertOutcome>>> out = store->InsertBatch(items);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  for (const Result<InsertOutcome>& o : *out) {
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    EXPECT_TRUE(o->inserted);
  }
  EXPECT_EQ(CountRows(path_, "fingerprint_recent"), numbered + 1 + 5);
  EXPECT_EQ(CountRows(path_, "fingerprint_overflow"), 1);  // samepref-b
  EXPECT_EQ(store->GetByFingerprint(Fp("samepref-a"))->token, "tok_a");
  EXPECT_EQ(store->GetByFingerprint(Fp("samepref-b"))->token, "tok_b");
  for (int i = 0; i < numbered; ++i) {
    Result<CardRecord> found = store->GetByFingerprint(Fp(std::to_string(i) + "-numbered"));
    ASSERT_TRUE(found.ok()) << i;
    EXPECT_EQ(found->token, "tok_n" + std::to_string(i));
  }
  for (int i = 0; i < 5; ++i) {
    Result<CardRecord> found = store->GetByFingerprint(Fp("zz" + std::to_string(i) + "-tail"));
    ASSERT_TRUE(found.ok()) << i;
    EXPECT_EQ(found->token, "tok_t" + std::to_string(i));
  }
  // A later batch finds them (its look-ups read the written slots).
  ExpectBatchFinds(*store, MakeRecord("tok_again", "0-numbered"), "tok_n0");
  ExpectBatchFinds(*store, MakeRecord("tok_again", "samepref-a"), "tok_a");
}

// fingerprint_recent is split in runs: a bulk insert of at least
// threshold / kMaxRecentRuns items starts its own, anything else joins the
// newest; a look-up, a repeat and a delete find a card in any run, and a
// merge ends them all.
TEST_F(SqliteCardStoreTest, RecentSlotsGoToRunsAndAreFoundInEach) {
  constexpr int64_t kThreshold = 10 * kMaxRecentRuns;  // own run from 10 items
  std::unique_ptr<SqliteCardStore> store = OpenStoreMergingAt(kThreshold);
  ASSERT_NE(store, nullptr);
  auto count = [this](const char* sql) { return ReadInt(path_, sql); };
  const char* kRunsSql = "SELECT COUNT(*) FROM recent_runs";
  const char* kUsedRunsSql = "SELECT COUNT(DISTINCT run) FROM fingerprint_recent";
  for (const char* name : {"first", "second"}) {  // two runs of their own
    ASSERT_TRUE(store->InsertBatch(NumberedItems(std::string("tok_") + name, 10, "", name)).ok());
  }
  EXPECT_EQ(count(kRunsSql), 2);
  EXPECT_EQ(count(kUsedRunsSql), 2);
  // A small batch and a single insert join the newest run.
  ASSERT_TRUE(store->InsertBatch(NumberedItems("tok_small", 3, "", "small")).ok());
  ASSERT_TRUE(store->InsertOrGetByFingerprint(MakeRecord("tok_one", "one-card"))->inserted);
  EXPECT_EQ(count(kRunsSql), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM fingerprint_recent WHERE run = (SELECT MAX(run) FROM"
                  " recent_runs)"),
            10 + 3 + 1);
  // A batch of repeats only starts no run.
  ASSERT_TRUE(store->InsertBatch(NumberedItems("tok_again", 10, "", "first")).ok());
  EXPECT_EQ(count(kRunsSql), 2);
  // Found in the older run too: by a reader, by an unfiltered single insert
  // and by a batch; and deleted from it.
  EXPECT_EQ(store->GetByFingerprint(Fp("3first"))->token, "tok_first3");
  EXPECT_EQ(store->InsertOrGetByFingerprint(MakeRecord("tok_x", "4first"))->record.token,
            "tok_first4");
  ExpectBatchFinds(*store, MakeRecord("tok_y", "5first"), "tok_first5");
  ExpectBatchFinds(*store, MakeRecord("tok_y", "6second"), "tok_second6");
  ASSERT_TRUE(store->Delete("tok_first7", 0).ok());
  EXPECT_EQ(store->GetByFingerprint(Fp("7first")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(CountRows(path_, "fingerprint_recent"), 10 + 10 + 3 + 1 - 1);
  // Over the threshold: a merge is due. It runs before the store's next
  // write (here a repeat), moves every run's slots and ends the runs.
  ASSERT_TRUE(store->InsertBatch(NumberedItems("tok_big", 300, "", "big")).ok());
  EXPECT_EQ(CountRows(path_, "fingerprint_recent"), 10 + 10 + 3 + 1 - 1 + 300);
  EXPECT_EQ(store->InsertOrGetByFingerprint(MakeRecord("tok_z", "8second"))->record.token,
            "tok_second8");
  EXPECT_EQ(count(kRunsSql), 0);
  EXPECT_EQ(CountRows(path_, "fingerprint_recent"), 0);
  EXPECT_EQ(CountSlots(path_), 10 + 10 + 3 + 1 - 1 + 300);
  EXPECT_EQ(store->GetByFingerprint(Fp("3first"))->token, "tok_first3");
  EXPECT_EQ(store->GetByFingerprint(Fp("299big"))->token, "tok_big299");
}

// The merge threshold grows with the square root of the card count:
// max(10, sqrt(50 × cards)) first merges at about 50 cards, not at 10
// (cards estimated by the reserved ids).
TEST_F(SqliteCardStoreTest, RecentSlotsMergeThresholdGrowsWithTheVault) {
  SqliteCardStoreOptions options;
  options.recent_slots_merge_at = 10;
  options.recent_slots_merge_scale = 50;
  std::unique_ptr<SqliteCardStore> store = OpenStoreWith(options);
  ASSERT_NE(store, nullptr);
  auto insert = [&store](int from, int to) {
    for (int i = from; i < to; ++i) {
      Result<InsertOutcome> r = store->InsertOrGetByFingerprint(
          MakeRecord("tok_g" + std::to_string(i), "grow" + std::to_string(i)));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_TRUE(r->inserted);
    }
  };
  insert(0, 40);  // sqrt(50 × 40) ≈ 45 > 40: no merge yet
  EXPECT_EQ(CountRows(path_, "fingerprint_recent"), 40);
  EXPECT_EQ(CountSlots(path_), 0);
  insert(40, 60);  // merged once, at about 50
  const int64_t merged = CountSlots(path_);
  EXPECT_GE(merged, 45);
  EXPECT_LE(merged, 55);
  EXPECT_EQ(merged + CountRows(path_, "fingerprint_recent"), 60);
  for (int i = 0; i < 60; ++i) {
    EXPECT_EQ(store->GetByFingerprint(Fp("grow" + std::to_string(i)))->token,
              "tok_g" + std::to_string(i));
  }
}

// New fingerprint slots gather in a small table and move to the large one in
// one pass once there are enough; look-ups, de-duplication, prefix clashes
// and deletes work wherever a slot is, also across a reopen.
TEST_F(SqliteCardStoreTest, RecentFingerprintSlotsAreMergedAndStayExact) {
  SqliteCardStoreOptions options;
  options.recent_slots_merge_at = 10;
  options.recent_slots_merge_scale = 0;  // a fixed threshold
  {
    std::unique_ptr<SqliteCardStore> opened = OpenStoreWith(options);
    ASSERT_NE(opened, nullptr);
    SqliteCardStore& store = *opened;
    for (int i = 0; i < 7; ++i) {  // single inserts: below the threshold
      ASSERT_TRUE(store
                      .InsertOrGetByFingerprint(
                          MakeRecord("tok_s" + std::to_string(i), "single" + std::to_string(i)))
                      ->inserted);
    }
    EXPECT_EQ(CountRows(path_, "fingerprint_recent"), 7);
    EXPECT_EQ(CountSlots(path_), 0);
    std::vector<BatchInsertItem> batch;
    for (int i = 0; i < 5; ++i) {
      batch.push_back(
          {MakeRecord("tok_b" + std::to_string(i), "batch-" + std::to_string(i)), true});
    }
    batch.push_back({MakeRecord("tok_b5", "mergepfxA"), true});
    batch.push_back({MakeRecord("tok_dup", "single3"), true});  // a repeat of a recent one
    Result<std::vector<Result<InsertOutcome>>> out = store.InsertBatch(batch);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ((*out)[6]->record.token, "tok_s3");
    // 13 >= 10: a merge is due, and runs before the next write.
    EXPECT_EQ(CountRows(path_, "fingerprint_recent"), 13);
    EXPECT_EQ(CountSlots(path_), 0);
    // That write, a repeat, finds its card among the merged ones.
    EXPECT_FALSE(store.InsertOrGetByFingerprint(MakeRecord("tok_x", "batch-4"))->inserted);
    EXPECT_EQ(CountRows(path_, "fingerprint_recent"), 0);
    EXPECT_EQ(CountSlots(path_), 13);
    // A prefix clash with a merged one (the same first 8 bytes,
    // "mergepfx"): it goes to the overflow.
    ASSERT_TRUE(store.InsertOrGetByFingerprint(MakeRecord("tok_c", "mergepfxB"))->inserted);
    EXPECT_EQ(CountRows(path_, "fingerprint_overflow"), 1);
    ASSERT_TRUE(store.Delete("tok_b4", 0).ok());
  }
  std::unique_ptr<SqliteCardStore> reopened = OpenStoreWith(options);
  ASSERT_NE(reopened, nullptr);
  SqliteCardStore& store = *reopened;
  EXPECT_EQ(store.GetByFingerprint(Fp("batch-4")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.GetByFingerprint(Fp("mergepfxB"))->token, "tok_c");
  EXPECT_EQ(store.GetByFingerprint(Fp("mergepfxA"))->token, "tok_b5");
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(store.GetByFingerprint(Fp("single" + std::to_string(i)))->token,
              "tok_s" + std::to_string(i));
  }
  EXPECT_EQ(store.GetByFingerprint(Fp("batch-3"))->token, "tok_b3");
  EXPECT_EQ(*store.Count(), 13);  // 7 singles + 6 of the batch + tok_c - tok_b4
}

// Bulk items that bring reserved ids and are new go in kCardsPerInsert at a
// time (InsertFreshCards). One whose id is taken makes its statement fail:
// that group is then stored one card at a time, so only that item fails
// (kAlreadyExists) and every other card is stored, indexed and found.
TEST_F(SqliteCardStoreTest, BulkInsertOfReservedIdsKeepsPerItemOutcomes) {
  std::unique_ptr<SqliteCardStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int kItems = static_cast<int>(2 * kCardsPerInsert + 6);  // two full groups and a tail
  Result<int64_t> first = store->ReserveIds(kItems + 100);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(store->Insert(WithId(MakeRecord("tok_early", "early"), *first + 5)).ok());
  std::vector<BatchInsertItem> items;
  for (int i = 0; i < kItems; ++i) {
    // Distinct slot prefixes (the label's first 8 bytes).
    const std::string n = std::to_string(i);
    items.push_back({WithId(MakeRecord("tok_r" + n, n + "-reserved"), *first + i), true});
  }
  // Two sharing a slot prefix (the first 8 bytes): the second, probed while
  // the first waits to be written, must still see its slot taken.
  items.push_back({WithId(MakeRecord("tok_pa", "samepfx-a"), *first + kItems + 10), true});
  items.push_back({WithId(MakeRecord("tok_pb", "samepfx-b"), *first + kItems + 11), true});
  // Not reserved:
  items.push_back({WithId(MakeRecord("tok_far", "far"), *first + kItems + 1000), true});
  Result<std::vector<Result<InsertOutcome>>> out = store->InsertBatch(items);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), items.size());
  for (int i = 0; i < kItems; ++i) {
    if (i == 5) {
      EXPECT_EQ((*out)[i].status().code(), StatusCode::kAlreadyExists);
      continue;
    }
    ASSERT_TRUE((*out)[i].ok()) << i << ": " << (*out)[i].status().ToString();
    EXPECT_TRUE((*out)[i]->inserted);
    EXPECT_EQ((*out)[i]->record.id, *first + i);
    EXPECT_EQ(store->Get("tok_r" + std::to_string(i), *first + i)->id, *first + i);
    EXPECT_EQ(store->GetByFingerprint(Fp(std::to_string(i) + "-reserved"))->token,
              "tok_r" + std::to_string(i));
  }
  EXPECT_EQ(out->back().status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->GetByFingerprint(Fp("samepfx-a"))->token, "tok_pa");
  EXPECT_EQ(store->GetByFingerprint(Fp("samepfx-b"))->token, "tok_pb");
  EXPECT_EQ(store->GetByFingerprint(Fp("5-reserved")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->GetByFingerprint(Fp("early"))->token, "tok_early");
  EXPECT_EQ(*store->Count(), kItems + 2);  // the early card, kItems - 1, the prefix pair
  // A slot for each stored card but the second of the pair (merged or not:
  // the fixture's threshold is low), which went to the overflow.
  EXPECT_EQ(CountRows(path_, "fingerprint_recent") + CountSlots(path_),
            kItems + 1);
  EXPECT_EQ(CountRows(path_, "fingerprint_overflow"), 1);
}

// A merge runs in a transaction of its own, before the first write after
// the one that made it due (RunBatch). One that fails fails that write and
// every later one until it succeeds: here the tables' invariant is broken by
// hand (a prefix in both tables) and the merge hits it. Nothing of the failed
// writes is stored, no part of the merge stays, and a write goes through
// once the clash is gone.
TEST_F(SqliteCardStoreTest, FailedMergeFailsTheWritesAfterItAndLeavesNothing) {
  std::unique_ptr<SqliteCardStore> store = OpenStoreMergingAt(10);
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store
                    ->InsertOrGetByFingerprint(
                        MakeRecord("tok_f" + std::to_string(i), "fail" + std::to_string(i)))
                    ->inserted);
  }
  ASSERT_EQ(CountRows(path_, "fingerprint_recent"), 5);
  // One of them in the slot table too: a slot taken twice, which the merge
  // refuses.
  PutSlotBucket(path_,
                {ReadInt(path_, "SELECT prefix FROM fingerprint_recent ORDER BY prefix LIMIT 1"),
                 ReadInt(path_, "SELECT id FROM fingerprint_recent ORDER BY prefix LIMIT 1")});

  // 5 + 6 slots >= 10: this batch is stored and makes a merge due.
  Result<std::vector<Result<InsertOutcome>>> out =
      store->InsertBatch(NumberedItems("tok_n", 6, "next-"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(CountRows(path_, "fingerprint_recent"), 11);
  // The next writes run the merge first; it fails, and so do they.
  for (int attempt = 0; attempt < 2; ++attempt) {
    out = store->InsertBatch(NumberedItems("tok_m", 2, "more-"));
    ASSERT_FALSE(out.ok());
    EXPECT_NE(out.status().message().find("merge recent fingerprint slots"), std::string::npos)
        << out.status().ToString();
  }
  EXPECT_EQ(CountRows(path_, "cards"), 11);
  EXPECT_EQ(CountRows(path_, "fingerprint_recent"), 11);
  EXPECT_EQ(CountSlots(path_), 1);
  EXPECT_EQ(store->GetByFingerprint(Fp("more-0")).status().code(), StatusCode::kNotFound);

  ExecSql(path_, "DELETE FROM fingerprint_buckets");
  out = store->InsertBatch(NumberedItems("tok_m", 2, "more-"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  for (const Result<InsertOutcome>& r : *out) EXPECT_TRUE(r.ok() && r->inserted);
  EXPECT_EQ(CountSlots(path_), 11);
  EXPECT_EQ(CountRows(path_, "fingerprint_recent"), 2);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(store->GetByFingerprint(Fp("fail" + std::to_string(i)))->token,
              "tok_f" + std::to_string(i));
  }
  EXPECT_EQ(store->GetByFingerprint(Fp("next-5"))->token, "tok_n5");
  EXPECT_EQ(store->GetByFingerprint(Fp("more-1"))->token, "tok_m1");
}

// A recent slot with an impossible id (a tampered file) stops the merge
// with kDataLoss instead of reaching a bucket.
TEST_F(SqliteCardStoreTest, MergeRefusesAMalformedRecentSlot) {
  std::unique_ptr<SqliteCardStore> store = OpenStoreMergingAt(3);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->InsertOrGetByFingerprint(MakeRecord("tok_a", "a-malformed"))->inserted);
  ExecSql(path_,
          "INSERT INTO fingerprint_recent (run, prefix, id)"
          " SELECT MAX(run), 12345, 0 FROM recent_runs");
  // Two more cards: 3 slots by this store's count, so a merge is due.
  ASSERT_TRUE(store->InsertOrGetByFingerprint(MakeRecord("tok_b", "b-malformed"))->inserted);
  ASSERT_TRUE(store->InsertOrGetByFingerprint(MakeRecord("tok_c", "c-malformed"))->inserted);
  Result<InsertOutcome> next = store->InsertOrGetByFingerprint(MakeRecord("tok_d", "d-malformed"));
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(next.status().message().find("malformed"), std::string::npos)
      << next.status().ToString();
  EXPECT_EQ(CountSlots(path_), 0);
  EXPECT_EQ(CountRows(path_, "fingerprint_recent"), 4);
}

// A bulk insert looks fingerprint_slots up only for prefixes its slots
// filter may hold; the store's own merges add theirs to the filter, so a
// repeat of a merged card is still found.
TEST_F(SqliteCardStoreTest, SlotsFilterSparesLookUpsAndFollowsOwnMerges) {
  std::unique_ptr<SqliteCardStore> store = OpenStoreMergingAt(4);
  ASSERT_NE(store, nullptr);
  Result<std::vector<Result<InsertOutcome>>> out =
      store->InsertBatch(NumberedItems("tok_a", 6, "first-"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  for (const Result<InsertOutcome>& r : *out) EXPECT_TRUE(r->inserted);
  EXPECT_EQ(CountRows(path_, "fingerprint_recent"), 6);  // 6 >= 4: a merge is due
  EXPECT_EQ(store->GetStats().slots_skipped, 6u);        // an empty table: none looked up

  std::vector<BatchInsertItem> second = NumberedItems("tok_r", 6, "first-");
  for (BatchInsertItem& item : NumberedItems("tok_n", 3, "new-")) second.push_back(std::move(item));
  out = store->InsertBatch(std::move(second));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  for (int i = 0; i < 6; ++i) {
    EXPECT_FALSE((*out)[i]->inserted) << i;
    EXPECT_EQ((*out)[i]->record.token, "tok_a" + std::to_string(i));
  }
  for (int i = 6; i < 9; ++i) EXPECT_TRUE((*out)[i]->inserted) << i;
  // The merge ran first; the repeats were looked up in the large table (and
  // found); only the new cards were spared.
  EXPECT_EQ(CountSlots(path_), 6);
  EXPECT_EQ(store->GetStats().slots_skipped, 6u + 3u);
  EXPECT_EQ(*store->Count(), 9);
}

// Two stores on one file stand for two processes: a merge by one raises
// slots_generation, and the other's filter, which lacks the merged
// prefixes, is not trusted again.
TEST_F(SqliteCardStoreTest, SlotsFilterIsDroppedWhenAnotherStoreMerges) {
  std::unique_ptr<SqliteCardStore> bulk;
  std::unique_ptr<SqliteCardStore> other;
  ASSERT_NO_FATAL_FAILURE(OpenTwoStoresMergingAt(1, &bulk, &other));
  ASSERT_TRUE(bulk->InsertBatch(NumberedItems("tok_a", 3, "bulk-")).ok());
  EXPECT_EQ(bulk->GetStats().slots_skipped, 3u);
  ASSERT_TRUE(other->InsertOrGetByFingerprint(MakeRecord("tok_o", "other-x"))->inserted);
  // The other store's next write (a repeat) runs the merge that made due.
  EXPECT_FALSE(other->InsertOrGetByFingerprint(MakeRecord("tok_o2", "other-x"))->inserted);
  EXPECT_EQ(CountRows(path_, "fingerprint_recent"), 0);  // merged by the other store
  EXPECT_EQ(CountSlots(path_), 4);
  ExpectBatchFinds(*bulk, MakeRecord("tok_dup", "other-x"), "tok_o");
  EXPECT_EQ(*bulk->Count(), 4);
}

// The filter of fingerprint_recent takes every slot this store adds, in bulk
// and single inserts, and is not trusted once another connection committed
// (PRAGMA data_version).
TEST_F(SqliteCardStoreTest, RecentFilterFollowsOwnInsertsAndDistrustsOtherWriters) {
  std::unique_ptr<SqliteCardStore> bulk;
  std::unique_ptr<SqliteCardStore> other;
  ASSERT_NO_FATAL_FAILURE(OpenTwoStoresMergingAt(1000, &bulk, &other));  // no merge here
  // The digit comes first: labels differing only in their 8th byte's lowest
  // bit would share a slot prefix (FingerprintPrefix).
  ASSERT_TRUE(bulk->InsertBatch(NumberedItems("tok_r", 5, "", "-recent")).ok());
  EXPECT_EQ(bulk->GetStats().recent_skipped, 5u);
  ASSERT_TRUE(bulk->InsertOrGetByFingerprint(MakeRecord("tok_s", "single-x"))->inserted);

  Result<std::vector<Result<InsertOutcome>>> out =
      bulk->InsertBatch({{MakeRecord("tok_d1", "single-x"), true},
                         {MakeRecord("tok_d2", "2-recent"), true},
                         {MakeRecord("tok_r9", "9-recent"), true}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0]->record.token, "tok_s");
  EXPECT_EQ((*out)[1]->record.token, "tok_r2");
  EXPECT_TRUE((*out)[2]->inserted);
  EXPECT_EQ(bulk->GetStats().recent_skipped, 6u);  // only the new one

  ASSERT_TRUE(other->InsertOrGetByFingerprint(MakeRecord("tok_o", "other-y"))->inserted);
  EXPECT_EQ(CountSlots(path_), 0);
  ExpectBatchFinds(*bulk, MakeRecord("tok_d3", "other-y"), "tok_o");
  EXPECT_EQ(*bulk->Count(), 8);
}

// Checkpoints run on the store's own thread once the WAL passes the
// threshold, and copy the commits into the database file: the WAL is then
// restarted from the top instead of growing with every commit.
TEST_F(SqliteCardStoreTest, CheckpointsRunInTheBackgroundAndKeepTheWalSmall) {
  SqliteCardStoreOptions options;
  options.checkpoint_bytes = 8 * 8192;  // 8 of a new vault's pages
  std::unique_ptr<SqliteCardStore> opened = OpenStoreWith(options);
  ASSERT_NE(opened, nullptr);
  SqliteCardStore& store = *opened;
  std::vector<BatchInsertItem> batch;
  for (int i = 0; i < 500; ++i) {
    batch.push_back({MakeRecord("tok_" + std::to_string(i), "fp" + std::to_string(i)), true});
  }
  uintmax_t largest_wal = 0;
  for (int round = 0; round < 20; ++round) {
    for (BatchInsertItem& item : batch) item.record.token += "x";
    for (BatchInsertItem& item : batch) item.record.fingerprint += "ab";
    ASSERT_TRUE(store.InsertBatch(batch).ok());
    // Wait (bounded) for the checkpoint this commit asked for.
    for (int i = 0; i < 10'000 && store.GetStats().checkpoints < static_cast<uint64_t>(round + 1);
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::error_code ec;
    largest_wal = std::max(largest_wal, fs::file_size(path_ + "-wal", ec));
  }
  EXPECT_GE(store.GetStats().checkpoints, 20u);
  EXPECT_EQ(*store.Count(), 20 * 500);
  // 20 batches of ~500 cards would make a WAL of several MiB without
  // checkpoints; restarted after each, it stays near one batch's pages.
  const uintmax_t db_size = fs::file_size(path_);
  EXPECT_LT(largest_wal, db_size);
  EXPECT_GT(db_size, 20u * 500 * 100);  // the cards are in the database file itself
}

// Two stores on one file (as two processes would be: separate connections)
// reserving ids at the same time get disjoint ranges, so records they insert
// under reserved ids never clash.
TEST_F(SqliteCardStoreTest, ReservedIdsAreUniqueAcrossStoresOnOneFile) {
  auto a = OpenStore();
  auto b = OpenStore();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::vector<std::pair<int64_t, int64_t>> ranges;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (SqliteCardStore* store : {a.get(), b.get()}) {
    threads.emplace_back([store, &ranges, &mu] {
      for (int i = 0; i < 50; ++i) {
        const int64_t n = 1 + i % 7;
        Result<int64_t> first = store->ReserveIds(n);
        ASSERT_TRUE(first.ok()) << first.status().ToString();
        std::lock_guard<std::mutex> lock(mu);
        ranges.emplace_back(*first, *first + n);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::sort(ranges.begin(), ranges.end());
  ASSERT_EQ(ranges.size(), 100u);
  for (size_t i = 1; i < ranges.size(); ++i) {
    EXPECT_LE(ranges[i - 1].second, ranges[i].first) << "ranges overlap";
  }
  // A record under a reserved id from each store; and a taken id is refused.
  CardRecord ra = MakeRecord("tok_ra", "fp_ra");
  ra.id = ranges[0].first;
  CardRecord rb = MakeRecord("tok_rb", "fp_rb");
  rb.id = ranges[1].first;
  ASSERT_TRUE(a->Insert(ra).ok());
  ASSERT_TRUE(b->Insert(rb).ok());
  EXPECT_EQ(a->Get("tok_rb", rb.id)->id, rb.id);
  CardRecord clash = MakeRecord("tok_clash", "fp_clash");
  clash.id = ra.id;
  EXPECT_EQ(b->Insert(clash).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(b->ReserveIds(0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b->ReserveIds(kMaxReservedIds + 1).status().code(), StatusCode::kInvalidArgument);
  // An id nobody reserved is refused: the store would hand it out later.
  CardRecord unreserved = MakeRecord("tok_unreserved", "fp_unreserved");
  unreserved.id = ranges.back().second + 1000;
  EXPECT_EQ(a->Insert(unreserved).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a->Get("tok_unreserved", unreserved.id).status().code(), StatusCode::kNotFound);
  // Ids the store assigns itself (records with id 0) come from the same
  // sequence.
  ASSERT_TRUE(a->Insert(MakeRecord("tok_own", "fp_own")).ok());
  EXPECT_GE(a->Get("tok_own", 0)->id, ranges.back().second);
}

// Commits back to back (a full queue) race the checkpoint thread; the WAL
// must still restart instead of growing with every commit.
TEST_F(SqliteCardStoreTest, WalStaysBoundedUnderBackToBackCommits) {
  SqliteCardStoreOptions options;
  options.checkpoint_bytes = 8 * 8192;  // 8 of a new vault's pages
  options.max_batch = 4;  // many small commits
  std::unique_ptr<SqliteCardStore> opened = OpenStoreWith(options);
  ASSERT_NE(opened, nullptr);
  SqliteCardStore& store = *opened;
  constexpr int kCards = 4000;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  int failed = 0;
  for (int i = 0; i < kCards; ++i) {
    store.InsertAsync(MakeRecord("tok_" + std::to_string(i), "fp" + std::to_string(i)), true,
                      [&](Result<InsertOutcome> r) {
                        std::lock_guard<std::mutex> lock(mu);
                        if (!r.ok()) ++failed;
                        ++done;
                        cv.notify_all();
                      });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done == kCards; });
  }
  EXPECT_EQ(failed, 0);
  EXPECT_GE(store.GetStats().commits, static_cast<uint64_t>(kCards / 4));
  // Without restarts the WAL would hold every commit's pages (several MiB
  // here); with them it stays within a few times the threshold.
  const uintmax_t wal = fs::file_size(path_ + "-wal");
  EXPECT_LT(wal, 1u << 20) << "WAL grew to " << wal << " bytes";
  EXPECT_EQ(*store.Count(), kCards);
}

}  // namespace
}  // namespace kura::vault
