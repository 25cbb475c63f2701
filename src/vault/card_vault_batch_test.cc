// CardVault::StoreBatch: de-duplication, token formats, id order, the ids
// reserved ahead for the next batch. (Token clashes in a batch are tested
// with the other clashes, in card_vault_test.cc.)
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "core/pan/luhn.h"
#include "vault/card_vault.h"
#include "vault/card_vault_test_fixture.h"
#include "vault/token.h"

namespace kura::vault {
namespace {

TEST_F(CardVaultTest, StoreBatchDedupsWithinTheBatchAndAgainstTheVault) {
  CardInput existing = Card("4111111111111111");
  existing.dedup = true;
  Result<StoreOutcome> first = vault_->Store(existing);
  ASSERT_TRUE(first.ok());
  std::vector<CardInput> batch;
  for (const char* pan : {"5555555555554444", "4111111111111111", "4111111111111112",
                          "5555555555554444", "378282246310005"}) {
    CardInput in = Card(pan);
    in.dedup = true;
    batch.push_back(std::move(in));
  }
  batch.push_back(Card("6011000990139424", 13, 2030));  // bad month
  CardInput no_dedup = Card("378282246310005");
  batch.push_back(std::move(no_dedup));
  const uint64_t commits = store_->GetStats().commits;
  const size_t inputs = batch.size();
  Result<std::vector<Result<StoreOutcome>>> r = vault_->StoreBatch(std::move(batch));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), inputs);
  ASSERT_TRUE((*r)[0].ok());
  EXPECT_FALSE((*r)[0]->duplicate);
  ASSERT_TRUE((*r)[1].ok());
  EXPECT_TRUE((*r)[1]->duplicate);
  EXPECT_EQ((*r)[1]->card.token, first->card.token);  // same PAN, same token
  EXPECT_EQ((*r)[2].status().code(), StatusCode::kInvalidArgument);  // Luhn
  ASSERT_TRUE((*r)[3].ok());
  EXPECT_TRUE((*r)[3]->duplicate);
  EXPECT_EQ((*r)[3]->card.token, (*r)[0]->card.token);  // same PAN within the batch
  ASSERT_TRUE((*r)[4].ok());
  EXPECT_EQ((*r)[4]->card.last4, "0005");
  EXPECT_EQ((*r)[5].status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE((*r)[6].ok());
  EXPECT_NE((*r)[6]->card.token, (*r)[4]->card.token);  // dedup off
  // One commit reserves the batch's ids and one stores the whole batch; the
  // background reservation of the next batch's ids is a third, unless the
  // writer took it in the same group commit as the batch.
  const uint64_t used = store_->GetStats().commits - commits;
  EXPECT_GE(used, 2u);
  EXPECT_LE(used, 3u);
  EXPECT_EQ(*store_->Count(), 4);
  // Same sealing as Store: the PAN comes back.
  Result<RevealedCard> rev = vault_->Reveal((*r)[0]->card.token);
  ASSERT_TRUE(rev.ok());
  EXPECT_EQ(rev->pan.view(), "5555555555554444");
  EXPECT_TRUE(vault_->StoreBatch({})->empty());
}

// Each card of a batch gets the token format it asked for, whatever its
// place in the batch's fingerprint order.
TEST_F(CardVaultTest, StoreBatchGivesEachCardItsTokenFormat) {
  const std::vector<std::pair<const char*, TokenFormat>> cards = {
      {"4111111111111111", TokenFormat::kFpt},    {"5555555555554444", TokenFormat::kRandom},
      {"378282246310005", TokenFormat::kFpt},     {"6011111111111117", TokenFormat::kRandom},
      {"4012888888881881", TokenFormat::kRandom}, {"5105105105105100", TokenFormat::kFpt}};
  std::vector<CardInput> batch;
  for (const auto& [pan, format] : cards) {
    CardInput in = Card(pan);
    in.token_format = format;
    batch.push_back(std::move(in));
  }
  Result<std::vector<Result<StoreOutcome>>> out = vault_->StoreBatch(std::move(batch));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), cards.size());
  for (size_t i = 0; i < cards.size(); ++i) {
    ASSERT_TRUE((*out)[i].ok()) << i << ": " << (*out)[i].status().ToString();
    const std::string& token = (*out)[i]->card.token;
    if (cards[i].second == TokenFormat::kFpt) {
      EXPECT_TRUE(LooksLikeFptToken(token)) << i;
      EXPECT_TRUE(store_->Get(token, 0).ok()) << i;  // indexed: found without an id
    } else {
      EXPECT_TRUE(LooksLikeRandomToken(token)) << i;
    }
    Result<RevealedCard> revealed = vault_->Reveal(token);
    ASSERT_TRUE(revealed.ok()) << i;
    EXPECT_EQ(revealed->pan.view(), cards[i].first) << i;
  }
}

