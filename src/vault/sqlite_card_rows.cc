#include "vault/sqlite_card_rows.h"

#include <array>
#include <string>

#include "vault/sqlite_card_index.h"
#include "vault/sqlite_card_schema.h"

namespace kura::vault {

using sqlite::Connection;
using sqlite::Statement;

namespace {

// Column list shared by every query that returns whole records; ReadRecord
// depends on this order.
// (The cards table is always aliased `c`.)
#define KURA_CARD_COLUMNS                                                                 \
  "c.id, c.token, c.fingerprint, c.dek_version, c.sealed, c.bin, c.last4, c.masked_pan, " \
  "c.exp_month, c.exp_year, c.brand, c.token_format, c.created_ms"

constexpr std::string_view kGetByIdSql =
    "SELECT " KURA_CARD_COLUMNS " FROM cards c WHERE c.id = ?1";
constexpr std::string_view kGetByIdAndTokenSql =
    "SELECT " KURA_CARD_COLUMNS " FROM cards c WHERE c.id = ?1 AND c.token = ?2";
constexpr std::string_view kGetByIndexedTokenSql =
    "SELECT " KURA_CARD_COLUMNS
    " FROM token_index t JOIN cards c ON c.id = t.id WHERE t.token = ?1";
constexpr std::string_view kListExpiredSql =
    "SELECT " KURA_CARD_COLUMNS
    " FROM cards c WHERE c.id > ?3 AND (c.exp_year, c.exp_month) < (?1, ?2)"
    " ORDER BY c.id LIMIT ?4";
constexpr std::string_view kListByDekSql =
    "SELECT " KURA_CARD_COLUMNS
    " FROM cards c WHERE c.dek_version = ?1 AND c.id > ?2 ORDER BY c.id LIMIT ?3";

#undef KURA_CARD_COLUMNS

CardRecord ReadRecord(const Statement& st) {
  CardRecord r;
  r.id = st.ColumnInt64(0);
  r.token = st.ColumnText(1);
  r.fingerprint = st.ColumnBlob(2);
  r.dek_version = static_cast<int>(st.ColumnInt64(3));
  r.sealed = st.ColumnBlob(4);
  r.bin = st.ColumnText(5);
  r.last4 = st.ColumnText(6);
  r.masked_pan = st.ColumnText(7);
  r.exp_month = static_cast<int>(st.ColumnInt64(8));
  r.exp_year = static_cast<int>(st.ColumnInt64(9));
  r.brand = st.ColumnText(10);
  r.token_format = st.ColumnText(11);
  r.created_ms = st.ColumnInt64(12);
  return r;
}

Result<std::vector<CardRecord>> ReadAll(Statement& st) {
  std::vector<CardRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(const bool row, st.Step());
    if (!row) return out;
    out.push_back(ReadRecord(st));
  }
}

// Parameters of one card in kInsertCardSql.
constexpr int kCardParameters = 13;

// Binds `r` (with row id `id`) to the kCardParameters of kInsertCardSql's
// row from parameter `first` on.
void BindCard(Statement& st, int first, const CardRecord& r, int64_t id) {
  st.BindTextRef(first, r.token)
      .BindBlobRef(first + 1, r.fingerprint)
      .BindInt64(first + 2, r.dek_version)
      .BindBlobRef(first + 3, r.sealed)
      .BindTextRef(first + 4, r.bin)
      .BindTextRef(first + 5, r.last4)
      .BindTextRef(first + 6, r.masked_pan)
      .BindInt64(first + 7, r.exp_month)
      .BindInt64(first + 8, r.exp_year)
      .BindTextRef(first + 9, r.brand)
      .BindTextRef(first + 10, r.token_format)
      .BindInt64(first + 11, r.created_ms)
      .BindInt64(first + 12, id);
}

// kInsertCardSql with `rows` rows (1 to kCardsPerInsert), built once:
// "INSERT INTO cards (...) VALUES (?1, ..., ?13), (?14, ..., ?26), ...".
const std::string& InsertCardsSql(size_t rows) {
  static const auto* const kSql = [] {
    auto* sql = new std::array<std::string, kCardsPerInsert + 1>();
    const std::string_view head = kInsertCardSql.substr(0, kInsertCardSql.find("VALUES ") + 7);
    for (size_t n = 1; n <= kCardsPerInsert; ++n) {
      std::string& q = (*sql)[n];
      q = head;
      for (size_t row = 0; row < n; ++row) {
        q += row == 0 ? "(" : ", (";
        for (int col = 1; col <= kCardParameters; ++col) {
          if (col > 1) q += ", ";
          q += "?" + std::to_string(static_cast<int>(row) * kCardParameters + col);
        }
        q += ")";
      }
    }
    return sql;
  }();
  return (*kSql)[rows];
}

// Records new card `id` with `fingerprint` (stored bytes) in the look-up
// tables after `probe`: its slot in the transaction's run of recent slots
// (chosen by the first slot written), or the overflow.
Status IndexNewCard(Connection& c, std::string_view fingerprint, int64_t id,
                    const FingerprintProbe& probe, IndexState& state) {
  if (state.recent_run == 0 && !probe.slot_taken && probe.found_id == 0) {
    ASSIGN_OR_RETURN(state.recent_run,
                     state.own_recent_run ? StartRecentRun(c) : LastRecentRun(c));
  }
  ASSIGN_OR_RETURN(const bool overflow,
                   IndexFingerprint(c, fingerprint, id, probe, state.recent_run,
                                    state.bulk ? &state.pending_recent : nullptr));
  if (overflow) {
    state.overflow_empty = false;
  } else {
    ++state.recent_slots;
    if (state.recent.filter != nullptr) state.recent.filter->Add(FingerprintPrefix(fingerprint));
  }
  return OkStatus();
}

// Inserts `r` after `probe` (ProbeFingerprint of r.fingerprint, same
// transaction) and returns its id. A failure leaves nothing of `r` behind
// (at most an id of the sequence is skipped).
Result<int64_t> InsertRow(Connection& c, const CardRecord& r, const FingerprintProbe& probe,
                          IndexState& state) {
  int64_t id = r.id;
  if (id > 0) {
    if (state.id_limit == 0) {
      ASSIGN_OR_RETURN(state.id_limit, FirstUnreservedId(c));
    }
    if (id >= state.id_limit) {
      return InvalidArgumentError("card store: insert card: the id was not reserved");
    }
  }
  if (id == 0) {
    // A token that does not carry its id: indexed, under a fresh id.
    ASSIGN_OR_RETURN(id, TakeIds(c, 1));
    RETURN_IF_ERROR(IndexToken(c, r.token, id));
  }
  {
    ASSIGN_OR_RETURN(Statement st, c.Prepare(kInsertCardSql, "insert card"));
    BindCard(st, 1, r, id);
    RETURN_IF_ERROR(st.StepInsertUnique("card store: insert card: id already taken"));
  }
  RETURN_IF_ERROR(IndexNewCard(c, r.fingerprint, id, probe, state));
  return id;
}

}  // namespace

