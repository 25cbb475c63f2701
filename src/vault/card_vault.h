// CardVault: the vault's domain service — tokenize, read, reveal, delete and
// purge cards — independent of HTTP so that batch jobs (tokenize-file,
// purge-expired, rotate-keys) use exactly the same code path as the API.
//
// Each card's sensitive data (PAN, cardholder name) is sealed with
// AES-256-GCM under the keyring's active data key, with a fresh random nonce
// and AAD = "kura.card.v1|" + token + "|" + DEK version, so a ciphertext cannot
// be moved to another row or relabelled with another key version. Only the
// BIN, last four digits, brand and expiry are stored in clear (PCI DSS 3.4.1
// permits displaying at most first six / last four).
//
// Errors (all Status codes; messages never contain a PAN):
//   kInvalidArgument  bad PAN/expiry/token format
//   kNotFound         unknown token
//   kDataLoss         a sealed record fails authentication (tampering)
//   kInternal         crypto or storage failure
//
// Thread safety: safe for concurrent use; the store and keyring are
// themselves thread-safe.
#ifndef KURA_VAULT_CARD_VAULT_H_
#define KURA_VAULT_CARD_VAULT_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/base/secret.h"
#include "core/base/status.h"
#include "core/crypto/aead.h"
#include "core/crypto/hash.h"
#include "core/keyring/keyring.h"
#include "vault/card_store.h"
#include "vault/dek_openers.h"
#include "vault/purge.h"
#include "vault/token_codec.h"

namespace kura::vault {

enum class TokenFormat { kRandom, kFpt };

// Upper bound on attempts to find an unused format-preserving token before
// giving up (collisions are rare unless few random digits remain).
inline constexpr int kMaxTokenAttempts = 16;
// Longest cardholder name accepted (ISO/IEC 7813 track 1 allows 26; we are
// generous for embossing variants but bounded).
inline constexpr size_t kMaxCardholderNameBytes = 64;

struct CardVaultOptions {
  // Keep the BIN in format-preserving tokens.
  bool fpt_keep_bin = false;
  // BIN length reported and kept (6 or 8).
  int bin_length = 6;
  // Cards are purged once expired for longer than this (PCI DSS 3.2.1).
  std::chrono::hours purge_grace = std::chrono::hours(24 * 30);
};

struct CardInput {
  SecretBytes pan;  // digits only; validated by Store
  int exp_month = 0;
  int exp_year = 0;
  std::optional<SecretBytes> name;
  TokenFormat token_format = TokenFormat::kRandom;
  bool dedup = false;
};

// The non-sensitive view of a card.
struct CardView {
  std::string token;
  std::string bin;
  std::string last4;
  std::string masked_pan;
  int exp_month = 0;
  int exp_year = 0;
  std::string brand;
  std::string token_format;
};

struct StoreOutcome {
  CardView card;
  // HMAC-SHA-256 of the PAN under the fingerprint key: its 32 raw bytes,
  // as the store holds them (the HTTP API shows them in hex).
  std::string fingerprint;
  bool duplicate = false;
};

struct RevealedCard {
  CardView card;
  SecretBytes pan;
  std::optional<SecretBytes> name;
};

struct ReencryptReport {
  int64_t reencrypted = 0;
  int64_t remaining = 0;
};

// Row ids a vault reserves at a time for single stores (StoreAsync); unused
// ones are skipped when the process ends. The next block is reserved in the
// background once half of the current one is used, so StoreAsync never waits
// for a reservation; if it runs out anyway, the card gets a random token the
// store indexes (as FPT tokens are).
inline constexpr int64_t kIdBlockSize = 1024;

// StoreBatch's ids reserved ahead: a range for kBatchIdsAhead batches of the
// current batch's size, asked for once what is left of the current range
// covers fewer than two such batches. A reservation asked for just one batch
// ahead was queued behind the store's current insert and, grouped with the
// next one, answered only after it: the batch after that waited (about
// 20 ms a batch at 50,000 cards, on the critical path of tokenize-file).
inline constexpr int64_t kBatchIdsAhead = 4;

// Random bytes single stores draw from the generator at a time (a card uses
// 20: 8 token bits and a 12-byte nonce; FPT tokens a few more).
inline constexpr size_t kStoreRandomPoolBytes = 4096;

class CardVault {
 public:
  // All references must outlive the vault. Random tokens are minted with
  // the keyring's token-id key (token_codec.h). Errors: kInternal if that
  // key cannot be derived or prepared (OpenSSL).
  static Result<std::unique_ptr<CardVault>> Create(CardStore& store, keyring::Keyring& keyring,
                                                   Random& random, const Clock& clock,
                                                   CardVaultOptions options);
  CardVault(const CardVault&) = delete;
  CardVault& operator=(const CardVault&) = delete;

