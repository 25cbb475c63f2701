// CardStore: the vault's persistence interface (SQLite today, PostgreSQL
// later). It stores already-sealed card data: the PAN itself never reaches the
// store, only its AES-GCM blob (opaque bytes here), a keyed fingerprint for
// de-duplication, and the truncated forms PCI DSS allows in the clear.
//
// Durability: every mutating call returns only after its transaction has been
// committed durably (fsynced). A call that returns an error had no effect.
//
// Error messages name the operation, never the stored values (no token,
// fingerprint or card data), so they may be logged.
//
// Thread safety: implementations must be safe for concurrent use from any
// number of threads.
#ifndef KURA_VAULT_CARD_STORE_H_
#define KURA_VAULT_CARD_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/clock.h"
#include "core/base/status.h"

namespace kura::vault {

// Longest token / fingerprint / nonce id a store accepts (kInvalidArgument
// beyond). Generous for "tok_" + 26 chars, 19-digit FPT tokens, 32-byte
// HMACs and issuer-qualified JWT ids, small enough to bound memory per
// request.
inline constexpr size_t kMaxTokenLength = 64;
inline constexpr size_t kMaxFingerprintBytes = 64;
inline constexpr size_t kMaxNonceLength = 512;
// Largest sealed blob accepted: a PAN seals to well under 100 bytes.
inline constexpr size_t kMaxSealedSize = 4096;
// Largest page a List* call returns; larger limits are clamped to this.
inline constexpr size_t kMaxListLimit = 10'000;
// Most ids one ReserveIds call hands out (a batch job's batch, with room).
inline constexpr int64_t kMaxReservedIds = 10'000'000;

struct CardRecord {
  // The record's row id, set on every record a store returns. On insert:
  // 0 = the store assigns an id and indexes the token, whatever its form;
  // > 0 = an id from ReserveIds that the token itself carries (TokenCodec),
  // so the store keeps no index entry for it and finds it by this id; the
  // store then relies on that for the token's uniqueness (distinct ids give
  // distinct tokens) and refuses ids that were never reserved.
  int64_t id = 0;
  std::string token;        // unique
  // The HMAC of the PAN, its raw bytes (stored as they are: no hex round
  // trip per card), for de-duplication.
  std::string fingerprint;
  int dek_version = 0;      // data-encryption key that sealed `sealed`
  std::string sealed;       // AES-GCM blob; opaque binary bytes to the store
  std::string bin;          // first 6 (or 8) digits
  std::string last4;
  std::string masked_pan;   // MaskPan(); displayable
  int exp_month = 0;        // 1..12
  int exp_year = 0;         // four digits
  std::string brand;        // BrandName()
  std::string token_format; // "random" | "fpt"
  int64_t created_ms = 0;   // Unix milliseconds

  friend bool operator==(const CardRecord&, const CardRecord&) = default;
};

struct InsertOutcome {
  CardRecord record;  // the stored record: the new one, or the existing one
  bool inserted = false;
};

// One record of InsertBatch: de-duplicating (InsertOrGetByFingerprint) or not
// (Insert).
struct BatchInsertItem {
  CardRecord record;
  bool dedup = true;
};

class CardStore {
 public:
  virtual ~CardStore() = default;

  // `count` (>= 1) consecutive row ids no other caller — in this process or
  // another one using the same store — ever gets; returns the first. Durable
  // before it returns, so ids are never handed out twice even after a crash
  // (ids reserved and never used are simply skipped). Errors:
  // kInvalidArgument if count < 1 or beyond kMaxReservedIds; storage errors.
  virtual Result<int64_t> ReserveIds(int64_t count) = 0;

  // ReserveIds without waiting: `done` gets what ReserveIds would return,
  // once — from the store's commit thread for stores that group commits
  // (SqliteCardStore), so keep it short and do not wait on the store in it.
  // This default calls ReserveIds and then `done` on the calling thread.
  using ReserveDone = std::function<void(Result<int64_t>)>;
  virtual void ReserveIdsAsync(int64_t count, ReserveDone done) { done(ReserveIds(count)); }

  // Stores a new record (see CardRecord::id). Errors: kAlreadyExists if the
  // token or the id is taken (callers draw a new one and retry);
  // kInvalidArgument if the id was not reserved, the token is empty
  // or too long, the fingerprint is empty or longer than
  // kMaxFingerprintBytes, or sealed is empty or too large;
  // kUnavailable / kResourceExhausted / kInternal / kDataLoss on storage
  // failures.
  virtual Status Insert(const CardRecord& record) = 0;

  // De-duplicating insert: if a record with record.fingerprint exists, returns
  // it unchanged (the first one stored if Insert created several; once that
  // one is deleted, the earliest created) with inserted =
  // false; otherwise stores `record` and returns it with inserted = true. The
  // look-up and the insert are one atomic step, so concurrent calls with the
  // same fingerprint insert exactly once and all return the same token.
  // Errors: as Insert (kAlreadyExists only when the fingerprint is new but the
  // token is taken).
  virtual Result<InsertOutcome> InsertOrGetByFingerprint(const CardRecord& record) = 0;