TEST_F(CardVaultTest, StoreBatchHandsOutIdsInFingerprintOrder) {
  std::vector<CardInput> inputs;
  for (const char* pan : {"4111111111111111", "5555555555554444", "4012888888881881",
                          "6011111111111117", "3530111333300000"}) {
    inputs.push_back(Card(pan));
  }
  Result<std::vector<Result<StoreOutcome>>> out = vault_->StoreBatch(std::move(inputs));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  std::vector<std::pair<std::string, int64_t>> by_fingerprint;
  for (const Result<StoreOutcome>& o : *out) {
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    Result<CardRecord> rec = store_->GetByFingerprint(o->fingerprint);
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(vault_->Get(o->card.token)->token, o->card.token);
    by_fingerprint.emplace_back(o->fingerprint, rec->id);
  }
  std::sort(by_fingerprint.begin(), by_fingerprint.end());
  for (size_t i = 1; i < by_fingerprint.size(); ++i) {
    EXPECT_EQ(by_fingerprint[i].second, by_fingerprint[i - 1].second + 1);
  }
}

// A SqliteCardStore seen through a forwarder that counts id reservations
// (waiting ones and background ones) and can fail the next of either kind.
class ReservationCountingStore final : public CardStore {
 public:
  explicit ReservationCountingStore(CardStore& inner) : inner_(inner) {}

  Result<int64_t> ReserveIds(int64_t count) override {
    ++waiting_;
    if (!fail_waiting_.ok()) return std::exchange(fail_waiting_, OkStatus());
    return inner_.ReserveIds(count);
  }
  void ReserveIdsAsync(int64_t count, ReserveDone done) override {
    ++background_;
    if (std::exchange(throw_background_, false)) throw std::bad_alloc();
    if (!fail_background_.ok()) return done(std::exchange(fail_background_, OkStatus()));
    inner_.ReserveIdsAsync(count, std::move(done));
  }
  Status Insert(const CardRecord& r) override { return inner_.Insert(r); }
  Result<InsertOutcome> InsertOrGetByFingerprint(const CardRecord& r) override {
    return inner_.InsertOrGetByFingerprint(r);
  }
  void InsertAsync(const CardRecord& r, bool dedup, InsertDone done) override {
    inner_.InsertAsync(r, dedup, std::move(done));
  }
  Result<std::vector<Result<InsertOutcome>>> InsertBatch(
      std::vector<BatchInsertItem> items) override {
    return inner_.InsertBatch(std::move(items));
  }
  Result<CardRecord> Get(std::string_view token, int64_t id) override {
    return inner_.Get(token, id);
  }
  Result<CardRecord> GetByFingerprint(std::string_view f) override {
    return inner_.GetByFingerprint(f);
  }
  Status Delete(std::string_view token, int64_t id) override { return inner_.Delete(token, id); }
  Result<std::vector<CardRecord>> ListExpired(TimePoint before, size_t limit,
                                              int64_t after_id) override {
    return inner_.ListExpired(before, limit, after_id);
  }
  Result<std::vector<CardRecord>> ListByDekVersion(int version, size_t limit,
                                                   int64_t after_id) override {
    return inner_.ListByDekVersion(version, limit, after_id);
  }
  Status UpdateSealed(int64_t id, int version, std::string_view sealed) override {
    return inner_.UpdateSealed(id, version, sealed);
  }
  Result<int64_t> CountByDekVersion(int version) override {
    return inner_.CountByDekVersion(version);
  }
  Result<int64_t> Count() override { return inner_.Count(); }
  Status ConsumeNonce(std::string_view jti, int64_t expires_ms) override {
    return inner_.ConsumeNonce(jti, expires_ms);
  }
  Result<int64_t> PurgeNonces(int64_t now_ms) override { return inner_.PurgeNonces(now_ms); }