  // Validates, fingerprints, seals and durably stores a card. With dedup, an
  // existing card with the same PAN is returned (duplicate = true) instead.
  Result<StoreOutcome> Store(const CardInput& input);

  // Store without waiting for the group commit: validation, fingerprint,
  // token and sealing run on the calling thread, then the card is queued;
  // `done` gets exactly what Store would return, once — from the store's
  // commit thread (SqliteCardStore: its completion thread; so keep `done`
  // short, e.g. hand the rest to another thread), or on the calling thread for errors
  // found before queuing. A token clash is retried (new token, sealed
  // again) from the commit thread. Store is StoreAsync plus a wait.
  using StoreDone = std::function<void(Result<StoreOutcome>)>;
  void StoreAsync(const CardInput& input, StoreDone done);

  // Store for many cards at once (batch jobs such as tokenize-file): one
  // outcome per input, in order, each what Store would give — that input's
  // own validation error (kInvalidArgument) or its card; the clock is read
  // once, so every card of the batch is checked against and dated at that
  // reading. Dedup inputs find
  // cards already stored and earlier inputs of the same batch, so the same
  // PAN always gets the same token. The key is fetched once, and the cards
  // go to the store in one CardStore::InsertBatch (with SqliteCardStore: one
  // transaction and one fsync for the whole batch; a rare token clash is
  // retried in a further one). When the call returns OK every card it
  // reports is durable. Errors (storage, keyring, crypto) fail the call;
  // with SqliteCardStore no card of the failing InsertBatch was stored.
  // Row ids are reserved for the whole batch and handed out in fingerprint
  // order, the order the store inserts in, so new rows are appended (inputs
  // with the same card keep their input order). Ids for the next
  // kBatchIdsAhead batches of the same size are reserved with
  // CardStore::ReserveIdsAsync (TakeBatchIds) before the current range runs
  // out — in the background with SqliteCardStore, right away with stores
  // that do not queue — so a batch whose cards are sealed while earlier ones
  // are being inserted does not wait behind those inserts for its ids;
  // unused ones are skipped when the process ends. The inputs are taken (pass
  // them with std::move): their PANs are sealed from where they are, not
  // copied once more.
  Result<std::vector<Result<StoreOutcome>>> StoreBatch(std::vector<CardInput> inputs);

  // kNotFound for an unknown token; kInvalidArgument for a malformed one.
  Result<CardView> Get(const std::string& token);

  // Decrypts the card. The caller is responsible for authorisation and audit.
  Result<RevealedCard> Reveal(const std::string& token);

  // Deletes the record (the store overwrites freed pages: secure_delete).
  Status Delete(const std::string& token);

  // PurgeExpiredCards with this vault's store, clock and grace period.
  Result<PurgeReport> Purge(size_t batch_limit = kDefaultPurgeBatch, int64_t after_id = 0);

  // Re-seals up to `batch` cards still under DEK `from_version` with the
  // active key. Resumable: call until remaining == 0.
  Result<ReencryptReport> Reencrypt(int from_version, size_t batch);

  const CardVaultOptions& options() const { return options_; }

