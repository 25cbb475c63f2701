#include "vault/card_vault.h"

#include <algorithm>
#include <exception>
#include <utility>
#include <vector>

#include "core/base/await.h"
#include "core/crypto/aead.h"
#include "vault/card.h"
#include "vault/token.h"

namespace kura::vault {
namespace {

constexpr uint8_t kSealedFormatV1 = 1;

// Random bytes a batch card draws: 8 for a minted token, 12 for the nonce.
// (FPT tokens draw a few more, from the same buffer; what a batch draws
// beyond it comes from the generator directly: BufferedRandom.)
constexpr size_t kRandomBytesPerCard = 8 + crypto::kGcmNonceSize;

// StoreBatch's loops that visit a batch out of its order (fingerprint order
// against input order) ask for the element kBatchPrefetchDistance places
// ahead, so its cache misses overlap instead of stalling one by one; half as
// far ahead, for the heap bytes that element points to.
constexpr size_t kBatchPrefetchDistance = 8;

// A hint to bring `object`'s cache lines in; no effect on results.
template <typename T>
void Prefetch(const T& object) {
  const char* p = reinterpret_cast<const char*>(&object);
  for (size_t off = 0; off < sizeof(T); off += 64) __builtin_prefetch(p + off);
}

// A fingerprint's first 8 bytes as a big-endian number, short ones padded
// with zero bytes: ordered as the bytes are, ties aside.
uint64_t FingerprintSortKey(std::string_view bytes) {
  uint64_t key = 0;
  for (size_t i = 0; i < 8; ++i) {
    key = (key << 8) | (i < bytes.size() ? static_cast<uint8_t>(bytes[i]) : 0u);
  }
  return key;
}

// The fingerprint a record carries: the HMAC of the PAN, its raw bytes.
std::string FingerprintOf(crypto::HmacSha256Keyed& fingerprinter, const SecretBytes& pan) {
  const crypto::Digest256 mac = fingerprinter.Mac(pan.view());
  return std::string(reinterpret_cast<const char*>(mac.data()), mac.size());
}

std::string Aad(const std::string& token, int dek_version) {
  static constexpr std::string_view kPrefix = "kura.card.v1|";
  const std::string version = std::to_string(dek_version);
  std::string aad;  // one allocation: this runs once per card sealed or opened
  aad.reserve(kPrefix.size() + token.size() + 1 + version.size());
  aad.append(kPrefix).append(token).append(1, '|').append(version);
  return aad;
}

std::string_view FormatName(TokenFormat f) {
  return f == TokenFormat::kFpt ? "fpt" : "random";
}

// Plaintext layout: [format=1][pan length][pan digits][name bytes...].
SecretBytes EncodePlaintext(const CardInput& input) {
  const size_t name_len = input.name ? input.name->size() : 0;
  SecretBytes out(2 + input.pan.size() + name_len);
  out[0] = kSealedFormatV1;
  out[1] = static_cast<uint8_t>(input.pan.size());
  for (size_t i = 0; i < input.pan.size(); ++i) out[2 + i] = input.pan[i];
  for (size_t i = 0; i < name_len; ++i) out[2 + input.pan.size() + i] = (*input.name)[i];
  return out;
}

Status DecodePlaintext(const SecretBytes& plain, SecretBytes* pan,
                       std::optional<SecretBytes>* name) {
  if (plain.size() < 2 || plain[0] != kSealedFormatV1 || plain.size() < 2u + plain[1]) {
    return DataLossError("sealed card record has an unknown layout");
  }
  const size_t pan_len = plain[1];
  *pan = SecretBytes(plain.data() + 2, pan_len);
  const size_t name_len = plain.size() - 2 - pan_len;
  if (name_len > 0) {
    *name = SecretBytes(plain.data() + 2 + pan_len, name_len);
  } else {
    name->reset();
  }
  return OkStatus();
}

}  // namespace

bool IsWellFormedToken(std::string_view token) {
  return LooksLikeRandomToken(token) || LooksLikeFptToken(token);
}

Result<std::unique_ptr<CardVault>> CardVault::Create(CardStore& store, keyring::Keyring& keyring,
                                                     Random& random, const Clock& clock,
                                                     CardVaultOptions options) {
  ASSIGN_OR_RETURN(const SecretBytes key, keyring.LookupKey(kTokenIdKeyPurpose));
  ASSIGN_OR_RETURN(TokenCodec codec, TokenCodec::Create(key));
  // The first block now, while waiting is fine; later ones in the background.
  ASSIGN_OR_RETURN(const int64_t first, store.ReserveIds(kIdBlockSize));
  std::unique_ptr<CardVault> vault(
      new CardVault(store, keyring, random, clock, std::move(options), std::move(codec)));
  vault->ids_->next = first;
  vault->ids_->end = first + kIdBlockSize;
  return vault;
}

CardVault::CardVault(CardStore& store, keyring::Keyring& keyring, Random& random, const Clock& clock,
                     CardVaultOptions options, TokenCodec codec)
    : store_(store), keyring_(keyring), random_(random),
      store_random_(random, kStoreRandomPoolBytes), clock_(clock),
      options_(std::move(options)), codec_(std::move(codec)) {}

int64_t CardVault::TakeId() {
  std::unique_lock<std::mutex> lock(ids_->mu);
  if (ids_->next == ids_->end && ids_->spare != 0) {
    ids_->next = ids_->spare;
    ids_->end = ids_->spare + kIdBlockSize;
    ids_->spare = 0;
  }
  const int64_t id = ids_->next < ids_->end ? ids_->next++ : 0;
  const bool refill =
      ids_->spare == 0 && !ids_->requesting && ids_->end - ids_->next <= kIdBlockSize / 2;
  if (refill) ids_->requesting = true;
  lock.unlock();
  if (refill) {
    store_.ReserveIdsAsync(kIdBlockSize, [ids = ids_](Result<int64_t> first) {
      std::lock_guard<std::mutex> done(ids->mu);
      ids->requesting = false;
      if (first.ok()) ids->spare = *first;  // else: asked again by the next TakeId
    });
  }
  return id;
}

Result<int64_t> CardVault::TakeBatchIds(int64_t count) {
  BatchIds& b = *batch_ids_;
  std::unique_lock<std::mutex> lock(b.mu);
  int64_t first = 0;
  while (first == 0) {
    if (b.end - b.next >= count) {
      first = b.next;
      b.next += count;
    } else if (b.spare != 0 && b.spare_count >= count) {
      // The range ahead replaces what is left of this one (too short).
      b.next = b.spare;
      b.end = b.spare + b.spare_count;
      b.spare = 0;
      b.spare_count = 0;
    } else if (b.requesting) {
      b.answered.wait(lock, [&b] { return !b.requesting; });
    } else {
      // Nothing reserved covers the batch: a range ahead that is too small
      // is skipped too, so the one asked for below fits batches this size.
      b.spare = 0;
      b.spare_count = 0;
      b.requesting = true;
      lock.unlock();
      Result<int64_t> now = ResourceExhaustedError("card vault: out of memory reserving ids");
      try {
        now = store_.ReserveIds(count);
      } catch (const std::exception&) {
        // `now` keeps the error; `requesting` is reset below all the same.
      }
      lock.lock();
      b.requesting = false;
      b.answered.notify_all();
      if (!now.ok()) return now.status();
      first = *now;
    }
  }
  const bool ahead = !b.requesting && b.spare == 0 && b.end - b.next < 2 * count;
  if (ahead) b.requesting = true;
  lock.unlock();
  if (ahead) {
    const int64_t ahead_count = std::min(kBatchIdsAhead * count, kMaxReservedIds);
    try {
      store_.ReserveIdsAsync(ahead_count, [ids = batch_ids_, ahead_count](Result<int64_t> r) {
        std::lock_guard<std::mutex> done(ids->mu);
        ids->requesting = false;
        if (r.ok()) {  // else: the next TakeBatchIds reserves (and reports) itself
          ids->spare = *r;
          ids->spare_count = ahead_count;
        }
        ids->answered.notify_all();
      });
    } catch (const std::exception&) {
      // Not queued (out of memory): the next batch reserves its own ids.
      std::lock_guard<std::mutex> relock(b.mu);
      b.requesting = false;
      b.answered.notify_all();
    }
  }
  return first;
}

Result<std::string> CardVault::Seal(const std::string& token, int dek_version,
                                    crypto::AesGcmSealer& sealer, Random& random,
                                    const CardInput& input) {
  SecretBytes plain = EncodePlaintext(input);
  return sealer.Seal(random, plain.view(), Aad(token, dek_version));
}

CardView CardVault::ViewOf(CardRecord&& rec) {
  CardView v;
  v.token = std::move(rec.token);
  v.bin = std::move(rec.bin);
  v.last4 = std::move(rec.last4);
  v.exp_month = rec.exp_month;
  v.exp_year = rec.exp_year;
  v.brand = std::move(rec.brand);
  v.token_format = std::move(rec.token_format);
  v.masked_pan = std::move(rec.masked_pan);
  return v;
}

struct CardVault::StoreJob {
  TokenFormat token_format = TokenFormat::kRandom;
  bool dedup = false;
  CardInput plain;   // the normalised PAN and name, for re-sealing
  int dek_version = 0;
  std::optional<crypto::AesGcmSealer> sealer;  // under that DEK
  CardRecord rec;
  int attempt = 0;
  StoreDone done;
};

Result<StoreOutcome> CardVault::Store(const CardInput& input) {
  return Await<Result<StoreOutcome>>([&](auto done) { StoreAsync(input, std::move(done)); });
}

void CardVault::StoreAsync(const CardInput& input, StoreDone done) {
  Result<std::pair<int, SecretBytes>> active = keyring_.ActiveDataKey();
  if (!active.ok()) return done(active.status());
  auto job = std::make_shared<StoreJob>();
  job->dek_version = active->first;
  Result<crypto::AesGcmSealer> sealer = crypto::AesGcmSealer::Create(active->second);
  if (!sealer.ok()) return done(sealer.status());
  job->sealer.emplace(std::move(sealer).value());
  job->token_format = input.token_format;
  job->dedup = input.dedup;
  if (Status s = PrepareRecord(input, job->dek_version, clock_.Now(),
                               *keyring_.NewFingerprinter(), job->rec, job->plain);
      !s.ok()) {
    return done(s);
  }
  const int64_t id = input.token_format == TokenFormat::kRandom ? TakeId() : 0;
  if (Status s = DrawTokenAndSeal(job->token_format, job->plain, job->dek_version, *job->sealer,
                                  store_random_, id, job->rec);
      !s.ok()) {
    return done(s);
  }
  job->done = std::move(done);
  SubmitStore(std::move(job));
}

void CardVault::SubmitStore(std::shared_ptr<StoreJob> job) {
  store_.InsertAsync(job->rec, job->dedup, [this, job](Result<InsertOutcome> r) {
    if (!r.ok() && r.status().code() == StatusCode::kAlreadyExists) {
      // Token (or id) clash: draw again, up to kMaxTokenAttempts in all.
      // This runs on the store's commit thread, which must not wait for a
      // new id block: a random token is then drawn at random and indexed.
      if (++job->attempt >= kMaxTokenAttempts) {
        return job->done(ResourceExhaustedError("could not find an unused token after " +
                                                std::to_string(kMaxTokenAttempts) + " attempts"));
      }
      if (Status s = DrawTokenAndSeal(job->token_format, job->plain, job->dek_version,
                                      *job->sealer, store_random_, /*id=*/0, job->rec);
          !s.ok()) {
        return job->done(s);
      }
      return SubmitStore(job);
    }
    if (!r.ok()) return job->done(r.status());
    StoreOutcome out;
    out.fingerprint = job->rec.fingerprint;
    out.duplicate = !r->inserted;
    out.card = ViewOf(std::move(r->record));
    job->done(std::move(out));
  });
}

Status CardVault::DrawTokenAndSeal(TokenFormat format, const CardInput& plain, int dek_version,
                                   crypto::AesGcmSealer& sealer, Random& random, int64_t id,
                                   CardRecord& rec) {
  rec.id = 0;
  if (format == TokenFormat::kFpt) {
    ASSIGN_OR_RETURN(rec.token, GenerateFptToken(plain.pan.view(), options_.fpt_keep_bin,
                                                 options_.bin_length, random));
  } else if (id > 0) {
    ASSIGN_OR_RETURN(rec.token, codec_.Mint(id, random));
    rec.id = id;
  } else {
    ASSIGN_OR_RETURN(rec.token, GenerateRandomToken(random));
  }
  ASSIGN_OR_RETURN(rec.sealed, Seal(rec.token, dek_version, sealer, random, plain));
  return OkStatus();
}

Status CardVault::PrepareRecord(const CardInput& input, int dek_version, TimePoint now,
                                crypto::HmacSha256Keyed& fingerprinter, CardRecord& rec,
                                CardInput& plain) {
  // Validation first (nothing derived from a bad card), then the record's
  // public fields; the token and the sealed plaintext follow
  // (DrawTokenAndSeal).
  RETURN_IF_ERROR(NormalizeInput(input, now, plain));
  FillRecord(plain, dek_version, now, FingerprintOf(fingerprinter, plain.pan), rec);
  return OkStatus();
}

Status CardVault::CheckInput(const CardInput& input, TimePoint now) {
  RETURN_IF_ERROR(CheckPan(input.pan.view()));
  RETURN_IF_ERROR(ValidateExpiry(input.exp_month, input.exp_year, now));
  if (input.name && input.name->size() > kMaxCardholderNameBytes) {
    return InvalidArgumentError("name must be at most " +
                                std::to_string(kMaxCardholderNameBytes) + " bytes");
  }
  return OkStatus();
}

Status CardVault::NormalizeInput(const CardInput& input, TimePoint now, CardInput& plain) {
  RETURN_IF_ERROR(CheckInput(input, now));
  // A valid PAN is its own canonical form: copied once, into SecretBytes.
  plain.pan = input.pan.Clone();
  if (input.name) plain.name = input.name->Clone();
  plain.exp_month = input.exp_month;
  plain.exp_year = input.exp_year;
  plain.token_format = input.token_format;
  plain.dedup = input.dedup;
  return OkStatus();
}

void CardVault::FillRecord(const CardInput& plain, int dek_version, TimePoint now,
                           std::string fingerprint, CardRecord& rec) const {
  const SecretBytes& pan = plain.pan;
  rec.fingerprint = std::move(fingerprint);
  rec.dek_version = dek_version;
  rec.bin = Bin(pan.view(), options_.bin_length);
  rec.last4 = Last4(pan.view());
  rec.masked_pan = MaskPan(pan.view());
  rec.exp_month = plain.exp_month;
  rec.exp_year = plain.exp_year;
  rec.brand = std::string(BrandName(DetectBrand(pan.view())));
  rec.token_format = std::string(FormatName(plain.token_format));
  rec.created_ms = UnixMillis(now);
}

Result<std::vector<Result<StoreOutcome>>> CardVault::StoreBatch(std::vector<CardInput> inputs) {
  std::vector<Result<StoreOutcome>> out(inputs.size(), InternalError("card not stored"));
  if (inputs.empty()) return out;
  ASSIGN_OR_RETURN(auto active, keyring_.ActiveDataKey());
  const int dek_version = active.first;
  ASSIGN_OR_RETURN(crypto::AesGcmSealer sealer, crypto::AesGcmSealer::Create(active.second));
  const std::unique_ptr<crypto::HmacSha256Keyed> fingerprinter = keyring_.NewFingerprinter();
  // One generator call for the whole batch's nonces and token bits.
  BufferedRandom random(random_, inputs.size() * kRandomBytesPerCard);
  const TimePoint now = clock_.Now();  // one reading dates the whole batch

  // Every card validated and fingerprinted first, in input order; a valid
  // input is its own normalised form (checked in place, not copied).
  std::vector<std::string> fingerprints(inputs.size());
  // Fingerprint order: the store inserts a batch in that order, so ids
  // handed out in it make the new rows append one after the other, and with
  // the items built in that order the store's writer walks them front to
  // back instead of hopping around a batch that can be megabytes.
  // Sorted by each fingerprint's leading 8 bytes as a number, all its bytes
  // breaking ties: the bytes' order, with integer compares. Inputs with the
  // same card keep their order (the store applies them one after
  // the other, so the earlier one is the one stored).
  std::vector<std::pair<uint64_t, size_t>> keyed;
  keyed.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    Status s = CheckInput(inputs[i], now);
    if (!s.ok()) {
      if (s.code() != StatusCode::kInvalidArgument) return s;
      out[i] = s;
      continue;
    }
    fingerprints[i] = FingerprintOf(*fingerprinter, inputs[i].pan);
    keyed.emplace_back(FingerprintSortKey(fingerprints[i]), i);
  }
  // std::sort with the input index as the last key: the stable order,
  // without stable_sort's merge buffer and passes.
  std::sort(keyed.begin(), keyed.end(), [&fingerprints](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    const int c = fingerprints[a.second].compare(fingerprints[b.second]);
    return c != 0 ? c < 0 : a.second < b.second;
  });
  // The records, built in place in that order (a record is a dozen strings:
  // moving it costs).
  std::vector<BatchInsertItem> items;
  std::vector<size_t> input_of;  // items[k] stores inputs[input_of[k]]
  std::vector<CardInput> plains;  // normalised inputs, parallel to items
  items.reserve(keyed.size());
  input_of.reserve(keyed.size());
  plains.reserve(keyed.size());
  for (size_t k = 0; k < keyed.size(); ++k) {
    if (k + kBatchPrefetchDistance < keyed.size()) {
      const size_t ahead = keyed[k + kBatchPrefetchDistance].second;
      Prefetch(inputs[ahead]);
      Prefetch(fingerprints[ahead]);
    }
    if (k + kBatchPrefetchDistance / 2 < keyed.size()) {
      const size_t ahead = keyed[k + kBatchPrefetchDistance / 2].second;
      __builtin_prefetch(inputs[ahead].pan.data());
      __builtin_prefetch(fingerprints[ahead].data());
    }
    const size_t i = keyed[k].second;
    BatchInsertItem& item = items.emplace_back();
    item.dedup = inputs[i].dedup;
    FillRecord(inputs[i], dek_version, now, std::move(fingerprints[i]), item.record);
    plains.push_back(std::move(inputs[i]));
    input_of.push_back(i);
  }
  int64_t next_id = 0;
  if (!items.empty()) {
    ASSIGN_OR_RETURN(next_id, TakeBatchIds(static_cast<int64_t>(items.size())));
  }
  for (size_t k = 0; k < items.size(); ++k) {
    // From plains[k], in this loop's order (inputs[input_of[k]] is a random
    // access into the caller's batch: a cache miss per card).
    const int64_t id = plains[k].token_format == TokenFormat::kRandom ? next_id++ : 0;
    RETURN_IF_ERROR(DrawTokenAndSeal(plains[k].token_format, plains[k], dek_version,
                                     sealer, random, id, items[k].record));
  }
  for (int attempt = 0; attempt < kMaxTokenAttempts && !items.empty(); ++attempt) {
    const size_t count = items.size();
    // The items are moved into the store; an inserted card comes back in its
    // outcome, a clashing one is built again below.
    ASSIGN_OR_RETURN(std::vector<Result<InsertOutcome>> stored,
                     store_.InsertBatch(std::move(items)));

    if (stored.size() != count) return InternalError("card store: batch size mismatch");
    // Token clashes draw a new token and go again, in a further batch.
    std::vector<BatchInsertItem> again;
    std::vector<size_t> again_input;
    std::vector<CardInput> again_plain;
    for (size_t k = 0; k < count; ++k) {
      if (k + kBatchPrefetchDistance < count) Prefetch(out[input_of[k + kBatchPrefetchDistance]]);
      const size_t i = input_of[k];
      if (stored[k].ok()) {
        StoreOutcome& o = out[i].EmplaceDefault();
        o.duplicate = !stored[k]->inserted;
        // A duplicate's stored fingerprint is this card's too.
        o.fingerprint = std::move(stored[k]->record.fingerprint);
        o.card = ViewOf(std::move(stored[k]->record));
      } else if (stored[k].status().code() == StatusCode::kAlreadyExists) {
        // A clash again draws a random token the store indexes (rare). The
        // card was validated already: its record is only built again (the
        // store took the first one).
        BatchInsertItem item;
        item.dedup = plains[k].dedup;
        FillRecord(plains[k], dek_version, now, FingerprintOf(*fingerprinter, plains[k].pan),
                   item.record);
        RETURN_IF_ERROR(DrawTokenAndSeal(plains[k].token_format, plains[k], dek_version, sealer,
                                         random, /*id=*/0, item.record));
        again.push_back(std::move(item));
        again_input.push_back(i);
        again_plain.push_back(std::move(plains[k]));
      } else {
        out[i] = stored[k].status();
      }
    }
    items = std::move(again);
    input_of = std::move(again_input);
    plains = std::move(again_plain);
  }
  for (size_t k = 0; k < items.size(); ++k) {
    out[input_of[k]] = ResourceExhaustedError("could not find an unused token after " +
                                              std::to_string(kMaxTokenAttempts) + " attempts");
  }
  return out;
}

