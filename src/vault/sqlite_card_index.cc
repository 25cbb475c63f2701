#include "vault/sqlite_card_index.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "vault/slot_bucket.h"

namespace kura::vault {

using sqlite::Connection;
using sqlite::Statement;

const char* const kCardIndexSchemaSql =
    "CREATE TABLE IF NOT EXISTS id_sequence (next INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS token_index ("
    "  token TEXT PRIMARY KEY NOT NULL,"
    "  id INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS fingerprint_buckets ("
    "  bucket INTEGER PRIMARY KEY,"
    "  entries BLOB NOT NULL"
    ");"
    "CREATE TABLE IF NOT EXISTS fingerprint_recent ("
    "  run INTEGER NOT NULL,"
    "  prefix INTEGER NOT NULL,"
    "  id INTEGER NOT NULL,"
    "  PRIMARY KEY (run, prefix)"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS recent_runs (run INTEGER PRIMARY KEY);"
    "CREATE TABLE IF NOT EXISTS fingerprint_overflow ("
    "  fingerprint BLOB NOT NULL,"
    "  id INTEGER NOT NULL,"
    "  PRIMARY KEY (fingerprint, id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS slots_generation (value INTEGER NOT NULL);"
    "INSERT INTO slots_generation (value)"
    " SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM slots_generation);";

namespace {

// One primary-key look-up per run, newest first (CROSS JOIN keeps that
// order of the loops).
constexpr std::string_view kRecentSlotSql =
    "SELECT s.id, c.fingerprint FROM recent_runs r CROSS JOIN fingerprint_recent s"
    " JOIN cards c ON c.id = s.id WHERE s.run = r.run AND s.prefix = ?1 ORDER BY r.run DESC";
constexpr std::string_view kBucketSql = "SELECT entries FROM fingerprint_buckets WHERE bucket = ?1";
constexpr std::string_view kInsertBucketSql =
    "INSERT INTO fingerprint_buckets (bucket, entries) VALUES (?1, ?2)";
constexpr std::string_view kUpdateBucketSql =
    "UPDATE fingerprint_buckets SET entries = ?2 WHERE bucket = ?1";
constexpr std::string_view kDeleteBucketSql = "DELETE FROM fingerprint_buckets WHERE bucket = ?1";
constexpr std::string_view kAllBucketsSql = "SELECT bucket, entries FROM fingerprint_buckets";
constexpr std::string_view kCardFingerprintSql = "SELECT fingerprint FROM cards WHERE id = ?1";
// Ids need not follow the order cards were stored in (each process takes
// blocks of them), so the first stored is the earliest created.
constexpr std::string_view kOverflowSql =
    "SELECT o.id FROM fingerprint_overflow o JOIN cards c ON c.id = o.id"
    " WHERE o.fingerprint = ?1 ORDER BY c.created_ms, o.id LIMIT 1";
constexpr std::string_view kAnyOverflowSql = "SELECT 1 FROM fingerprint_overflow LIMIT 1";
constexpr std::string_view kInsertRecentSlotSql =
    "INSERT INTO fingerprint_recent (run, prefix, id) VALUES (?1, ?2, ?3)";
constexpr std::string_view kStartRecentRunSql =
    "INSERT INTO recent_runs (run) SELECT COALESCE(MAX(run), 0) + 1 FROM recent_runs"
    " RETURNING run";
constexpr std::string_view kLastRecentRunSql = "SELECT COALESCE(MAX(run), 0) FROM recent_runs";
constexpr std::string_view kInsertOverflowSql =
    "INSERT INTO fingerprint_overflow (fingerprint, id) VALUES (?1, ?2)";
constexpr std::string_view kDeleteRecentSlotSql =
    "DELETE FROM fingerprint_recent WHERE run IN (SELECT run FROM recent_runs)"
    " AND prefix = ?1 AND id = ?2";
constexpr std::string_view kRecentEntriesSql = "SELECT prefix, id FROM fingerprint_recent";
// After the buckets are written (MergeRecentSlots).
constexpr const char* kEndMergeSql =
    "DELETE FROM fingerprint_recent;"
    "DELETE FROM recent_runs;"
    "UPDATE slots_generation SET value = value + 1;";
constexpr std::string_view kSlotsGenerationSql = "SELECT value FROM slots_generation";
constexpr std::string_view kRecentSlotPrefixesSql = "SELECT prefix FROM fingerprint_recent";
constexpr std::string_view kCountRecentSql = "SELECT COUNT(*) FROM fingerprint_recent";
constexpr std::string_view kDeleteOverflowSql =
    "DELETE FROM fingerprint_overflow WHERE fingerprint = ?1 AND id = ?2";
constexpr std::string_view kInsertTokenSql = "INSERT INTO token_index (token, id) VALUES (?1, ?2)";
constexpr std::string_view kDeleteTokenSql =
    "DELETE FROM token_index WHERE token = ?1 AND id = ?2";
constexpr std::string_view kTakeIdsSql =
    "UPDATE id_sequence SET next = next + ?1 RETURNING next - ?1";

}  // namespace

int64_t FingerprintPrefix(std::string_view fingerprint) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) {
    v = (v << 8) | (i < fingerprint.size() ? static_cast<uint8_t>(fingerprint[i]) : 0);
  }
  return static_cast<int64_t>(v >> 1);
}

