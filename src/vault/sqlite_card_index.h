// The card store's look-up structures beside the `cards` table (schema v3;
// v5 and v6 changes marked), shared by the live store and the schema
// migration:
//
//  * id_sequence: the next row id to hand out (ReserveIds; also the ids the
//    store assigns itself), so ids stay unique across processes.
//  * token_index (token -> id): only tokens that do NOT carry their row id —
//    format-preserving tokens and random tokens stored before v3. Random
//    tokens minted by TokenCodec are found by their id instead, which is why
//    storing a card no longer inserts into a B-tree keyed by random tokens.
//  * fingerprint slots (63-bit fingerprint prefix -> id) hold the first card
//    stored per prefix; fingerprint_overflow ((fingerprint, id)) holds every
//    other card: prefix clashes (about one in 10^6 at 10^7 cards) and the
//    further cards of a PAN stored without de-duplication. A slot table is
//    keyed by integers with small entries, several times cheaper to insert
//    into than an index of 32-byte fingerprints; the overflow table stays
//    tiny, so probing it on a miss costs one cached page.
//  * The slots live in two tables: new ones go to fingerprint_recent, which
//    stays small, and are moved to the large slot table, fingerprint_buckets
//    (called fingerprint_slots below), in one sorted pass
//    (MergeRecentSlots) once it holds enough entries (SqliteCardStoreOptions::
//    recent_slots_merge_at, growing with the square root of the card count:
//    250,000 up to 244,000 cards, 1.6 million at 10 million). With
//    random prefixes, every commit that inserted straight into a large slot
//    table would rewrite most of its pages (a 50,000-card batch touched more
//    than half of them at 10^7 cards); the merge rewrites them once per
//    that many cards. A prefix has a slot in at most one table.
//  * fingerprint_buckets (schema v6) holds the large table's slots in
//    buckets of adjacent prefixes, one row per bucket (slot_bucket.h): a
//    merge reads, merges in memory and rewrites each bucket it touches once,
//    instead of one B-tree insert per slot (v3 to v5 had a row per slot in
//    fingerprint_slots). A look-up reads its prefix's bucket, then the
//    card's fingerprint by id.
//  * fingerprint_recent is keyed by (run, prefix) (schema v5): a bulk insert
//    large enough (at least 1/kMaxRecentRuns of the merge threshold) puts
//    its slots in a run of its own, after every other run, and as its items
//    come in fingerprint order every slot is appended to the table's last
//    page. Keyed by prefix alone, each 50,000-card batch rewrote most of
//    the table's pages (at 10^7 cards, about 40 % of all bytes the
//    database and its WAL were written). Other inserts use the newest run.
//    recent_runs lists the runs; a look-up does one primary-key search per
//    run, so runs stay few: at most about kMaxRecentRuns + 1 between merges
//    (a merge empties both tables). Runs are started only when a slot is
//    written, never empty.
//  * slots_generation: one number, raised by every merge into
//    fingerprint_slots (whichever process runs it). A writer that keeps a
//    SlotFilter of fingerprint_slots trusts it only while the number is the
//    one its filter was built or last updated at: entries are added to that
//    table by merges only (a delete leaves a filter's stale entry, which
//    costs a look-up, never a wrong answer).
//
// "The" card of a fingerprint is its slot's card if that one has it, else
// the overflow's earliest created (then lowest id). That is the first-stored card with this
// fingerprint as long as it exists: a card goes to a slot only if the slot
// is free and no card with its fingerprint is in the overflow.
//
// All functions run on the caller's connection inside its write (or read)
// transaction. Errors: storage errors (sqlite::ErrorFromCode); kDataLoss
// where a function reads a corrupt bucket of fingerprint_buckets.
//
// Thread safety: as the connection (one thread at a time).
#ifndef KURA_VAULT_SQLITE_CARD_INDEX_H_
#define KURA_VAULT_SQLITE_CARD_INDEX_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "vault/slot_bucket.h"
#include "vault/slot_filter.h"
#include "vault/sqlite_connection.h"

