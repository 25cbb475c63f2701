#include "vault/sqlite_card_schema.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "vault/card_store.h"
#include "vault/sqlite_card_index.h"
#include "vault/sqlite_card_store.h"

namespace kura::vault {

using sqlite::Connection;
using sqlite::Statement;

namespace {

// Schema v3 to v5. Rows are appended in id order (the integer primary key;
// ids come from id_sequence), so storing a card writes the table's last page.
// Look-ups by token and fingerprint go through the tables of
// sqlite_card_index.h instead of indexes on this table. There is no index
// at all on it since v5: the expiry index (v1 to v4) cost every stored card
// a second B-tree insert (10 to 18 % of a bulk tokenize) for the benefit
// of the retention purge only, which now scans the table in id order
// (ListExpiredCards).
constexpr const char* kCardsTableSql =
    "CREATE TABLE IF NOT EXISTS cards ("
    "  id INTEGER PRIMARY KEY,"
    "  token TEXT NOT NULL,"
    "  fingerprint BLOB NOT NULL,"
    "  dek_version INTEGER NOT NULL,"
    "  sealed BLOB NOT NULL,"
    "  bin TEXT NOT NULL,"
    "  last4 TEXT NOT NULL,"
    "  masked_pan TEXT NOT NULL,"
    "  exp_month INTEGER NOT NULL CHECK (exp_month BETWEEN 1 AND 12),"
    "  exp_year INTEGER NOT NULL,"
    "  brand TEXT NOT NULL,"
    "  token_format TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL"
    ");";
constexpr const char* kOtherTablesSql =
    "CREATE TABLE IF NOT EXISTS reveal_nonces ("
    "  jti TEXT PRIMARY KEY NOT NULL,"
    "  expires_ms INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS reveal_nonces_by_expiry ON reveal_nonces (expires_ms);";

Status CreateTables(Connection& c) {
  RETURN_IF_ERROR(c.Exec(kCardsTableSql, "create schema"));
  RETURN_IF_ERROR(c.Exec(kOtherTablesSql, "create schema"));
  return c.Exec(kCardIndexSchemaSql, "create schema");
}

// Schema v1 (token-keyed WITHOUT ROWID table, hex fingerprints) is migrated
// in place by MigrateV1: renamed, copied row by row, dropped.
constexpr const char* kMigrateV1RenameSql =
    "DROP INDEX IF EXISTS cards_by_fingerprint;"
    "DROP INDEX IF EXISTS cards_by_expiry;"
    "ALTER TABLE cards RENAME TO cards_v1;";

constexpr int LowerHexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// LowerHexValue of every byte, looked up rather than branched on: a batch
// decodes millions of random digits, where the branches mispredict.
constexpr std::array<int8_t, 256> kLowerHexValues = [] {
  std::array<int8_t, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = static_cast<int8_t>(LowerHexValue(static_cast<char>(c)));
  return t;
}();

// The bytes of a v1 fingerprint (lower-case hex text; later schemas hold the
// raw bytes). Only lower-case hex round-trips exactly, so nothing else is
// accepted: kInvalidArgument for an empty, odd-length, longer than
// 2 x kMaxFingerprintBytes, or non-lower-case-hex `hex`.
Result<std::string> FingerprintBytes(std::string_view hex) {
  if (hex.empty() || hex.size() % 2 != 0 || hex.size() > 2 * kMaxFingerprintBytes) {
    return InvalidArgumentError(
        "card store: fingerprint must be lower-case hex of even length, 2 to " +
        std::to_string(2 * kMaxFingerprintBytes) + " characters");
  }
  std::string out(hex.size() / 2, '\0');
  int bad = 0;  // any digit's value negative: checked once at the end
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = kLowerHexValues[static_cast<uint8_t>(hex[2 * i])];
    const int lo = kLowerHexValues[static_cast<uint8_t>(hex[2 * i + 1])];
    bad |= hi | lo;
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  if (bad < 0) return InvalidArgumentError("card store: fingerprint must be lower-case hex");
  return out;
}

// Copies every v1 card (hex fingerprint TEXT, token-keyed table, renamed to
// cards_v1) into the cards table, in token order, with ids 1, 2, ...
// Errors: kDataLoss if a v1 row's fingerprint is not lower-case hex (nothing
// is guessed); storage errors.
Status CopyV1Cards(Connection& c) {
  ASSIGN_OR_RETURN(
      Statement read,
      c.Prepare("SELECT token, fingerprint, dek_version, sealed, bin, last4, masked_pan, exp_month,"
                " exp_year, brand, token_format, created_ms FROM cards_v1 ORDER BY token",
                "migrate schema v1: read"));
  for (int64_t id = 1;; ++id) {
    ASSIGN_OR_RETURN(const bool row, read.Step());
    if (!row) return OkStatus();
    Result<std::string> fingerprint = FingerprintBytes(read.ColumnText(1));
    if (!fingerprint.ok()) {
      return DataLossError("card store: migrate schema v1: a card has a malformed fingerprint");
    }
    // Cached by the connection; resets itself at the end of each iteration.
    ASSIGN_OR_RETURN(Statement write, c.Prepare(kInsertCardSql, "migrate schema v1: write"));
    write.BindText(1, read.ColumnText(0))
        .BindBlob(2, *fingerprint)
        .BindInt64(3, read.ColumnInt64(2))
        .BindBlob(4, read.ColumnBlob(3))
        .BindText(5, read.ColumnText(4))
        .BindText(6, read.ColumnText(5))
        .BindText(7, read.ColumnText(6))
        .BindInt64(8, read.ColumnInt64(7))
        .BindInt64(9, read.ColumnInt64(8))
        .BindText(10, read.ColumnText(9))
        .BindText(11, read.ColumnText(10))
        .BindInt64(12, read.ColumnInt64(11))
        .BindInt64(13, id);
    RETURN_IF_ERROR(write.Step().status());
  }
}

// Migrates a schema-1 database to a v3 cards table without look-up tables
// (BuildLookUpTables follows): the v1 table is renamed, copied and dropped
// (its freed pages are zeroed: secure_delete).
Status MigrateV1(Connection& c) {
  RETURN_IF_ERROR(c.Exec(kMigrateV1RenameSql, "migrate schema v1"));
  RETURN_IF_ERROR(c.Exec(kCardsTableSql, "create schema"));
  RETURN_IF_ERROR(CopyV1Cards(c));  // its read statement is reset on return
  return c.Exec("DROP TABLE cards_v1", "migrate schema v1: drop old table");
}

// Schema v2 kept indexes on token and (fingerprint, created_ms) in the
// cards table itself; v3 replaces them with the look-up tables.
constexpr const char* kMigrateV2DropSql =
    "DROP INDEX IF EXISTS cards_by_token;"
    "DROP INDEX IF EXISTS cards_by_fingerprint;";

// Schema v5 drops the expiry index (its freed pages are zeroed: secure_delete).
constexpr const char* kMigrateV4DropSql = "DROP INDEX IF EXISTS cards_by_expiry;";
// ... and keys fingerprint_recent by (run, prefix): the v3/v4 table (keyed by
// prefix) is merged into the v3-v5 slot table and dropped; CreateTables makes
// the new one. (A v4 file's merge count, slots_generation, is raised after;
// MigrateSlotsToBuckets then moves the slots to v6's buckets.)
constexpr const char* kMigrateV4RecentSql =
    "INSERT INTO fingerprint_slots (prefix, id)"
    " SELECT prefix, id FROM fingerprint_recent ORDER BY prefix;"
    "DROP TABLE fingerprint_recent;";

// Fills the look-up tables of sqlite_card_index.h from the cards table of a
// v1 (after MigrateV1) or v2 database. Every existing token was drawn at
// random, not minted from its id, so all go to token_index. Both are filled
// in key order — a v2 database still has its token and (fingerprint,
// created_ms) indexes at this point, so these are ordered scans, and every
// insert appends — instead of one random B-tree insert per card (a
// million-card v2 vault opened in 11.4 s that way, in 4.3 s like this).
// Cards sharing a fingerprint
// come oldest first, so the slot goes to the oldest and "first stored" stays
// what it was; of fingerprints sharing a slot prefix, the smallest takes the
// slot and the others go to the overflow, all oldest first.
Status BuildLookUpTables(Connection& c) {
  RETURN_IF_ERROR(c.Exec(kCardIndexSchemaSql, "create schema"));
  RETURN_IF_ERROR(
      c.Exec("INSERT INTO token_index (token, id) SELECT token, id FROM cards ORDER BY token",
             "migrate: index tokens"));
  ASSIGN_OR_RETURN(
      Statement read,
      c.Prepare("SELECT id, fingerprint FROM cards ORDER BY fingerprint, created_ms, id",
                "migrate: read fingerprints"));
  bool overflow_empty = true;  // a new table, and nothing added yet
  ASSIGN_OR_RETURN(const int64_t run, StartRecentRun(c));
  for (;;) {
    ASSIGN_OR_RETURN(const bool row, read.Step());
    if (!row) break;
    const int64_t id = read.ColumnInt64(0);
    const std::string fingerprint = read.ColumnBlob(1);
    ASSIGN_OR_RETURN(const FingerprintProbe probe,
                     ProbeFingerprint(c, fingerprint, overflow_empty));
    ASSIGN_OR_RETURN(const bool overflow, IndexFingerprint(c, fingerprint, id, probe, run));
    if (overflow) overflow_empty = false;
  }
  return MergeRecentSlots(c);  // migrated slots go straight to the large table
}

// Schema v6 keeps the fingerprint slots in buckets (slot_bucket.h): the
// v3-v5 table of one row per slot is read in prefix order and added
// kMigrateSlotsChunk at a time (AddSlots; a bucket cut between two chunks
// is read back and merged), then dropped (its freed pages are zeroed:
// secure_delete).
constexpr size_t kMigrateSlotsChunk = size_t{1} << 20;

Status MigrateSlotsToBuckets(Connection& c) {
  {
    ASSIGN_OR_RETURN(Statement read,
                     c.Prepare("SELECT prefix, id FROM fingerprint_slots ORDER BY prefix",
                               "migrate schema v5: read slots"));
    std::vector<SlotEntry> chunk;
    for (bool more = true; more;) {
      ASSIGN_OR_RETURN(more, read.Step());
      if (more) chunk.emplace_back(read.ColumnInt64(0), read.ColumnInt64(1));
      if (chunk.size() == kMigrateSlotsChunk || (!more && !chunk.empty())) {
        RETURN_IF_ERROR(AddSlots(c, chunk.data(), chunk.size(), "migrate schema v5"));
        chunk.clear();
      }
    }
  }
  return c.Exec("DROP TABLE fingerprint_slots", "migrate schema v5: drop old slots");
}

Status CreateSchemaInTransaction(Connection& c) {
  RETURN_IF_ERROR(c.Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
                         "create schema"));
  int64_t version = 0;
  {
    // Scoped: an unfinished statement would lock the tables MigrateV1 alters.
    ASSIGN_OR_RETURN(Statement st,
                     c.Prepare("SELECT MAX(version) FROM schema_version", "read schema version"));
    ASSIGN_OR_RETURN(const bool row, st.Step());
    version = row ? st.ColumnInt64(0) : 0;
  }
  if (version > kCardStoreSchemaVersion) {
    return FailedPreconditionError("card store: database schema is newer than this program");
  }
  if (version == 1) RETURN_IF_ERROR(MigrateV1(c));
  if (version == 1 || version == 2) RETURN_IF_ERROR(BuildLookUpTables(c));
  // After the fill, which reads through them.
  if (version == 2) RETURN_IF_ERROR(c.Exec(kMigrateV2DropSql, "migrate schema v2"));
  // Versions 2 to 4 have the expiry index (v1's went in MigrateV1).
  if (version >= 2 && version <= 4) {
    RETURN_IF_ERROR(c.Exec(kMigrateV4DropSql, "migrate schema v4"));
  }
  if (version == 3 || version == 4) {
    RETURN_IF_ERROR(c.Exec(kMigrateV4RecentSql, "migrate schema v4"));
  }
  if (version == 4) {
    RETURN_IF_ERROR(c.Exec("UPDATE slots_generation SET value = value + 1", "migrate schema v4"));
  }
  RETURN_IF_ERROR(CreateTables(c));
  // Versions 3 to 5 have the slot table of one row per slot.
  if (version >= 3 && version <= 5) RETURN_IF_ERROR(MigrateSlotsToBuckets(c));
  // A new or migrated database: start the id sequence after its cards.
  RETURN_IF_ERROR(c.Exec("INSERT INTO id_sequence (next)"
                         " SELECT n FROM (SELECT COALESCE(MAX(id), 0) + 1 AS n FROM cards)"
                         " WHERE NOT EXISTS (SELECT 1 FROM id_sequence)",
                         "start id sequence"));
  if (version < kCardStoreSchemaVersion) {
    ASSIGN_OR_RETURN(Statement ins, c.Prepare("INSERT INTO schema_version (version) VALUES (?1)",
                                              "write schema version"));
    ins.BindInt64(1, kCardStoreSchemaVersion);
    RETURN_IF_ERROR(ins.Step());
  }
  return OkStatus();
}

}  // namespace

Status CreateCardSchema(Connection& c) {
  RETURN_IF_ERROR(c.Exec("BEGIN IMMEDIATE", "begin schema transaction"));
  Status s = CreateSchemaInTransaction(c);
  if (s.ok()) s = c.Exec("COMMIT", "commit schema");
  if (!s.ok() && !c.InAutocommit()) c.Exec("ROLLBACK", "rollback schema").IgnoreError();
  return s;
}

}  // namespace kura::vault
