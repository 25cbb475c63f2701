// The card store's row-level SQL on one connection (schema v3): reading
// whole card records by id, token or fingerprint, listing them, and the
// de-duplicating insert with its look-up table entries
// (sqlite_card_index.h). SqliteCardStore runs these on its writer and
// reader connections; they know nothing of threads or queues.
//
// Internal to src/vault. Errors: storage errors (sqlite::ErrorFromCode) and
// those documented per function; messages never contain card data.
//
// Thread safety: as the connection (one thread at a time).
#ifndef KURA_VAULT_SQLITE_CARD_ROWS_H_
#define KURA_VAULT_SQLITE_CARD_ROWS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "vault/card_store.h"
#include "vault/slot_filter.h"
#include "vault/sqlite_card_index.h"
#include "vault/sqlite_connection.h"

namespace kura::vault {

// A slot filter the writer keeps (SlotFilter) and what it is valid for.
struct KeptSlotFilter {
  std::unique_ptr<SlotFilter> filter;  // null: none kept
  // The version of the database it matches (slots_generation or
  // PRAGMA data_version, per filter).
  int64_t valid_at = 0;
  // Bulk-insert items looked up without a filter since the last one was
  // dropped: a new one is built once they outweigh the scan it costs.
  int64_t items_without = 0;
  // The last one was dropped for being full: the next is built at once.
  bool outgrown = false;
};

// What the writer knows about the look-up tables (SqliteCardStore keeps one).
struct IndexState {
  // fingerprint_overflow held nothing when the operation began and nothing
  // was added since (then a card's probe skips it). Set per operation.
  bool overflow_empty = false;
  // Estimated entries of fingerprint_recent: exact at open and after each
  // merge check; a rolled-back insert may leave it high, which only brings
  // the next exact count forward.
  int64_t recent_slots = 0;
  // FirstUnreservedId when the transaction began (0 = not read yet): a
  // record may only bring an id below it. (Ids reserved inside the same
  // transaction are handed out only after its commit.) Reset per transaction.
  int64_t id_limit = 0;
  // The run of fingerprint_recent new slots go to (0 = none chosen yet: the
  // next slot starts a run if own_recent_run, else takes the newest). Kept
  // through the transaction's operations (one query per transaction, not per
  // single insert); reset when a transaction begins, an operation is undone,
  // a merge ends the runs, or a bulk insert wants a run of its own.
  int64_t recent_run = 0;
  // Set by a bulk insert large enough for its own run; reset per operation.
  bool own_recent_run = false;
  // Filter of fingerprint_slots' prefixes, valid while slots_generation is
  // its valid_at.
  KeptSlotFilter slots;
  // Filter of fingerprint_recent's prefixes: InsertRow adds every slot this
  // writer puts there, in every operation. Complete only while no other
  // connection wrote (PRAGMA data_version is its valid_at).
  KeptSlotFilter recent;
  // Set by a bulk insert for its own items, after checking both filters:
  // ProbeFingerprint then skips what they rule out, and new recent slots
  // wait in pending_recent (written before the operation ends). False
  // otherwise.
  bool bulk = false;
  PendingRecentSlots pending_recent;
  // Look-ups the filters spared, since the store opened.
  int64_t slots_skipped = 0;
  int64_t recent_skipped = 0;
};

// kInvalidArgument ("card store: <what> must be 1 to <max> bytes") unless
// 1 <= value.size() <= max.
Status CheckLength(std::string_view value, size_t max, std::string_view what);

// Checks `r` before it is queued for the writer. Errors: kInvalidArgument
// for a bad token, fingerprint, sealed size, expiry month or id (the message
// names the field, never its value).
Status ValidateRecord(const CardRecord& r);

// The record with row id `id`, or nullopt.
Result<std::optional<CardRecord>> FindCardById(sqlite::Connection& c, int64_t id,
                                               std::string_view operation);

// The record with `token`: by `id` (the id the token carries, if the caller
// knows it) and then through token_index; nullopt if neither has it.
Result<std::optional<CardRecord>> FindCardByToken(sqlite::Connection& c, std::string_view token,
                                                  int64_t id, std::string_view operation);

// The first-stored record with this fingerprint (the stored bytes), or
// nullopt. (No error for "none": de-duplicating batch inserts ask this for
// every new card.)
Result<std::optional<CardRecord>> FindCardByFingerprint(sqlite::Connection& c,
                                                        std::string_view fingerprint,
                                                        std::string_view operation);

// InsertOrFindCard in two steps, for a caller that looks at the probe in
// between (a bulk insert): ProbeForInsert looks `fingerprint` up as
// InsertOrFindCard does, with the state's filters in bulk mode and
// counting the look-ups they spare; InsertOrFindProbedCard finishes it
// with that probe, taken in the same transaction with nothing of this
// fingerprint's prefix written since.
Result<FingerprintProbe> ProbeForInsert(sqlite::Connection& c, std::string_view fingerprint,
                                        IndexState& state);
Result<InsertOutcome> InsertOrFindProbedCard(sqlite::Connection& c, const CardRecord& r,
                                             bool dedup, const FingerprintProbe& probe,
                                             IndexState& state);

// Fresh cards a bulk insert stores with one statement (InsertFreshCards): a
// statement per card cost the writer ~0.5 µs a card more in a stand-alone
// SQLite test; 128 against 32 per statement, a 3 M-row tokenize-file took
// 5 % less time (medians of 7 alternating pairs). 13 parameters per card:
// 1,664 here, far below SQLite's limit (32,766).
inline constexpr size_t kCardsPerInsert = 128;

// Inserts `cards` (1 to kCardsPerInsert), fresh cards a bulk insert has
// probed in this transaction and found new: no card has their fingerprint,
// their prefixes (distinct) have free slots with nothing written since, and
// each brings a reserved id (0 < id < state.id_limit). One multi-row
// INSERT, then each gets its recent slot as InsertOrFindCard would give it.
// Returns false, with nothing of them stored, if the INSERT failed on a
// constraint (an id taken): the caller then stores them one at a time
// (InsertOrFindCard), which tells which failed. Errors: storage errors.
Result<bool> InsertFreshCards(sqlite::Connection& c, const std::vector<const CardRecord*>& cards,
                              IndexState& state);

// With `dedup`, the first-stored card with r.fingerprint if there is one;
// otherwise inserts `r`. Runs on the writer, inside its transaction, so the
// look-up sees every earlier write: that makes the dedup race-free. When
// `r` is inserted the outcome's record holds only its id (the caller has
// `r`; copying it here would cost the writer thread).
Result<InsertOutcome> InsertOrFindCard(sqlite::Connection& c, const CardRecord& r, bool dedup,
                                       IndexState& state);

// Cards that expired before (year, month), and cards sealed with DEK
// `version`: those with an id above `after_id`, in id order, at most `limit`
// each. The expired ones are found by scanning the cards table from
// `after_id` on (there is no expiry index: see sqlite_card_schema.cc).
Result<std::vector<CardRecord>> ListExpiredCards(sqlite::Connection& c, int64_t year, int64_t month,
                                                 int64_t after_id, int64_t limit);
Result<std::vector<CardRecord>> ListCardsByDekVersion(sqlite::Connection& c, int version,
                                                      int64_t after_id, int64_t limit);

}  // namespace kura::vault

#endif  // KURA_VAULT_SQLITE_CARD_ROWS_H_