namespace kura::vault {

// CREATE statements of the tables above (IF NOT EXISTS).
extern const char* const kCardIndexSchemaSql;

// The slot key of a fingerprint (its stored bytes): the first 8 bytes, big
// endian, zero-padded, shifted right by one (non-negative). Monotone in the
// bytes' lexicographic order, so fingerprint-sorted batches walk the slots
// table from left to right.
int64_t FingerprintPrefix(std::string_view fingerprint);

// A bulk insert with at least (merge threshold) / kMaxRecentRuns items
// starts a run of its own (see above).
inline constexpr int64_t kMaxRecentRuns = 32;

// Recent slots a bulk insert has decided on but not written yet. They are
// written kRecentSlotsPerInsert at a time by one multi-row INSERT, which
// costs the writer less than a statement per slot (~0.4 µs a card in a
// stand-alone SQLite test on the development machine).
// Pending entries are invisible to SQL: ProbeFingerprint writes them before
// it reads fingerprint_recent, and the bulk insert writes the rest
// (FlushRecentSlots) before anything else can read that table. Belongs to
// the writer's transaction; empty between operations.
struct PendingRecentSlots {
  int64_t run = 0;                                   // of every entry
  std::vector<std::pair<int64_t, int64_t>> entries;  // (prefix, id)
};
inline constexpr size_t kRecentSlotsPerInsert = 256;

// Writes every pending entry to fingerprint_recent and empties `pending`
// (also on failure: the caller's operation then fails and is undone).
// Errors: storage errors; kInternal if a prefix has a slot already (a
// caller that skipped ProbeFingerprint).
Status FlushRecentSlots(sqlite::Connection& c, PendingRecentSlots& pending);

// Where a fingerprint stands before an insert.
struct FingerprintProbe {
  int64_t found_id = 0;    // first-stored card with this fingerprint, or 0
  bool slot_taken = false; // the prefix's slot holds some card
  bool slots_skipped = false;  // `slots_filter` spared the fingerprint_slots look-up
  bool recent_skipped = false; // `recent_filter` spared the fingerprint_recent one
};

// Looks `fingerprint` (stored bytes) up: the slot, then the overflow —
// unless `overflow_empty` says the caller knows it holds nothing
// (OverflowIsEmpty in the same transaction, and nothing added since).
// fingerprint_slots is not read when `slots_filter` (if given) rules the
// prefix out: it must hold every prefix of that table in this transaction
// (see slots_generation above); likewise fingerprint_recent and
// `recent_filter`. Entries of `pending` (if given) are written before
// fingerprint_recent is read.
Result<FingerprintProbe> ProbeFingerprint(sqlite::Connection& c, std::string_view fingerprint,
                                          bool overflow_empty = false,
                                          const SlotFilter* slots_filter = nullptr,
                                          const SlotFilter* recent_filter = nullptr,
                                          PendingRecentSlots* pending = nullptr);

// Whether fingerprint_overflow holds no entry at all (one cheap query; lets
// a batch skip the overflow probe per card).
Result<bool> OverflowIsEmpty(sqlite::Connection& c);

// Records card `id` with `fingerprint` after `probe` (ProbeFingerprint of the
// same fingerprint in the same transaction): in the slot if it is free and
// no card has this fingerprint yet, otherwise in the overflow. Returns true
// if it went to the overflow. A slot goes to run `run` of fingerprint_recent
// (StartRecentRun or LastRecentRun in this operation); with `pending`, it is
// added there instead (written once kRecentSlotsPerInsert are pending).
Result<bool> IndexFingerprint(sqlite::Connection& c, std::string_view fingerprint, int64_t id,
                              const FingerprintProbe& probe, int64_t run,
                              PendingRecentSlots* pending = nullptr);

// A new run of fingerprint_recent, after every other; and the newest run
// (a new one if there is none). A merge ends every run.
Result<int64_t> StartRecentRun(sqlite::Connection& c);
Result<int64_t> LastRecentRun(sqlite::Connection& c);

// Adds `token` -> `id` to token_index. Errors: kAlreadyExists if the token is
// indexed already.
Status IndexToken(sqlite::Connection& c, std::string_view token, int64_t id);

// Removes every index entry of card (`id`, `token`, `fingerprint`).
Status UnindexCard(sqlite::Connection& c, int64_t id, std::string_view token,
                   std::string_view fingerprint);

// Entries of fingerprint_recent, and the move of all of them into
// fingerprint_slots (sorted in memory, then bucket by bucket; raises
// slots_generation). MergeRecentSlots must run with no savepoint open (each
// would copy every page the merge rewrites to its journal first), and a
// failed merge may leave part of its work: the caller must then roll the
// whole transaction back. Errors: kDataLoss for a corrupt bucket; kInternal
// if a prefix would have two slots (the tables' invariant rules it out);
// storage errors. Memory: 16 bytes per recent slot.
Result<int64_t> CountRecentSlots(sqlite::Connection& c);
Status MergeRecentSlots(sqlite::Connection& c);

// Adds `count` slots, in ascending prefix order, to fingerprint_slots:
// each bucket they fall in is read, merged with them and written once. The
// merge's and the v5 migration's way in. Errors (`operation` names the
// caller in them): kDataLoss for a negative prefix, an id below 1 or a
// corrupt bucket; kInternal for a prefix with a slot already; storage
// errors. Same transaction rules as MergeRecentSlots.
Status AddSlots(sqlite::Connection& c, const SlotEntry* entries, size_t count,
                std::string_view operation);

// slots_generation's number (see above).
Result<int64_t> SlotsGeneration(sqlite::Connection& c);

// PRAGMA data_version of `c`: changes whenever another connection (of any
// process) commits to the database, never for `c`'s own commits.
Result<int64_t> DataVersion(sqlite::Connection& c);

// Adds every prefix of fingerprint_slots (AddSlotPrefixes) or of
// fingerprint_recent (AddRecentSlotPrefixes) to `filter`: one scan.
Status AddSlotPrefixes(sqlite::Connection& c, SlotFilter& filter);
Status AddRecentSlotPrefixes(sqlite::Connection& c, SlotFilter& filter);

// The first id id_sequence has not handed out: every id below it was
// reserved (or assigned) already.
Result<int64_t> FirstUnreservedId(sqlite::Connection& c);

// Takes `count` ids from id_sequence and returns the first.
Result<int64_t> TakeIds(sqlite::Connection& c, int64_t count);

}  // namespace kura::vault

#endif  // KURA_VAULT_SQLITE_CARD_INDEX_H_
