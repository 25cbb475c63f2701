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

namespace kura::vault {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kJan1st2026 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

// A fingerprint as the vault produces it (lower-case hex), made from a
// readable label.
std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out.push_back(kDigits[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kDigits[static_cast<unsigned char>(c) & 0x0f]);
  }
  return out;
}
std::string Fp(std::string_view label) { return Hex(label); }

CardRecord MakeRecord(const std::string& token, const std::string& fingerprint_label) {
  CardRecord r;
  r.token = token;
  r.fingerprint = Fp(fingerprint_label);
  r.dek_version = 1;
  // Binary, with NUL and high bytes, to prove the blob round-trips exactly.
  r.sealed = std::string("\x01\x00\xff sealed:", 11) + token;
  r.bin = "411111";
  r.last4 = "1111";
  r.masked_pan = "411111******1111";
  r.exp_month = 12;
  r.exp_year = 2028;
  r.brand = "visa";
  r.token_format = "random";
  r.created_ms = kJan1st2026;
  return r;
}

// `r` as the store returns it: with the row id it was given.
CardRecord WithId(CardRecord r, int64_t id) {
  r.id = id;
  return r;
}

// "" if the file does not exist.
std::string ReadFileBytes(const std::string& path) {
  std::string out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

unsigned FileMode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

class SqliteCardStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/kura_vault_store_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/cards.db";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A store on path_ with `options` (its path is set here).
  std::unique_ptr<SqliteCardStore> OpenStoreWith(SqliteCardStoreOptions options) {
    options.path = path_;
    Result<std::unique_ptr<SqliteCardStore>> store = SqliteCardStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::unique_ptr<SqliteCardStore> OpenStore(size_t max_batch = kDefaultMaxBatch) {
    SqliteCardStoreOptions options;
    options.path = path_;
    options.max_batch = max_batch;
    Result<std::unique_ptr<SqliteCardStore>> store = SqliteCardStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::string dir_;
  std::string path_;
};

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
  for (const auto& [label, token] : std::vector<std::pair<std::string, std::string>>{
           {"samepref-a", "tok_a"}, {"samepref-b", "tok_b"}, {"samepref-c", "tok_c"},
           {"otherpre-d", "tok_d"}, {"otherpre-e", "tok_e"}}) {
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
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, ("SELECT COUNT(*) FROM " + table).c_str(), -1, &st, nullptr),
            SQLITE_OK);
  EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
  const int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

// New fingerprint slots gather in a small table and move to the large one in
// one pass once there are enough; look-ups, de-duplication, prefix clashes
// and deletes work wherever a slot is, also across a reopen.
TEST_F(SqliteCardStoreTest, RecentFingerprintSlotsAreMergedAndStayExact) {
  SqliteCardStoreOptions options;
  options.recent_slots_merge_at = 10;
  {
    std::unique_ptr<SqliteCardStore> opened = OpenStoreWith(options);
    ASSERT_NE(opened, nullptr);
    SqliteCardStore& store = *opened;
    for (int i = 0; i < 7; ++i) {  // single inserts: below the threshold
      ASSERT_TRUE(store.InsertOrGetByFingerprint(
          MakeRecord("tok_s" + std::to_string(i), "single" + std::to_string(i)))->inserted);
    }
    EXPECT_EQ(CountRows(path_, "fingerprint_recent"), 7);
    EXPECT_EQ(CountRows(path_, "fingerprint_slots"), 0);
    std::vector<BatchInsertItem> batch;
    for (int i = 0; i < 5; ++i) {
      batch.push_back({MakeRecord("tok_b" + std::to_string(i), "batch-" + std::to_string(i)), true});
    }
    batch.push_back({MakeRecord("tok_b5", "mergepfxA"), true});
    batch.push_back({MakeRecord("tok_dup", "single3"), true});  // a repeat of a recent one
    Result<std::vector<Result<InsertOutcome>>> out = store.InsertBatch(batch);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ((*out)[6]->record.token, "tok_s3");
    EXPECT_EQ(CountRows(path_, "fingerprint_recent"), 0);  // 13 >= 10: merged
    EXPECT_EQ(CountRows(path_, "fingerprint_slots"), 13);
    // A repeat of a merged one, and a prefix clash with one (the same
    // first 8 bytes, "mergepfx"): it goes to the overflow.
    EXPECT_FALSE(store.InsertOrGetByFingerprint(MakeRecord("tok_x", "batch-4"))->inserted);
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

// Checkpoints run on the store's own thread once the WAL passes the
// threshold, and copy the commits into the database file: the WAL is then
// restarted from the top instead of growing with every commit.
TEST_F(SqliteCardStoreTest, CheckpointsRunInTheBackgroundAndKeepTheWalSmall) {
  SqliteCardStoreOptions options;
  options.checkpoint_pages = 8;
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
  options.checkpoint_pages = 8;
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

TEST_F(SqliteCardStoreTest, RejectsInvalidRecords) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  CardRecord r = MakeRecord("", "fp");
  EXPECT_EQ(store->Insert(r).code(), StatusCode::kInvalidArgument);
  r = MakeRecord(std::string(kMaxTokenLength + 1, 't'), "fp");
  EXPECT_EQ(store->Insert(r).code(), StatusCode::kInvalidArgument);
  r = MakeRecord("tok_x", "");
  EXPECT_EQ(store->InsertOrGetByFingerprint(r).status().code(), StatusCode::kInvalidArgument);
  // Fingerprints are stored as bytes: only lower-case hex round-trips.
  r = MakeRecord("tok_x", "fp");
  r.fingerprint = "ABCD";
  EXPECT_EQ(store->Insert(r).code(), StatusCode::kInvalidArgument);
  r.fingerprint = "abc";
  EXPECT_EQ(store->Insert(r).code(), StatusCode::kInvalidArgument);
  r.fingerprint = "zz";
  EXPECT_EQ(store->InsertOrGetByFingerprint(r).status().code(), StatusCode::kInvalidArgument);
  r.fingerprint = std::string(kMaxFingerprintLength + 2, 'a');
  EXPECT_EQ(store->Insert(r).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->GetByFingerprint("NOT-HEX").status().code(), StatusCode::kInvalidArgument);
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
TEST_F(SqliteCardStoreTest, InsertAsyncAnswersFromTheWriterAfterTheCommit) {
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
  for (size_t i = 0; i < expiries.size(); ++i) {
    CardRecord r = MakeRecord("tok_" + std::to_string(i), "fp_" + std::to_string(i));
    r.exp_month = expiries[i].first;
    r.exp_year = expiries[i].second;
    ASSERT_TRUE(store->Insert(r).ok());
  }
  const TimePoint feb1 = ExpiryEnd(1, 2026);
  for (TimePoint before : {feb1 - std::chrono::milliseconds(1), feb1}) {
    Result<std::vector<CardRecord>> list = store->ListExpired(before, 100);
    ASSERT_TRUE(list.ok()) << list.status().ToString();
    size_t expected = 0;
    for (const auto& [m, y] : expiries) expected += CardExpiredBefore(m, y, before) ? 1 : 0;
    EXPECT_EQ(list->size(), expected);
    for (const CardRecord& r : *list) EXPECT_TRUE(CardExpiredBefore(r.exp_month, r.exp_year, before));
  }
  Result<std::vector<CardRecord>> list = store->ListExpired(feb1, 100);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].exp_year, 2024);  // oldest expiry first
  EXPECT_EQ((*list)[2].exp_month, 1);
  EXPECT_EQ(store->ListExpired(feb1, 1)->size(), 1u);
  EXPECT_EQ(store->ListExpired(feb1, 0).status().code(), StatusCode::kInvalidArgument);
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

TEST_F(SqliteCardStoreTest, RefusesNewerSchema) {
  { ASSERT_NE(OpenStore(), nullptr); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_version (version) VALUES (99)", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  SqliteCardStoreOptions options;
  options.path = path_;
  Result<std::unique_ptr<SqliteCardStore>> store = SqliteCardStore::Open(options);
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
}

// The schema-1 layout exactly as earlier releases created it.
constexpr const char* kSchemaV1Sql =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "INSERT INTO schema_version (version) VALUES (1);"
    "CREATE TABLE cards (token TEXT PRIMARY KEY NOT NULL, fingerprint TEXT NOT NULL,"
    " dek_version INTEGER NOT NULL, sealed BLOB NOT NULL, bin TEXT NOT NULL, last4 TEXT NOT NULL,"
    " masked_pan TEXT NOT NULL, exp_month INTEGER NOT NULL CHECK (exp_month BETWEEN 1 AND 12),"
    " exp_year INTEGER NOT NULL, brand TEXT NOT NULL, token_format TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX cards_by_fingerprint ON cards (fingerprint, created_ms);"
    "CREATE INDEX cards_by_expiry ON cards (exp_year, exp_month);"
    "CREATE TABLE reveal_nonces (jti TEXT PRIMARY KEY NOT NULL, expires_ms INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE INDEX reveal_nonces_by_expiry ON reveal_nonces (expires_ms);";

void ExecOrFail(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  ASSERT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
  sqlite3_free(error);
}

// The SQL values of `r` in the column order of schemas v1 and v2 (after v2's
// id), with `fingerprint_sql` for the fingerprint. Test values only (no
// quotes in them); the blob as a hex literal.
std::string CardValuesSql(const CardRecord& r, const std::string& fingerprint_sql) {
  return "'" + r.token + "', " + fingerprint_sql + ", " + std::to_string(r.dek_version) + ", x'" +
         Hex(r.sealed) + "', '" + r.bin + "', '" + r.last4 + "', '" + r.masked_pan + "', " +
         std::to_string(r.exp_month) + ", " + std::to_string(r.exp_year) + ", '" + r.brand +
         "', '" + r.token_format + "', " + std::to_string(r.created_ms);
}

std::string V1Insert(const CardRecord& r) {  // v1 stored the fingerprint as hex text
  return "INSERT INTO cards VALUES (" + CardValuesSql(r, "'" + r.fingerprint + "'") + ");";
}

TEST_F(SqliteCardStoreTest, MigratesSchemaV1InPlace) {
  CardRecord a = MakeRecord("tok_a", "same");
  CardRecord b = MakeRecord("tok_b", "same");
  b.created_ms = a.created_ms - 1;  // the older card of the fingerprint
  CardRecord c = MakeRecord("tok_c", "other");
  c.exp_year = 2020;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ExecOrFail(db, std::string(kSchemaV1Sql) + V1Insert(a) + V1Insert(b) + V1Insert(c) +
                       "INSERT INTO reveal_nonces VALUES ('jti-1', 4102444800000);");
    sqlite3_close(db);
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->Count(), 3);
  EXPECT_EQ(*store->Get("tok_a", 0), WithId(a, store->Get("tok_a", 0)->id));
  EXPECT_EQ(*store->Get("tok_c", 0), WithId(c, store->Get("tok_c", 0)->id));
  EXPECT_EQ(store->GetByFingerprint(Fp("same"))->token, "tok_b");
  // The nonce table is kept: a consumed grant stays consumed.
  EXPECT_EQ(store->ConsumeNonce("jti-1", 4102444800000).code(), StatusCode::kAlreadyExists);
  // Migrated rows keep their constraints: the token is still unique.
  EXPECT_EQ(store->Insert(MakeRecord("tok_a", "new")).code(), StatusCode::kAlreadyExists);
  Result<std::vector<CardRecord>> expired =
      store->ListExpired(TimePoint(std::chrono::milliseconds(kJan1st2026)), 10);
  ASSERT_TRUE(expired.ok()) << expired.status().message();
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ((*expired)[0].token, "tok_c");
  store.reset();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'cards_v1'",
                               -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);  // the old table is gone
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT MAX(version) FROM schema_version", -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), kCardStoreSchemaVersion);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

// Schema v2 as that version created it (indexes on the cards table).
constexpr const char* kSchemaV2Sql =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "INSERT INTO schema_version VALUES (2);"
    "CREATE TABLE cards (id INTEGER PRIMARY KEY, token TEXT NOT NULL, fingerprint BLOB NOT NULL,"
    " dek_version INTEGER NOT NULL, sealed BLOB NOT NULL, bin TEXT NOT NULL, last4 TEXT NOT NULL,"
    " masked_pan TEXT NOT NULL, exp_month INTEGER NOT NULL CHECK (exp_month BETWEEN 1 AND 12),"
    " exp_year INTEGER NOT NULL, brand TEXT NOT NULL, token_format TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX cards_by_token ON cards (token);"
    "CREATE INDEX cards_by_fingerprint ON cards (fingerprint, created_ms);"
    "CREATE INDEX cards_by_expiry ON cards (exp_year, exp_month);"
    "CREATE TABLE reveal_nonces (jti TEXT PRIMARY KEY NOT NULL, expires_ms INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE INDEX reveal_nonces_by_expiry ON reveal_nonces (expires_ms);";

std::string V2Insert(int64_t id, const CardRecord& r) {  // v2: an id, binary fingerprints
  return "INSERT INTO cards VALUES (" + std::to_string(id) + ", " +
         CardValuesSql(r, "x'" + r.fingerprint + "'") + ");";
}

TEST_F(SqliteCardStoreTest, MigratesSchemaV2InPlace) {
  CardRecord a = MakeRecord("tok_a", "same");
  CardRecord b = MakeRecord("tok_b", "same");
  b.created_ms = a.created_ms - 1;  // the older card of the fingerprint
  CardRecord c = MakeRecord("tok_c", "other");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ExecOrFail(db, std::string(kSchemaV2Sql) + V2Insert(3, a) + V2Insert(7, b) + V2Insert(40, c) +
                       "INSERT INTO reveal_nonces VALUES ('jti-1', 4102444800000);");
    sqlite3_close(db);
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->Count(), 3);
  // Old random tokens carry no id: found through the token index.
  EXPECT_EQ(*store->Get("tok_a", 0), WithId(a, 3));
  EXPECT_EQ(*store->Get("tok_c", 0), WithId(c, 40));
  EXPECT_EQ(*store->Get("tok_c", 999), WithId(c, 40));  // a wrong id hint is harmless
  // "First stored" was the oldest by creation time in v2; kept.
  EXPECT_EQ(store->GetByFingerprint(Fp("same"))->token, "tok_b");
  EXPECT_FALSE(store->InsertOrGetByFingerprint(MakeRecord("tok_d", "same"))->inserted);
  EXPECT_EQ(store->ConsumeNonce("jti-1", 4102444800000).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store->Insert(MakeRecord("tok_a", "new")).code(), StatusCode::kAlreadyExists);
  // New ids continue after the highest old one.
  Result<int64_t> first = store->ReserveIds(10);
  ASSERT_TRUE(first.ok());
  EXPECT_GT(*first, 40);
  ASSERT_TRUE(store->Delete("tok_b", 0).ok());
  EXPECT_EQ(store->GetByFingerprint(Fp("same"))->token, "tok_a");
  store.reset();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT COUNT(*) FROM sqlite_master WHERE name IN"
                               " ('cards_by_token', 'cards_by_fingerprint')",
                               -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);  // the v2 indexes are gone
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(SqliteCardStoreTest, RefusesToMigrateV1WithMalformedFingerprint) {
  CardRecord a = MakeRecord("tok_a", "fp");
  a.fingerprint = "NOT-HEX";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ExecOrFail(db, std::string(kSchemaV1Sql) + V1Insert(a));
    sqlite3_close(db);
  }
  SqliteCardStoreOptions options;
  options.path = path_;
  EXPECT_EQ(SqliteCardStore::Open(options).status().code(), StatusCode::kDataLoss);
  // Nothing changed: the v1 table and its row are still there.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT token, fingerprint FROM cards", -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "tok_a");
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)), "NOT-HEX");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(SqliteCardStoreTest, SchemaVersionRecordedOnce) {
  { ASSERT_NE(OpenStore(), nullptr); }
  { ASSERT_NE(OpenStore(), nullptr); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*), MAX(version) FROM schema_version", -1, &st,
                               nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 1);
  EXPECT_EQ(sqlite3_column_int(st, 1), kCardStoreSchemaVersion);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

}  // namespace
}  // namespace kura::vault
