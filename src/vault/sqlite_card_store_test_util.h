// Test helpers shared by the card store's tests (sqlite_card_store_test.cc,
// sqlite_card_index_test.cc, sqlite_card_schema_test.cc): a fixture with a
// fresh directory per test, and records made from readable labels.
#ifndef KURA_VAULT_SQLITE_CARD_STORE_TEST_UTIL_H_
#define KURA_VAULT_SQLITE_CARD_STORE_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vault/card_store.h"
#include "vault/slot_bucket.h"
#include "vault/sqlite_card_store.h"

namespace kura::vault {

inline constexpr int64_t kJan1st2026 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

// A fingerprint (raw bytes, as in CardRecord) made from a readable label:
// the label's own bytes.
inline std::string Fp(std::string_view label) { return std::string(label); }

inline CardRecord MakeRecord(const std::string& token, const std::string& fingerprint_label) {
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

// A connection of its own to the database at `path` (closed on
// destruction), and its statements (finalized with it), for tests that read
// or write tables directly.
class TestDb {
 public:
  explicit TestDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~TestDb() {
    for (sqlite3_stmt* st : statements_) sqlite3_finalize(st);
    sqlite3_close(db_);
  }
  TestDb(const TestDb&) = delete;
  TestDb& operator=(const TestDb&) = delete;

  sqlite3* db() const { return db_; }
  sqlite3_stmt* Prepare(const char* sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
    statements_.push_back(st);
    return st;
  }

 private:
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;
};

// The first column of the first row `sql` returns from the database at
// `path` (opened on its own connection).
inline int64_t ReadInt(const std::string& path, const char* sql) {
  TestDb db(path);
  sqlite3_stmt* st = db.Prepare(sql);
  EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
  return sqlite3_column_int64(st, 0);
}

// Runs `sql` on the database at `path` (opened on its own connection).
inline void ExecSql(const std::string& path, const char* sql) {
  TestDb db(path);
  EXPECT_EQ(sqlite3_exec(db.db(), sql, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db.db());
}

// Writes a bucket of the fingerprint slot table holding `entry` alone, as
// the store would encode it (slot_bucket.h).
inline void PutSlotBucket(const std::string& path, const SlotEntry& entry) {
  std::string bytes;
  EncodeSlotBucket(&entry, 1, bytes);
  TestDb db(path);
  sqlite3_stmt* st = db.Prepare("INSERT INTO fingerprint_buckets VALUES (?1, ?2)");
  sqlite3_bind_int64(st, 1, SlotBucketOf(entry.first));
  sqlite3_bind_blob(st, 2, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
}

// Every entry of the fingerprint slot table, in bucket order (its buckets
// decoded: slot_bucket.h).
inline std::vector<SlotEntry> ReadSlots(const std::string& path) {
  TestDb db(path);
  sqlite3_stmt* st = db.Prepare("SELECT bucket, entries FROM fingerprint_buckets");
  std::vector<SlotEntry> all;
  std::vector<SlotEntry> entries;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const std::string_view bytes(static_cast<const char*>(sqlite3_column_blob(st, 1)),
                                 static_cast<size_t>(sqlite3_column_bytes(st, 1)));
    EXPECT_TRUE(DecodeSlotBucket(sqlite3_column_int64(st, 0), bytes, entries).ok());
    all.insert(all.end(), entries.begin(), entries.end());
  }
  return all;
}

inline int64_t CountSlots(const std::string& path) {
  return static_cast<int64_t>(ReadSlots(path).size());
}

// `r` as the store returns it: with the row id it was given.
inline CardRecord WithId(CardRecord r, int64_t id) {
  r.id = id;
  return r;
}

// "" if the file does not exist.
inline std::string ReadFileBytes(const std::string& path) {
  std::string out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

inline unsigned FileMode(const std::string& path) {
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
    std::filesystem::remove_all(dir_, ec);
  }

  // A store on path_ with `options` (its path is set here).
  std::unique_ptr<SqliteCardStore> OpenStoreWith(SqliteCardStoreOptions options) {
    options.path = path_;
    Result<std::unique_ptr<SqliteCardStore>> store = SqliteCardStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // A store whose recent fingerprint slots merge at exactly `at` entries
  // (a fixed threshold, not growing with the vault).
  std::unique_ptr<SqliteCardStore> OpenStoreMergingAt(int64_t at) {
    SqliteCardStoreOptions options;
    options.recent_slots_merge_at = at;
    options.recent_slots_merge_scale = 0;
    return OpenStoreWith(options);
  }

  // Two stores on path_, as two processes would open it (OpenStoreMergingAt).
  void OpenTwoStoresMergingAt(int64_t at, std::unique_ptr<SqliteCardStore>* first,
                              std::unique_ptr<SqliteCardStore>* second) {
    *first = OpenStoreMergingAt(at);
    *second = OpenStoreMergingAt(at);
    ASSERT_NE(*first, nullptr);
    ASSERT_NE(*second, nullptr);
  }

  // `n` de-duplicating items: tokens `token_prefix` + i, fingerprints of
  // the labels label_prefix + i (or i + label_suffix).
  static std::vector<BatchInsertItem> NumberedItems(const std::string& token_prefix, int n,
                                                    const std::string& label_prefix,
                                                    const std::string& label_suffix = "") {
    std::vector<BatchInsertItem> items;
    for (int i = 0; i < n; ++i) {
      items.push_back({MakeRecord(token_prefix + std::to_string(i),
                                  label_prefix + std::to_string(i) + label_suffix),
                       true});
    }
    return items;
  }

  // Expects a one-item de-duplicating InsertBatch of `record` to find the
  // stored card with `token` instead of inserting.
  static void ExpectBatchFinds(SqliteCardStore& store, CardRecord record,
                               const std::string& token) {
    Result<std::vector<Result<InsertOutcome>>> out =
        store.InsertBatch({BatchInsertItem{std::move(record), true}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->size(), 1u);
    ASSERT_TRUE((*out)[0].ok()) << (*out)[0].status().ToString();
    EXPECT_FALSE((*out)[0]->inserted);
    EXPECT_EQ((*out)[0]->record.token, token);
  }

  std::unique_ptr<SqliteCardStore> OpenStore(size_t max_batch = kDefaultMaxBatch) {
    SqliteCardStoreOptions options;
    options.max_batch = max_batch;
    return OpenStoreWith(options);
  }

  std::string dir_;
  std::string path_;
};

}  // namespace kura::vault

#endif  // KURA_VAULT_SQLITE_CARD_STORE_TEST_UTIL_H_