Status CheckLength(std::string_view value, size_t max, std::string_view what) {
  if (value.empty() || value.size() > max) {
    std::string message = "card store: ";
    message.append(what);
    message.append(" must be 1 to ");
    message.append(std::to_string(max));
    message.append(" bytes");
    return InvalidArgumentError(std::move(message));
  }
  return OkStatus();
}

Status ValidateRecord(const CardRecord& r) {
  RETURN_IF_ERROR(CheckLength(r.token, kMaxTokenLength, "token"));
  RETURN_IF_ERROR(CheckLength(r.fingerprint, kMaxFingerprintBytes, "fingerprint"));
  RETURN_IF_ERROR(CheckLength(r.sealed, kMaxSealedSize, "sealed data"));
  if (r.exp_month < 1 || r.exp_month > 12) {
    return InvalidArgumentError("card store: expiry month must be 1 to 12");
  }
  if (r.id < 0) return InvalidArgumentError("card store: id must not be negative");
  return OkStatus();
}

// The record with row id `id`, or nullopt.
Result<std::optional<CardRecord>> FindCardById(Connection& c, int64_t id,
                                               std::string_view operation) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare(kGetByIdSql, operation));
  st.BindInt64(1, id);
  ASSIGN_OR_RETURN(const bool row, st.Step());
  if (!row) return std::optional<CardRecord>();
  return std::optional<CardRecord>(ReadRecord(st));
}

// The record with `token`: by `id` (the id the token carries, if the caller
// knows it) and then through token_index; nullopt if neither has it.
Result<std::optional<CardRecord>> FindCardByToken(Connection& c, std::string_view token, int64_t id,
                                                  std::string_view operation) {
  if (id > 0) {
    ASSIGN_OR_RETURN(Statement st, c.Prepare(kGetByIdAndTokenSql, operation));
    st.BindInt64(1, id).BindText(2, token);
    ASSIGN_OR_RETURN(const bool row, st.Step());
    if (row) return std::optional<CardRecord>(ReadRecord(st));
  }
  ASSIGN_OR_RETURN(Statement st, c.Prepare(kGetByIndexedTokenSql, operation));
  st.BindText(1, token);
  ASSIGN_OR_RETURN(const bool row, st.Step());
  if (!row) return std::optional<CardRecord>();
  return std::optional<CardRecord>(ReadRecord(st));
}