  CardStore& inner_;
  std::atomic<int> waiting_{0};
  std::atomic<int> background_{0};
  Status fail_waiting_;     // returned by the next ReserveIds
  Status fail_background_;  // given to the next ReserveIdsAsync's callback
  bool throw_background_ = false;  // the next ReserveIdsAsync throws bad_alloc
};

// Each batch's ids, as the store's rows carry them, in fingerprint order.
std::vector<int64_t> BatchIds(CardStore& store, const std::vector<Result<StoreOutcome>>& out) {
  std::vector<std::pair<std::string, int64_t>> by_fingerprint;
  for (const Result<StoreOutcome>& o : out) {
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    if (!o.ok()) continue;
    Result<CardRecord> rec = store.GetByFingerprint(o->fingerprint);
    EXPECT_TRUE(rec.ok()) << rec.status().ToString();
    if (rec.ok()) by_fingerprint.emplace_back(o->fingerprint, rec->id);
  }
  std::sort(by_fingerprint.begin(), by_fingerprint.end());
  std::vector<int64_t> ids;
  for (const auto& [f, id] : by_fingerprint) ids.push_back(id);
  return ids;
}

std::vector<CardInput> NewCards(int first, int count) {
  std::vector<CardInput> cards;
  for (int i = first; i < first + count; ++i) {
    char payload[16];
    std::snprintf(payload, sizeof(payload), "400000%09d", i);
    std::string pan = payload;
    pan += pan::LuhnCheckDigit(pan);
    CardInput in;
    in.pan = SecretBytes::FromString(pan);
    in.exp_month = 12;
    in.exp_year = 2030;
    cards.push_back(std::move(in));
  }
  return cards;
}

TEST_F(CardVaultTest, StoreBatchReservesTheNextBatchsIdsAhead) {
  ReservationCountingStore counting(*store_);
  auto vault = CardVault::Create(counting, *keyring_, random_, clock_, CardVaultOptions{});
  ASSERT_TRUE(vault.ok()) << vault.status().ToString();
  const int after_create = counting.waiting_.load();  // the single-store block

  // Stores `count` new cards from `first` on; then checks how many
  // reservations were waited for (beyond Create's) and made ahead so far.
  std::vector<std::vector<Result<StoreOutcome>>> batches;
  auto store_batch = [&](int first, int count, int waited, int ahead) {
    SCOPED_TRACE("batch of " + std::to_string(count) + " from " + std::to_string(first));
    auto out = (*vault)->StoreBatch(NewCards(first, count));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(counting.waiting_.load(), after_create + waited);
    EXPECT_EQ(counting.background_.load(), ahead);
    batches.push_back(std::move(out).value());
  };
  // kBatchIdsAhead (4) batches' worth is asked for ahead, once fewer than two
  // batches are left.
  static_assert(kBatchIdsAhead == 4);
  store_batch(1, 6, 1, 1);      // waits for its ids, asks for 24 ahead
  store_batch(101, 6, 1, 1);    // from the range ahead: 18 left, nothing asked
  store_batch(201, 4, 1, 1);    // smaller, from the same range: 14 left
  store_batch(301, 9, 1, 2);    // larger, from the same range: 5 left, asks for 36
  store_batch(401, 9, 1, 2);    // found it ready (the 5 are skipped): 27 left
  store_batch(451, 10, 1, 3);   // 17 left, under two batches of 10: asks for 40
  store_batch(501, 100, 2, 4);  // larger than anything reserved: waits, asks for 400
  store_batch(601, 100, 2, 4);  // found it ready

  // Every batch's ids are consecutive in fingerprint order (rows appended)
  // and no id is handed out twice.
  std::vector<int64_t> all;
  for (const std::vector<Result<StoreOutcome>>& out : batches) {
    const std::vector<int64_t> ids = BatchIds(*store_, out);
    ASSERT_EQ(ids.size(), out.size());
    for (size_t i = 1; i < ids.size(); ++i) EXPECT_EQ(ids[i], ids[i - 1] + 1);
    all.insert(all.end(), ids.begin(), ids.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
  EXPECT_EQ(all.size(), 244u);
}

// Inputs with the same card keep their input order through StoreBatch's
// fingerprint ordering, also in batches long enough that an unstable sort
// would swap them: the first de-duplicating input of a card is stored, a
// later de-duplicating one is its duplicate, and one without dedup is
// stored as well.
TEST_F(CardVaultTest, StoreBatchKeepsTheInputOrderOfTheSameCard) {
  constexpr int kCards = 60;
  std::vector<CardInput> first = NewCards(1, kCards);
  std::vector<CardInput> again = NewCards(1, kCards);
  std::vector<CardInput> batch;
  std::vector<int> card_of;
  for (int i = 0; i < kCards; ++i) {  // every card once, dedup on
    first[i].dedup = true;
    batch.push_back(std::move(first[i]));
    card_of.push_back(i);
  }
  for (int i = kCards - 1; i >= 0; --i) {  // again, reversed: odd ones without dedup
    again[i].dedup = i % 2 == 0;
    batch.push_back(std::move(again[i]));
    card_of.push_back(i);
  }
  const size_t inputs = batch.size();
  Result<std::vector<Result<StoreOutcome>>> out = vault_->StoreBatch(std::move(batch));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), inputs);
  std::vector<std::string> token_of(kCards);
  for (size_t k = 0; k < kCards; ++k) {
    ASSERT_TRUE((*out)[k].ok()) << (*out)[k].status().ToString();
    EXPECT_FALSE((*out)[k]->duplicate) << "input " << k;
    token_of[card_of[k]] = (*out)[k]->card.token;
  }
  for (size_t k = kCards; k < inputs; ++k) {
    ASSERT_TRUE((*out)[k].ok()) << (*out)[k].status().ToString();
    const int card = card_of[k];
    if (card % 2 == 0) {
      EXPECT_TRUE((*out)[k]->duplicate) << "input " << k;
      EXPECT_EQ((*out)[k]->card.token, token_of[card]) << "input " << k;
    } else {
      EXPECT_FALSE((*out)[k]->duplicate) << "input " << k;
      EXPECT_NE((*out)[k]->card.token, token_of[card]) << "input " << k;
    }
  }
  EXPECT_EQ(*store_->Count(), kCards + kCards / 2);
}