namespace {

// Reads bucket `bucket` of fingerprint_slots into `entries` (empty if it has
// no row). Returns whether it has one. Errors: kDataLoss for a corrupt
// bucket; storage errors.
Result<bool> ReadBucket(Connection& c, int64_t bucket, std::vector<SlotEntry>& entries) {
  entries.clear();
  ASSIGN_OR_RETURN(Statement st, c.Prepare(kBucketSql, "read fingerprint slots"));
  st.BindInt64(1, bucket);
  ASSIGN_OR_RETURN(const bool row, st.Step());
  if (!row) return false;
  RETURN_IF_ERROR(DecodeSlotBucket(bucket, st.ColumnBlobView(0), entries));
  return true;
}

// Stores `entries` as bucket `bucket` (which has a row if `exists`): an
// update, an insert, or a delete if no entry is left.
Status WriteBucket(Connection& c, int64_t bucket, const std::vector<SlotEntry>& entries,
                   bool exists, std::string& bytes) {
  if (entries.empty()) {
    if (!exists) return OkStatus();
    ASSIGN_OR_RETURN(Statement st, c.Prepare(kDeleteBucketSql, "write fingerprint slots"));
    st.BindInt64(1, bucket);
    return st.Step().status();
  }
  EncodeSlotBucket(entries.data(), entries.size(), bytes);
  ASSIGN_OR_RETURN(Statement st, c.Prepare(exists ? kUpdateBucketSql : kInsertBucketSql,
                                           "write fingerprint slots"));
  st.BindInt64(1, bucket).BindBlobRef(2, bytes);
  return st.Step().status();
}

// The card in `prefix`'s slot of fingerprint_slots, if any.
Result<std::optional<int64_t>> FindSlot(Connection& c, int64_t prefix) {
  std::vector<SlotEntry> entries;
  RETURN_IF_ERROR(ReadBucket(c, SlotBucketOf(prefix), entries).status());
  const auto it = std::lower_bound(entries.begin(), entries.end(), SlotEntry{prefix, 0});
  if (it == entries.end() || it->first != prefix) return std::optional<int64_t>();
  return std::optional<int64_t>(it->second);
}

}  // namespace

Result<FingerprintProbe> ProbeFingerprint(Connection& c, std::string_view fingerprint,
                                          bool overflow_empty, const SlotFilter* slots_filter,
                                          const SlotFilter* recent_filter,
                                          PendingRecentSlots* pending) {
  FingerprintProbe probe;
  const int64_t prefix = FingerprintPrefix(fingerprint);
  // A prefix has a slot in at most one of the two tables.
  for (const bool large : {false, true}) {
    const SlotFilter* filter = large ? slots_filter : recent_filter;
    if (filter != nullptr && !filter->MayContain(prefix)) {
      (large ? probe.slots_skipped : probe.recent_skipped) = true;
      continue;
    }
    if (large) {
      ASSIGN_OR_RETURN(const std::optional<int64_t> id, FindSlot(c, prefix));
      if (!id) continue;
      ASSIGN_OR_RETURN(Statement st, c.Prepare(kCardFingerprintSql, "find card by fingerprint"));
      st.BindInt64(1, *id);
      ASSIGN_OR_RETURN(const bool row, st.Step());
      if (!row) continue;  // a slot without its card holds nothing
      probe.slot_taken = true;
      if (st.ColumnBlobView(0) == fingerprint) probe.found_id = *id;
      break;
    }
    if (pending != nullptr) RETURN_IF_ERROR(FlushRecentSlots(c, *pending));
    ASSIGN_OR_RETURN(Statement st, c.Prepare(kRecentSlotSql, "find card by fingerprint"));
    st.BindInt64(1, prefix);
    ASSIGN_OR_RETURN(const bool row, st.Step());
    if (row) {
      probe.slot_taken = true;
      if (st.ColumnBlobView(1) == fingerprint) probe.found_id = st.ColumnInt64(0);
      break;
    }
  }
  if (probe.found_id != 0) return probe;
  if (overflow_empty) return probe;
  ASSIGN_OR_RETURN(Statement st, c.Prepare(kOverflowSql, "find card by fingerprint"));
  st.BindBlobRef(1, fingerprint);
  ASSIGN_OR_RETURN(const bool row, st.Step());
  if (row) probe.found_id = st.ColumnInt64(0);
  return probe;
}