  // InsertOrGetByFingerprint (dedup) or Insert without waiting: `done` is
  // called once with what that call would return (for Insert: the record
  // with inserted = true). Stores that group commits call it from their
  // commit thread right after the commit (SqliteCardStore: its completion
  // thread, which wakes the callers of one batch after another), so
  // `done` must be short and must not call back into the store and wait;
  // errors found before queuing may come on the calling thread. This
  // default runs the synchronous call and then `done`, on the calling
  // thread.
  using InsertDone = std::function<void(Result<InsertOutcome>)>;
  virtual void InsertAsync(const CardRecord& record, bool dedup, InsertDone done) {
    if (dedup) return done(InsertOrGetByFingerprint(record));
    if (Status s = Insert(record); !s.ok()) return done(s);
    done(InsertOutcome{record, true});
  }

  // Many Insert / InsertOrGetByFingerprint calls (per item.dedup) applied in
  // order as if one after the other, so a later item sees an earlier item's
  // fingerprint. Returns one outcome per item: its InsertOutcome or that
  // item's own error (kAlreadyExists for a taken token, kInvalidArgument for
  // a bad record), which affects no other item. A storage failure is the
  // call's error, and then no item took effect. Stores may commit the whole
  // batch at once (one fsync); this default runs the items one by one, so a
  // storage error may leave earlier items stored. The items are taken by
  // value: an inserted item's outcome holds its own record, moved rather
  // than copied (a batch job stores millions of cards); pass them with
  // std::move.
  virtual Result<std::vector<Result<InsertOutcome>>> InsertBatch(
      std::vector<BatchInsertItem> items) {
    std::vector<Result<InsertOutcome>> out;
    out.reserve(items.size());
    for (BatchInsertItem& item : items) {
      Result<InsertOutcome> r = InsertOutcome{};
      if (item.dedup) {
        r = InsertOrGetByFingerprint(item.record);
      } else if (Status s = Insert(item.record); s.ok()) {
        r = InsertOutcome{std::move(item.record), true};
      } else {
        r = s;
      }
      const StatusCode code = r.status().code();
      if (!r.ok() && code != StatusCode::kAlreadyExists && code != StatusCode::kInvalidArgument) {
        return r.status();
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  // The record with this token. `id` is the row id the token carries
  // (TokenCodec::IdOf), or 0 if unknown: the store then looks the token up in
  // its index. A wrong non-zero id is harmless (the token must match too).
  // Errors: kNotFound if no such token; kInvalidArgument for an empty or too
  // long token; storage errors as above.
  virtual Result<CardRecord> Get(std::string_view token, int64_t id) = 0;

  // The first-stored record with this fingerprint (raw bytes, as in
  // CardRecord). Errors: kNotFound; kInvalidArgument for an empty or too long
  // fingerprint; storage errors.
  virtual Result<CardRecord> GetByFingerprint(std::string_view fingerprint) = 0;

  // Deletes the record with this token (`id` as for Get) and overwrites its
  // content in the store's files (see the implementation's header for the
  // exact guarantee). Errors: kNotFound if no such token; storage errors.
  virtual Status Delete(std::string_view token, int64_t id) = 0;

  // Keyset pagination over records whose card expired before `before`
  // (CardExpiredBefore(exp_month, exp_year, before)), in id order, starting
  // after id `after_id` (0 = from the start): up to `limit` (clamped to
  // kMaxListLimit). Pass the last id of a page to get the next one; a page
  // shorter than `limit` is the last. An implementation may scan every
  // record after `after_id` to fill a page (retention purges run in the
  // background; storing cards keeps no index for them). Errors:
  // kInvalidArgument if limit == 0 or after_id < 0; storage errors.
  virtual Result<std::vector<CardRecord>> ListExpired(TimePoint before, size_t limit,
                                                      int64_t after_id) = 0;

  // Keyset pagination over records sealed with `version`, in id order,
  // starting after id `after_id` (0 = from the start). Pass the last id of a
  // page to get the next one. Errors: kInvalidArgument if limit == 0;
  // storage errors.
  virtual Result<std::vector<CardRecord>> ListByDekVersion(int version, size_t limit,
                                                           int64_t after_id) = 0;

  // Replaces the sealed blob and its key version (re-encryption) of the
  // record with row id `id` (CardRecord::id of a listed record). Errors:
  // kNotFound if no such record; kInvalidArgument for an empty/oversized
  // blob; storage errors.
  virtual Status UpdateSealed(int64_t id, int dek_version, std::string_view sealed) = 0;

  // Errors: storage errors only.
  virtual Result<int64_t> CountByDekVersion(int version) = 0;
  virtual Result<int64_t> Count() = 0;

  // Reveal-grant replay protection. Records `jti` as used until `expires_ms`.
  // Errors: kAlreadyExists if `jti` was consumed before and not yet purged
  // (the grant is a replay); kInvalidArgument if empty or too long.
  virtual Status ConsumeNonce(std::string_view jti, int64_t expires_ms) = 0;

  // Deletes nonces whose expires_ms < now_ms (their grants can no longer
  // verify, so forgetting them is safe). Returns how many were deleted.
  virtual Result<int64_t> PurgeNonces(int64_t now_ms) = 0;
};

}  // namespace kura::vault

#endif  // KURA_VAULT_CARD_STORE_H_