// The first-stored record with this fingerprint (the stored bytes), or
// nullopt. (No error for "none": de-duplicating batch inserts ask this for
// every new card.)
Result<std::optional<CardRecord>> FindCardByFingerprint(Connection& c, std::string_view fingerprint,
                                                        std::string_view operation) {
  ASSIGN_OR_RETURN(const FingerprintProbe probe, ProbeFingerprint(c, fingerprint));
  if (probe.found_id == 0) return std::optional<CardRecord>();
  return FindCardById(c, probe.found_id, operation);
}

Result<FingerprintProbe> ProbeForInsert(Connection& c, std::string_view fingerprint,
                                        IndexState& state) {
  const SlotFilter* slots_filter = state.bulk ? state.slots.filter.get() : nullptr;
  const SlotFilter* recent_filter = state.bulk ? state.recent.filter.get() : nullptr;
  PendingRecentSlots* pending = state.bulk ? &state.pending_recent : nullptr;
  ASSIGN_OR_RETURN(const FingerprintProbe probe,
                   ProbeFingerprint(c, fingerprint, state.overflow_empty, slots_filter,
                                    recent_filter, pending));
  if (probe.slots_skipped) ++state.slots_skipped;
  if (probe.recent_skipped) ++state.recent_skipped;
  return probe;
}

Result<InsertOutcome> InsertOrFindProbedCard(Connection& c, const CardRecord& r, bool dedup,
                                             const FingerprintProbe& probe, IndexState& state) {
  if (dedup && probe.found_id != 0) {
    ASSIGN_OR_RETURN(std::optional<CardRecord> existing,
                     FindCardById(c, probe.found_id, "find card by fingerprint"));
    if (!existing) return DataLossError("card store: a fingerprint entry names no card");
    return InsertOutcome{std::move(*existing), false};
  }
  InsertOutcome out;
  ASSIGN_OR_RETURN(out.record.id, InsertRow(c, r, probe, state));
  out.inserted = true;
  return out;
}

// Runs on the writer, inside its transaction, so the look-up sees every
// earlier write: that makes the dedup race-free.
Result<InsertOutcome> InsertOrFindCard(Connection& c, const CardRecord& r, bool dedup,
                                       IndexState& state) {
  ASSIGN_OR_RETURN(const FingerprintProbe probe, ProbeForInsert(c, r.fingerprint, state));
  return InsertOrFindProbedCard(c, r, dedup, probe, state);
}

Result<bool> InsertFreshCards(Connection& c, const std::vector<const CardRecord*>& cards,
                              IndexState& state) {
  if (cards.empty() || cards.size() > kCardsPerInsert) {
    return InternalError("card store: insert cards: bad number of cards");
  }
  {
    ASSIGN_OR_RETURN(Statement st, c.Prepare(InsertCardsSql(cards.size()), "insert cards"));
    for (size_t k = 0; k < cards.size(); ++k) {
      BindCard(st, static_cast<int>(k) * kCardParameters + 1, *cards[k], cards[k]->id);
    }
    Result<bool> step = st.Step();
    if (!step.ok()) {
      const StatusCode code = step.status().code();
      // A constraint undoes the whole statement (ABORT); the transaction
      // goes on unless SQLite ended it.
      if ((code == StatusCode::kAlreadyExists || code == StatusCode::kInvalidArgument) &&
          !c.InAutocommit()) {
        return false;
      }
      return step.status();
    }
  }
  const FingerprintProbe fresh;  // nothing found, the slot free
  for (const CardRecord* card : cards) {
    RETURN_IF_ERROR(IndexNewCard(c, card->fingerprint, card->id, fresh, state));
  }
  return true;
}

Result<std::vector<CardRecord>> ListExpiredCards(Connection& c, int64_t year, int64_t month,
                                                 int64_t after_id, int64_t limit) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare(kListExpiredSql, "list expired cards"));
  st.BindInt64(1, year).BindInt64(2, month).BindInt64(3, after_id).BindInt64(4, limit);
  return ReadAll(st);
}

Result<std::vector<CardRecord>> ListCardsByDekVersion(Connection& c, int version, int64_t after_id,
                                                      int64_t limit) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare(kListByDekSql, "list cards by key version"));
  st.BindInt64(1, version).BindInt64(2, after_id).BindInt64(3, limit);
  return ReadAll(st);
}

}  // namespace kura::vault
