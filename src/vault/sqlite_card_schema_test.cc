#include "vault/sqlite_card_schema.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/crypto/encoding.h"
#include "vault/slot_bucket.h"
#include "vault/sqlite_card_store_test_util.h"

namespace kura::vault {
namespace {

namespace fs = std::filesystem;

TEST_F(SqliteCardStoreTest, RefusesNewerSchema) {
  { ASSERT_NE(OpenStore(), nullptr); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_version (version) VALUES (99)", nullptr, nullptr,
                         nullptr),
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
         crypto::HexEncode(r.sealed) + "', '" + r.bin + "', '" + r.last4 + "', '" +
         r.masked_pan + "', " + std::to_string(r.exp_month) + ", " +
         std::to_string(r.exp_year) + ", '" + r.brand + "', '" + r.token_format + "', " +
         std::to_string(r.created_ms);
}

std::string V1Insert(const CardRecord& r) {  // v1 stored the fingerprint as hex text
  return "INSERT INTO cards VALUES (" +
         CardValuesSql(r, "'" + crypto::HexEncode(r.fingerprint) + "'") + ");";
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
      store->ListExpired(TimePoint(std::chrono::milliseconds(kJan1st2026)), 10, 0);
  ASSERT_TRUE(expired.ok()) << expired.status().message();
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ((*expired)[0].token, "tok_c");
  store.reset();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'cards_v1'", -1,
                               &st, nullptr),
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
         CardValuesSql(r, "x'" + crypto::HexEncode(r.fingerprint) + "'") + ");";
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
                               " ('cards_by_token', 'cards_by_fingerprint', 'cards_by_expiry')",
                               -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);  // the v2 indexes are gone (expiry: v5)
  sqlite3_finalize(st);
  sqlite3_close(db);
}

// Turns the (run, prefix)-keyed fingerprint_recent of v5 into the v3/v4
// table keyed by prefix alone, entries kept, and drops recent_runs.
constexpr const char* kRecentTableV4Sql =
    "CREATE TABLE old_recent (prefix INTEGER PRIMARY KEY, id INTEGER NOT NULL);"
    "INSERT INTO old_recent SELECT prefix, id FROM fingerprint_recent;"
    "DROP TABLE fingerprint_recent; DROP TABLE recent_runs;"
    "ALTER TABLE old_recent RENAME TO fingerprint_recent;";

// Turns the slot buckets of the database at `path` (schema v6) into the
// table of one row per slot that schemas v3 to v5 kept.
void UnbucketSlots(const std::string& path) {
  std::string sql =
      "CREATE TABLE fingerprint_slots (prefix INTEGER PRIMARY KEY, id INTEGER NOT NULL);";
  for (const SlotEntry& e : ReadSlots(path)) {
    sql += "INSERT INTO fingerprint_slots VALUES (" + std::to_string(e.first) + ", " +
           std::to_string(e.second) + ");";
  }
  ExecSql(path, (sql + "DROP TABLE fingerprint_buckets;").c_str());
}

// A v3 file gains slots_generation (at 0; v4) besides the v5 changes tested
// below: its cards, slots and merges carry on.
TEST_F(SqliteCardStoreTest, MigratesSchemaV3ByAddingTheSlotsGeneration) {
  {
    std::unique_ptr<SqliteCardStore> store = OpenStoreMergingAt(1);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->InsertOrGetByFingerprint(MakeRecord("tok_a", "fp-a"))->inserted);
    // A repeat: its write runs the merge the insert made due.
    EXPECT_FALSE(store->InsertOrGetByFingerprint(MakeRecord("tok_a2", "fp-a"))->inserted);
  }
  auto read_int = [this](const char* sql) { return ReadInt(path_, sql); };
  EXPECT_EQ(read_int("SELECT value FROM slots_generation"), 1);  // one merge
  {
    // What a v3 file looks like: no slots_generation.
    UnbucketSlots(path_);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ExecOrFail(db, std::string(kRecentTableV4Sql) +
                       "DROP TABLE slots_generation; UPDATE schema_version SET version = 3;");
    sqlite3_close(db);
  }
  std::unique_ptr<SqliteCardStore> store = OpenStoreMergingAt(1);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(read_int("SELECT MAX(version) FROM schema_version"), kCardStoreSchemaVersion);
  EXPECT_EQ(read_int("SELECT COUNT(*) FROM slots_generation"), 1);
  EXPECT_EQ(read_int("SELECT value FROM slots_generation"), 0);
  Result<std::vector<Result<InsertOutcome>>> out = store->InsertBatch(
      {{MakeRecord("tok_dup", "fp-a"), true}, {MakeRecord("tok_b", "fp-b"), true}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0]->record.token, "tok_a");
  EXPECT_TRUE((*out)[1]->inserted);
  EXPECT_FALSE(store->InsertOrGetByFingerprint(MakeRecord("tok_b2", "fp-b"))->inserted);
  EXPECT_EQ(read_int("SELECT value FROM slots_generation"), 1);
}