TEST_F(CardVaultTest, StoreBatchAsksAgainAfterAFailedReservationAhead) {
  ReservationCountingStore counting(*store_);
  auto vault = CardVault::Create(counting, *keyring_, random_, clock_, CardVaultOptions{});
  ASSERT_TRUE(vault.ok()) << vault.status().ToString();
  const int after_create = counting.waiting_.load();
  counting.fail_background_ = UnavailableError("disk gone");
  auto first = (*vault)->StoreBatch(NewCards(1, 5));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  // Nothing was reserved ahead: the next batch reserves (and waits) itself,
  // and asks again for the batches after it.
  auto second = (*vault)->StoreBatch(NewCards(101, 5));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(counting.waiting_.load(), after_create + 2);
  EXPECT_EQ(counting.background_.load(), 2);
  for (const Result<StoreOutcome>& o : *second) {
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    EXPECT_EQ((*vault)->Get(o->card.token)->token, o->card.token);
  }
  // Found its ids ready (20 reserved ahead: 15 left, no new reservation).
  auto after = (*vault)->StoreBatch(NewCards(151, 5));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(counting.waiting_.load(), after_create + 2);
  EXPECT_EQ(counting.background_.load(), 2);
  // A reservation ahead that could not even be queued (it threw) leaves
  // nothing waiting for it: the next batch reserves itself. (This batch
  // takes the 15 left, so the next one finds none.)
  counting.throw_background_ = true;
  auto threw = (*vault)->StoreBatch(NewCards(161, 15));
  ASSERT_TRUE(threw.ok()) << threw.status().ToString();
  auto next = (*vault)->StoreBatch(NewCards(181, 15));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(counting.waiting_.load(), after_create + 3);
  // A reservation the batch waits for (it is larger than the 60 reserved
  // ahead) fails the batch, and nothing is stored.
  counting.fail_waiting_ = UnavailableError("disk gone");
  ASSERT_TRUE(counting.Count().ok());
  const int64_t before = *counting.Count();
  auto third = (*vault)->StoreBatch(NewCards(201, 100));
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(*counting.Count(), before);
}

}  // namespace
}  // namespace kura::vault