Result<bool> OverflowIsEmpty(Connection& c) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare(kAnyOverflowSql, "find card by fingerprint"));
  ASSIGN_OR_RETURN(const bool row, st.Step());
  return !row;
}

Result<bool> IndexFingerprint(Connection& c, std::string_view fingerprint, int64_t id,
                              const FingerprintProbe& probe, int64_t run,
                              PendingRecentSlots* pending) {
  const bool slot = !probe.slot_taken && probe.found_id == 0;
  if (slot && pending != nullptr) {
    if (!pending->entries.empty() && pending->run != run) {
      RETURN_IF_ERROR(FlushRecentSlots(c, *pending));
    }
    pending->run = run;
    pending->entries.emplace_back(FingerprintPrefix(fingerprint), id);
    if (pending->entries.size() >= kRecentSlotsPerInsert) {
      RETURN_IF_ERROR(FlushRecentSlots(c, *pending));
    }
    return false;
  }
  ASSIGN_OR_RETURN(Statement st, c.Prepare(slot ? kInsertRecentSlotSql : kInsertOverflowSql,
                                           "index card fingerprint"));
  if (slot) {
    st.BindInt64(1, run).BindInt64(2, FingerprintPrefix(fingerprint)).BindInt64(3, id);
  } else {
    st.BindBlobRef(1, fingerprint).BindInt64(2, id);
  }
  RETURN_IF_ERROR(st.Step());
  return !slot;
}

namespace {

// Writes (prefix, id) pairs to run `run` of fingerprint_recent,
// kRecentSlotsPerInsert at a time by one multi-row INSERT, the remainder one
// by one.
class RecentSlotWriter {
 public:
  explicit RecentSlotWriter(int64_t run) : run_(run) {}

  Status Write(Connection& c, const std::pair<int64_t, int64_t>* pairs, size_t count) const {
    static const std::string* const kRowsSql = new std::string(RowsSql(kRecentSlotsPerInsert));
    size_t done = 0;
    for (; count - done >= kRecentSlotsPerInsert; done += kRecentSlotsPerInsert) {
      RETURN_IF_ERROR(Insert(c, *kRowsSql, pairs + done, kRecentSlotsPerInsert));
    }
    for (; done < count; ++done) {
      RETURN_IF_ERROR(Insert(c, kInsertRecentSlotSql, pairs + done, 1));
    }
    return OkStatus();
  }

 private:
  // "INSERT INTO fingerprint_recent (run, prefix, id) VALUES (?1, ?2, ?3),
  // (?1, ?4, ?5), ..." with `rows` rows.
  static std::string RowsSql(size_t rows) {
    std::string sql = "INSERT INTO fingerprint_recent (run, prefix, id) VALUES ";
    for (size_t i = 0; i < rows; ++i) {
      sql += i == 0 ? "(?1, ?" : ", (?1, ?";
      sql += std::to_string(2 * i + 2) + ", ?" + std::to_string(2 * i + 3) + ")";
    }
    return sql;
  }

  Status Insert(Connection& c, std::string_view sql, const std::pair<int64_t, int64_t>* pairs,
                size_t rows) const {
    // Cached by the connection (by its text).
    ASSIGN_OR_RETURN(Statement st, c.Prepare(sql, "index card fingerprints"));
    st.BindInt64(1, run_);
    for (size_t i = 0; i < rows; ++i) {
      st.BindInt64(static_cast<int>(2 * i + 2), pairs[i].first)
          .BindInt64(static_cast<int>(2 * i + 3), pairs[i].second);
    }
    Status s = st.StepInsertUnique("card store: a recent slot was taken twice");
    // A clash means a slot was written without a probe first: a bug, not
    // the caller's input.
    if (s.code() == StatusCode::kAlreadyExists) return InternalError(s.message());
    return s;
  }

  int64_t run_;
};

}  // namespace