// v4 -> v5 drops the expiry index and moves the recent slots (keyed by
// prefix alone) to fingerprint_slots: the cards stay, the purge listing finds
// the expired ones without the index, and de-duplication finds the cards
// whose slots moved.
TEST_F(SqliteCardStoreTest, MigratesSchemaV4ByDroppingTheExpiryIndex) {
  CardRecord expired = MakeRecord("tok_old", "fp-old");
  expired.exp_month = 11;
  expired.exp_year = 2024;
  {
    std::unique_ptr<SqliteCardStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Insert(MakeRecord("tok_new", "fp-new")).ok());
    ASSERT_TRUE(store->Insert(expired).ok());
  }
  {
    // What a v4 file looks like: the expiry index on the cards table.
    UnbucketSlots(path_);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ExecOrFail(db, std::string(kRecentTableV4Sql) +
                       "CREATE INDEX cards_by_expiry ON cards (exp_year, exp_month);"
                       "UPDATE schema_version SET version = 4;");
    sqlite3_close(db);
  }
  std::unique_ptr<SqliteCardStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(ReadInt(path_, "SELECT MAX(version) FROM schema_version"), kCardStoreSchemaVersion);
  EXPECT_EQ(ReadInt(path_, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'cards_by_expiry'"),
            0);
  EXPECT_EQ(*store->Count(), 2);
  EXPECT_EQ(CountSlots(path_), 2);
  EXPECT_EQ(ReadInt(path_, "SELECT COUNT(*) FROM fingerprint_recent"), 0);
  EXPECT_EQ(ReadInt(path_, "SELECT COUNT(*) FROM recent_runs"), 0);
  EXPECT_EQ(ReadInt(path_, "SELECT value FROM slots_generation"), 1);  // the move counts
  EXPECT_EQ(store->InsertOrGetByFingerprint(MakeRecord("tok_x", "fp-new"))->record.token,
            "tok_new");
  ExpectBatchFinds(*store, MakeRecord("tok_y", "fp-old"), "tok_old");
  Result<std::vector<CardRecord>> list =
      store->ListExpired(TimePoint(std::chrono::milliseconds(kJan1st2026)), 10, 0);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].token, "tok_old");
}

// v5 -> v6 moves the slots (a row each) into buckets and drops the old
// table: every card is still found, by reads and by de-duplication, and
// merges carry on into the buckets.
TEST_F(SqliteCardStoreTest, MigratesSchemaV5ByBucketingTheSlots) {
  // Two fingerprints in one bucket (the same first bytes), one in another.
  const std::vector<std::string> labels = {
      std::string("\x10same-a", 7), std::string("\x10same-b", 7), std::string("\xe0other", 6)};
  {
    std::unique_ptr<SqliteCardStore> store = OpenStoreMergingAt(1);
    ASSERT_NE(store, nullptr);
    for (size_t i = 0; i < labels.size(); ++i) {
      ASSERT_TRUE(store->InsertOrGetByFingerprint(MakeRecord("tok_" + std::to_string(i), labels[i]))
                      ->inserted);
    }
    // A repeat: its write runs the merge the last insert made due.
    EXPECT_FALSE(store->InsertOrGetByFingerprint(MakeRecord("tok_r", labels[0]))->inserted);
  }
  ASSERT_EQ(CountSlots(path_), 3);
  ASSERT_EQ(ReadInt(path_, "SELECT COUNT(*) FROM fingerprint_buckets"), 2);
  UnbucketSlots(path_);
  ExecSql(path_, "UPDATE schema_version SET version = 5;");
  ASSERT_EQ(ReadInt(path_, "SELECT COUNT(*) FROM fingerprint_slots"), 3);
  std::unique_ptr<SqliteCardStore> store = OpenStoreMergingAt(1);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(ReadInt(path_, "SELECT MAX(version) FROM schema_version"), kCardStoreSchemaVersion);
  EXPECT_EQ(ReadInt(path_, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'fingerprint_slots'"),
            0);
  EXPECT_EQ(ReadInt(path_, "SELECT COUNT(*) FROM fingerprint_buckets"), 2);
  EXPECT_EQ(CountSlots(path_), 3);
  for (size_t i = 0; i < labels.size(); ++i) {
    EXPECT_EQ(store->GetByFingerprint(Fp(labels[i]))->token, "tok_" + std::to_string(i));
    ExpectBatchFinds(*store, MakeRecord("tok_again", labels[i]), "tok_" + std::to_string(i));
  }
  // New cards are merged into the buckets (the repeat's write runs the merge).
  ASSERT_TRUE(store->InsertOrGetByFingerprint(MakeRecord("tok_new", "\x10same-c"))->inserted);
  EXPECT_FALSE(store->InsertOrGetByFingerprint(MakeRecord("tok_x", "\x10same-c"))->inserted);
  EXPECT_EQ(CountSlots(path_), 4);
  EXPECT_EQ(ReadInt(path_, "SELECT COUNT(*) FROM fingerprint_buckets"), 2);
  // A deleted card leaves its bucket.
  ASSERT_TRUE(store->Delete("tok_2", 0).ok());
  EXPECT_EQ(CountSlots(path_), 3);
  EXPECT_EQ(ReadInt(path_, "SELECT COUNT(*) FROM fingerprint_buckets"), 1);
  EXPECT_EQ(store->GetByFingerprint(Fp(labels[2])).status().code(), StatusCode::kNotFound);
}

TEST_F(SqliteCardStoreTest, RefusesToMigrateV1WithMalformedFingerprint) {
  const CardRecord a = MakeRecord("tok_a", "fp");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ExecOrFail(db, std::string(kSchemaV1Sql) + "INSERT INTO cards VALUES (" +
                       CardValuesSql(a, "'NOT-HEX'") + ");");
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
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "SELECT COUNT(*), MAX(version) FROM schema_version", -1, &st, nullptr),
      SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 1);
  EXPECT_EQ(sqlite3_column_int(st, 1), kCardStoreSchemaVersion);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

}  // namespace
}  // namespace kura::vault