 private:
  CardVault(CardStore& store, keyring::Keyring& keyring, Random& random, const Clock& clock,
            CardVaultOptions options, TokenCodec codec);
  // The public view of a record, taking its strings (`rec` is left
  // moved-from: every caller is done with it).
  static CardView ViewOf(CardRecord&& rec);
  Result<std::string> Seal(const std::string& token, int dek_version,
                           crypto::AesGcmSealer& sealer, Random& random, const CardInput& input);
  // Store's and StoreBatch's per-card work: validates and normalises `input`, fills
  // `rec` (fingerprint, truncated forms; not yet the token and sealed data) and `plain`
  // (the normalised PAN and name, and the token format, kept for sealing and re-sealing
  // after a token clash). `now` (the clock read once per call or batch) checks the
  // expiry and dates the record.
  Status PrepareRecord(const CardInput& input, int dek_version, TimePoint now,
                       crypto::HmacSha256Keyed& fingerprinter, CardRecord& rec,
                       CardInput& plain);
  // PrepareRecord's two halves. NormalizeInput validates `input`
  // (CheckInput) and fills `plain` (all of its fields; a valid PAN is its own
  // canonical form, copied as it is); FillRecord fills `rec` from a
  // validated `plain` and its `fingerprint` (the HMAC's bytes, taken).
  // StoreBatch, which owns its inputs, checks them in place instead (and
  // fingerprints every card, sorts, and then builds the records in that
  // order).
  static Status NormalizeInput(const CardInput& input, TimePoint now, CardInput& plain);
  // kInvalidArgument unless `input`'s PAN, expiry (against `now`) and name
  // are valid.
  static Status CheckInput(const CardInput& input, TimePoint now);
  void FillRecord(const CardInput& plain, int dek_version, TimePoint now, std::string fingerprint,
                  CardRecord& rec) const;
  // Draws rec's token and seals `plain` under it. A random-format token is
  // minted from row id `id` (rec.id = id) or, with id 0, drawn at random and
  // left for the store to index (rec.id = 0); FPT tokens are always indexed.
  // `sealer` holds the DEK of `dek_version`; `random` draws token digits,
  // token bits and the nonce.
  Status DrawTokenAndSeal(TokenFormat format, const CardInput& plain, int dek_version,
                          crypto::AesGcmSealer& sealer, Random& random, int64_t id,
                          CardRecord& rec);
  // The next id of this vault's reserved block, or 0 if none is ready
  // (see kIdBlockSize). Never waits; may queue the next block's reservation.
  int64_t TakeId();
  // The first of `count` consecutive reserved ids for a StoreBatch: from the
  // range reserved ahead if it covers them (a shorter remainder is skipped),
  // else reserved now (waits for the store's writer; a range ahead too small
  // for `count` is skipped as well). Then, if what is left covers fewer than
  // two batches of `count` and no range is ready or on its way, asks
  // (ReserveIdsAsync) for kBatchIdsAhead * `count` more. Errors:
  // those of CardStore::ReserveIds (a failed reservation ahead is only asked
  // again, never reported).
  Result<int64_t> TakeBatchIds(int64_t count);
  // The id `token` carries (TokenCodec::IdOf), for the store's look-up.
  int64_t IdOf(std::string_view token) const { return codec_.IdOf(token); }
  // One StoreAsync call in flight (card_vault.cc).
  struct StoreJob;
  // Queues job's record; on a token clash draws again and re-queues.
  void SubmitStore(std::shared_ptr<StoreJob> job);

  CardStore& store_;
  keyring::Keyring& keyring_;
  // Reveals' AES-GCM openers, per DEK version.
  DekOpeners openers_{keyring_};
  Random& random_;
  // Single stores' token bits and nonces: one generator call per
  // kStoreRandomPoolBytes instead of one per card (keys never come from it).
  PooledRandom store_random_;
  const Clock& clock_;
  const CardVaultOptions options_;
  const TokenCodec codec_;

  // The reserved ids; shared with a reservation in flight, whose answer may
  // come after the vault is gone.
  struct IdBlocks {
    std::mutex mu;
    int64_t next = 0;         // GUARDED_BY(mu); [next, end) is reserved
    int64_t end = 0;          // GUARDED_BY(mu)
    int64_t spare = 0;        // GUARDED_BY(mu); first id of the next block, or 0
    bool requesting = false;  // GUARDED_BY(mu)
  };
  const std::shared_ptr<IdBlocks> ids_ = std::make_shared<IdBlocks>();

  // StoreBatch's ids (TakeBatchIds); shared like IdBlocks. At most one
  // reservation (background or not) is in flight at a time.
  struct BatchIds {
    std::mutex mu;
    std::condition_variable answered;  // a reservation in flight ended
    int64_t next = 0;                  // GUARDED_BY(mu); [next, end) is reserved
    int64_t end = 0;                   // GUARDED_BY(mu)
    int64_t spare = 0;                 // GUARDED_BY(mu); first id of the range ahead, or 0
    int64_t spare_count = 0;           // GUARDED_BY(mu)
    bool requesting = false;           // GUARDED_BY(mu)
  };
  const std::shared_ptr<BatchIds> batch_ids_ = std::make_shared<BatchIds>();
};

// True if `token` has the shape of a token this vault issues (random or FPT).
bool IsWellFormedToken(std::string_view token);

}  // namespace kura::vault

#endif  // KURA_VAULT_CARD_VAULT_H_