Status FlushRecentSlots(Connection& c, PendingRecentSlots& pending) {
  const Status s =
      RecentSlotWriter(pending.run).Write(c, pending.entries.data(), pending.entries.size());
  pending.entries.clear();
  return s;
}

Status IndexToken(Connection& c, std::string_view token, int64_t id) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare(kInsertTokenSql, "index card token"));
  st.BindTextRef(1, token).BindInt64(2, id);
  return st.StepInsertUnique("card store: insert card: token already exists");
}

Status UnindexCard(Connection& c, int64_t id, std::string_view token,
                   std::string_view fingerprint) {
  const int64_t prefix = FingerprintPrefix(fingerprint);
  {
    std::vector<SlotEntry> entries;
    const int64_t bucket = SlotBucketOf(prefix);
    ASSIGN_OR_RETURN(const bool exists, ReadBucket(c, bucket, entries));
    const auto it = std::find(entries.begin(), entries.end(), SlotEntry{prefix, id});
    if (it != entries.end()) {
      entries.erase(it);
      std::string bytes;
      RETURN_IF_ERROR(WriteBucket(c, bucket, entries, exists, bytes));
    }
  }
  {
    ASSIGN_OR_RETURN(Statement st, c.Prepare(kDeleteRecentSlotSql, "unindex card"));
    st.BindInt64(1, prefix).BindInt64(2, id);
    RETURN_IF_ERROR(st.Step());
  }
  {
    ASSIGN_OR_RETURN(Statement st, c.Prepare(kDeleteOverflowSql, "unindex card"));
    st.BindBlob(1, fingerprint).BindInt64(2, id);
    RETURN_IF_ERROR(st.Step());
  }
  ASSIGN_OR_RETURN(Statement st, c.Prepare(kDeleteTokenSql, "unindex card"));
  st.BindText(1, token).BindInt64(2, id);
  return st.Step().status();
}

Result<int64_t> CountRecentSlots(Connection& c) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare(kCountRecentSql, "count recent slots"));
  ASSIGN_OR_RETURN(const bool row, st.Step());
  return row ? st.ColumnInt64(0) : 0;
}

namespace {

// The integer an INSERT/UPDATE ... RETURNING statement returns in its one
// row (nullopt if it returned none). Steps the statement to its end, so the
// change is complete before anything else runs.
Result<std::optional<int64_t>> ReturnedInt(Statement& st) {
  ASSIGN_OR_RETURN(const bool row, st.Step());
  if (!row) return std::optional<int64_t>();
  const int64_t value = st.ColumnInt64(0);
  ASSIGN_OR_RETURN(const bool more, st.Step());
  (void)more;
  return std::optional<int64_t>(value);
}

}  // namespace

Result<int64_t> StartRecentRun(Connection& c) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare(kStartRecentRunSql, "start a run of recent slots"));
  ASSIGN_OR_RETURN(const std::optional<int64_t> run, ReturnedInt(st));
  if (!run) return InternalError("card store: starting a run of recent slots returned nothing");
  return *run;
}

Result<int64_t> LastRecentRun(Connection& c) {
  {
    ASSIGN_OR_RETURN(Statement st, c.Prepare(kLastRecentRunSql, "find the last run of slots"));
    ASSIGN_OR_RETURN(const bool row, st.Step());
    if (row && st.ColumnInt64(0) > 0) return st.ColumnInt64(0);
  }
  return StartRecentRun(c);
}

Status AddSlots(Connection& c, const SlotEntry* entries, size_t count, std::string_view operation) {
  const auto error = [operation](Status (*make)(std::string), const char* what) {
    return make("card store: " + std::string(operation) + ": " + what);
  };
  // Bucket by bucket, in order: each read, merged with its new entries, and
  // written back once.
  std::vector<SlotEntry> old_entries;
  std::vector<SlotEntry> merged;
  std::string bytes;
  for (size_t i = 0; i < count;) {
    const int64_t bucket = SlotBucketOf(entries[i].first);
    size_t end = i;
    for (; end < count && SlotBucketOf(entries[end].first) == bucket; ++end) {
      if (entries[end].first < 0 || entries[end].second <= 0) {
        return error(DataLossError, "a slot is malformed");
      }
    }
    ASSIGN_OR_RETURN(const bool exists, ReadBucket(c, bucket, old_entries));
    merged.resize(old_entries.size() + (end - i));
    std::merge(old_entries.begin(), old_entries.end(), entries + i, entries + end, merged.begin());
    const auto same_prefix = [](const SlotEntry& a, const SlotEntry& b) {
      return a.first == b.first;
    };
    if (std::adjacent_find(merged.begin(), merged.end(), same_prefix) != merged.end()) {
      // The tables' invariant rules this out: a bug or a tampered file.
      return error(InternalError, "a slot is taken twice");
    }
    RETURN_IF_ERROR(WriteBucket(c, bucket, merged, exists, bytes));
    i = end;
  }
  return OkStatus();
}