Result<CardView> CardVault::Get(const std::string& token) {
  if (!IsWellFormedToken(token)) return InvalidArgumentError("malformed token");
  ASSIGN_OR_RETURN(CardRecord rec, store_.Get(token, IdOf(token)));
  return ViewOf(std::move(rec));
}

Result<RevealedCard> CardVault::Reveal(const std::string& token) {
  if (!IsWellFormedToken(token)) return InvalidArgumentError("malformed token");
  ASSIGN_OR_RETURN(CardRecord rec, store_.Get(token, IdOf(token)));
  Result<SecretBytes> plain =
      openers_.Open(rec.dek_version, rec.sealed, Aad(rec.token, rec.dek_version));
  if (!plain.ok()) {
    const StatusCode code = plain.status().code();
    // The keyring's own errors (unknown or retired version) as they are.
    if (code == StatusCode::kNotFound || code == StatusCode::kFailedPrecondition) {
      return plain.status();
    }
    return DataLossError("card record failed authentication (modified or moved ciphertext)");
  }
  RevealedCard out;
  RETURN_IF_ERROR(DecodePlaintext(*plain, &out.pan, &out.name));
  out.card = ViewOf(std::move(rec));
  return out;
}

Status CardVault::Delete(const std::string& token) {
  if (!IsWellFormedToken(token)) return InvalidArgumentError("malformed token");
  return store_.Delete(token, IdOf(token));
}