Status MergeRecentSlots(Connection& c) {
  std::vector<SlotEntry> recent;
  {
    ASSIGN_OR_RETURN(Statement st, c.Prepare(kRecentEntriesSql, "merge recent fingerprint slots"));
    for (;;) {
      ASSIGN_OR_RETURN(const bool row, st.Step());
      if (!row) break;
      recent.emplace_back(st.ColumnInt64(0), st.ColumnInt64(1));
    }
  }
  std::sort(recent.begin(), recent.end());
  RETURN_IF_ERROR(AddSlots(c, recent.data(), recent.size(), "merge recent fingerprint slots"));
  return c.Exec(kEndMergeSql, "merge recent fingerprint slots");
}

Result<int64_t> DataVersion(Connection& c) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare("PRAGMA data_version", "read data version"));
  ASSIGN_OR_RETURN(const bool row, st.Step());
  if (!row) return InternalError("card store: PRAGMA data_version returned nothing");
  return st.ColumnInt64(0);
}

Result<int64_t> SlotsGeneration(Connection& c) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare(kSlotsGenerationSql, "read slots generation"));
  ASSIGN_OR_RETURN(const bool row, st.Step());
  if (!row) return DataLossError("card store: the slots generation is missing");
  return st.ColumnInt64(0);
}

namespace {

Status AddPrefixes(Connection& c, std::string_view sql, SlotFilter& filter) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare(sql, "read fingerprint slots"));
  // A ring of the rows read but not added yet: each prefix is prefetched
  // kSlotFilterPrefetchDistance rows before it is added.
  std::array<int64_t, kSlotFilterPrefetchDistance> ahead;
  size_t read = 0;
  for (;;) {
    ASSIGN_OR_RETURN(const bool row, st.Step());
    if (!row) break;
    const int64_t prefix = st.ColumnInt64(0);
    filter.Prefetch(prefix);
    int64_t& slot = ahead[read % ahead.size()];
    if (read >= ahead.size()) filter.Add(slot);
    slot = prefix;
    ++read;
  }
  for (size_t k = read > ahead.size() ? read - ahead.size() : 0; k < read; ++k) {
    filter.Add(ahead[k % ahead.size()]);
  }
  return OkStatus();
}

}  // namespace

Status AddSlotPrefixes(Connection& c, SlotFilter& filter) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare(kAllBucketsSql, "read fingerprint slots"));
  std::vector<SlotEntry> entries;
  for (;;) {
    ASSIGN_OR_RETURN(const bool row, st.Step());
    if (!row) return OkStatus();
    RETURN_IF_ERROR(DecodeSlotBucket(st.ColumnInt64(0), st.ColumnBlobView(1), entries));
    // Each prefix prefetched kSlotFilterPrefetchDistance entries before it is added.
    const size_t n = entries.size();
    for (size_t k = 0; k < n && k < kSlotFilterPrefetchDistance; ++k) {
      filter.Prefetch(entries[k].first);
    }
    for (size_t k = 0; k < n; ++k) {
      if (k + kSlotFilterPrefetchDistance < n) {
        filter.Prefetch(entries[k + kSlotFilterPrefetchDistance].first);
      }
      filter.Add(entries[k].first);
    }
  }
}

Status AddRecentSlotPrefixes(Connection& c, SlotFilter& filter) {
  return AddPrefixes(c, kRecentSlotPrefixesSql, filter);
}

Result<int64_t> FirstUnreservedId(Connection& c) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare("SELECT next FROM id_sequence", "read id sequence"));
  ASSIGN_OR_RETURN(const bool row, st.Step());
  if (!row) return DataLossError("card store: the id sequence is missing");
  return st.ColumnInt64(0);
}

Result<int64_t> TakeIds(Connection& c, int64_t count) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare(kTakeIdsSql, "reserve ids"));
  st.BindInt64(1, count);
  ASSIGN_OR_RETURN(const std::optional<int64_t> first, ReturnedInt(st));
  if (!first) return DataLossError("card store: the id sequence is missing");
  return *first;
}

}  // namespace kura::vault