Result<PurgeReport> CardVault::Purge(size_t batch_limit, int64_t after_id) {
  return PurgeExpiredCards(store_, clock_, options_.purge_grace, batch_limit, after_id);
}

Result<ReencryptReport> CardVault::Reencrypt(int from_version, size_t batch) {
  ASSIGN_OR_RETURN(auto active, keyring_.ActiveDataKey());
  if (active.first == from_version) {
    return FailedPreconditionError("version " + std::to_string(from_version) +
                                   " is the active data key; rotate first");
  }
  ASSIGN_OR_RETURN(SecretBytes old_dek, keyring_.DataKey(from_version));
  ASSIGN_OR_RETURN(crypto::AesGcmSealer sealer, crypto::AesGcmSealer::Create(active.second));
  ReencryptReport report;
  ASSIGN_OR_RETURN(std::vector<CardRecord> recs, store_.ListByDekVersion(from_version, batch, 0));
  for (const CardRecord& rec : recs) {
    Result<SecretBytes> plain =
        crypto::AesGcmOpen(old_dek, rec.sealed, Aad(rec.token, rec.dek_version));
    if (!plain.ok()) return DataLossError("card record failed authentication during re-encryption");
    CardInput in;
    RETURN_IF_ERROR(DecodePlaintext(*plain, &in.pan, &in.name));
    ASSIGN_OR_RETURN(std::string sealed, Seal(rec.token, active.first, sealer, random_, in));
    RETURN_IF_ERROR(store_.UpdateSealed(rec.id, active.first, std::move(sealed)));
    ++report.reencrypted;
  }
  ASSIGN_OR_RETURN(report.remaining, store_.CountByDekVersion(from_version));
  return report;
}

}  // namespace kura::vault
