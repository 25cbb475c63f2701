#include "vault/card_vault.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <new>
#include <thread>
#include <utility>

#include "core/fs/memory_file_system.h"
#include "core/keyring/test_kek.h"
#include "core/pan/luhn.h"
#include "vault/sqlite_card_store.h"
#include "vault/token.h"

namespace kura::vault {
namespace {

using keyring::testing::TestKek;

class CardVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kura-card-vault-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_TRUE(fs_.CreateDirs("/keys").ok());
    auto kr = keyring::Keyring::Create(fs_, "/keys/keyring.json", TestKek(), "kek-test", clock_,
                                       random_);
    ASSERT_TRUE(kr.ok()) << kr.status().ToString();
    keyring_ = std::move(kr).value();
    SqliteCardStoreOptions opts;
    opts.path = dir_ + "/vault.db";
    auto store = SqliteCardStore::Open(opts);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto vault = CardVault::Create(*store_, *keyring_, random_, clock_, CardVaultOptions{});
    ASSERT_TRUE(vault.ok()) << vault.status().ToString();
    vault_ = std::move(vault).value();
  }
  void TearDown() override {
    vault_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A vault on the same store and keyring drawing from `random`.
  std::unique_ptr<CardVault> VaultDrawingFrom(Random& random) {
    Result<std::unique_ptr<CardVault>> v =
        CardVault::Create(*store_, *keyring_, random, clock_, CardVaultOptions{});
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? std::move(v).value() : nullptr;
  }

  // Stores 4111111111111111 with an FPT token through a vault drawing from
  // SeededRandom(kClashSeed), and checks that kClashingPan (same length and
  // last four digits) draws that same token first from the same seed: a
  // second such vault's first attempt for it clashes.
  static constexpr uint64_t kClashSeed = 7;
  static constexpr std::string_view kClashingPan = "5500000000081111";
  // StoreFirstOfAClash, then the second such vault (drawing from
  // clash_random_, which outlives it).
  void SetUpClash(StoreOutcome* first_out, std::unique_ptr<CardVault>* second) {
    ASSERT_NO_FATAL_FAILURE(StoreFirstOfAClash(first_out));
    clash_random_ = std::make_unique<SeededRandom>(kClashSeed);
    *second = VaultDrawingFrom(*clash_random_);
    ASSERT_NE(*second, nullptr);
  }
  std::unique_ptr<SeededRandom> clash_random_;

  void StoreFirstOfAClash(StoreOutcome* first_out) {
    CardInput first_card = Card("4111111111111111");
    first_card.token_format = TokenFormat::kFpt;
    SeededRandom first_random(kClashSeed);
    std::unique_ptr<CardVault> first = VaultDrawingFrom(first_random);
    ASSERT_NE(first, nullptr);
    Result<StoreOutcome> a = first->Store(first_card);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    SeededRandom probe(kClashSeed);
    Result<std::string> first_draw = GenerateFptToken(kClashingPan, false, 6, probe);
    ASSERT_TRUE(first_draw.ok());
    ASSERT_EQ(*first_draw, a->card.token);
    *first_out = std::move(a).value();
  }
  static CardInput ClashingCard() {
    CardInput card = Card(kClashingPan);
    card.token_format = TokenFormat::kFpt;
    return card;
  }

  static CardInput Card(std::string_view pan, int month = 12, int year = 2030) {
    CardInput in;
    in.pan = SecretBytes::FromString(pan);
    in.exp_month = month;
    in.exp_year = year;
    return in;
  }

  std::string dir_;
  FakeClock clock_{1'767'225'600'000};  // 2026-01-01
  OsRandom random_;
  MemoryFileSystem fs_;
  std::unique_ptr<keyring::Keyring> keyring_;
  std::unique_ptr<SqliteCardStore> store_;
  std::unique_ptr<CardVault> vault_;
};

TEST_F(CardVaultTest, StoresAndRevealsRandomToken) {
  CardInput in = Card("4111111111111111");
  in.name = SecretBytes::FromString("Ada Lovelace");
  Result<StoreOutcome> out = vault_->Store(in);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->card.token.rfind("tok_", 0), 0u);
  EXPECT_EQ(out->card.masked_pan, "411111******1111");
  EXPECT_EQ(out->card.bin, "411111");
  EXPECT_EQ(out->card.last4, "1111");
  EXPECT_EQ(out->card.brand, "visa");
  EXPECT_EQ(out->fingerprint.size(), 64u);
  EXPECT_FALSE(out->duplicate);

  Result<RevealedCard> r = vault_->Reveal(out->card.token);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->pan.view(), "4111111111111111");
  ASSERT_TRUE(r->name.has_value());
  EXPECT_EQ(r->name->view(), "Ada Lovelace");
}

TEST_F(CardVaultTest, FptTokenKeepsLengthAndLast4AndFailsLuhn) {
  CardInput in = Card("5555555555554444");
  in.token_format = TokenFormat::kFpt;
  Result<StoreOutcome> out = vault_->Store(in);
  ASSERT_TRUE(out.ok());
  const std::string& t = out->card.token;
  EXPECT_EQ(t.size(), 16u);
  EXPECT_EQ(t.substr(12), "4444");
  EXPECT_FALSE(pan::LuhnValid(t));
  EXPECT_NE(t, "5555555555554444");
  EXPECT_EQ(vault_->Reveal(t)->pan.view(), "5555555555554444");
}

TEST_F(CardVaultTest, DedupReturnsExistingToken) {
  CardInput a = Card("378282246310005");
  a.dedup = true;
  Result<StoreOutcome> first = vault_->Store(a);
  ASSERT_TRUE(first.ok());
  Result<StoreOutcome> second = vault_->Store(a);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(second->card.token, first->card.token);
  EXPECT_EQ(second->fingerprint, first->fingerprint);
  // Without dedup the same PAN gets a new token, with the same fingerprint.
  Result<StoreOutcome> third = vault_->Store(Card("378282246310005"));
  ASSERT_TRUE(third.ok());
  EXPECT_NE(third->card.token, first->card.token);
  EXPECT_EQ(third->fingerprint, first->fingerprint);
}

TEST_F(CardVaultTest, RejectsBadCards) {
  EXPECT_EQ(vault_->Store(Card("4111111111111112")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(vault_->Store(Card("41111111")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(vault_->Store(Card("4111 1111 1111 1111")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(vault_->Store(Card("4111111111111111", 13, 2030)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(vault_->Store(Card("4111111111111111", 12, 2025)).status().code(),
            StatusCode::kInvalidArgument);
  CardInput long_name = Card("4111111111111111");
  long_name.name = SecretBytes::FromString(std::string(kMaxCardholderNameBytes + 1, 'x'));
  EXPECT_EQ(vault_->Store(long_name).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->Count(), 0);
}

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
  Result<std::vector<Result<StoreOutcome>>> r = vault_->StoreBatch(batch);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), batch.size());
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

TEST_F(CardVaultTest, UnknownAndMalformedTokens) {
  EXPECT_EQ(vault_->Get("tok_aaaaaaaaaaaaaaaaaaaaaaaaaa").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(vault_->Get("not a token").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(vault_->Reveal("../../etc/passwd").status().code(), StatusCode::kInvalidArgument);
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
  Result<std::vector<Result<StoreOutcome>>> out = vault_->StoreBatch(batch);
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

TEST_F(CardVaultTest, RandomTokensCarryTheirRowIdAndFptTokensAreIndexed) {
  Result<StoreOutcome> a = vault_->Store(Card("4111111111111111"));
  Result<StoreOutcome> b = vault_->Store(Card("5555555555554444"));
  CardInput fpt_input = Card("378282246310005");
  fpt_input.token_format = TokenFormat::kFpt;
  Result<StoreOutcome> fpt = vault_->Store(fpt_input);
  ASSERT_TRUE(a.ok() && b.ok() && fpt.ok());
  EXPECT_TRUE(LooksLikeRandomToken(a->card.token));
  EXPECT_NE(a->card.token, b->card.token);
  Result<CardRecord> rec_a = store_->GetByFingerprint(a->fingerprint);
  ASSERT_TRUE(rec_a.ok());
  EXPECT_GT(rec_a->id, 0);
  // The store finds a minted token only by the id it carries: it is in no
  // index (that is the point), so without the id it is unknown to the store.
  EXPECT_EQ(store_->Get(a->card.token, rec_a->id)->token, a->card.token);
  EXPECT_EQ(store_->Get(a->card.token, 0).status().code(), StatusCode::kNotFound);
  // An FPT token is indexed: found without an id.
  EXPECT_EQ(store_->Get(fpt->card.token, 0)->token, fpt->card.token);
  // The vault reads all three.
  EXPECT_EQ(vault_->Get(a->card.token)->last4, "1111");
  EXPECT_EQ(vault_->Get(fpt->card.token)->last4, "0005");
  // A token with one character changed names no card, even though it
  // decrypts to some id.
  std::string forged = a->card.token;
  forged[5] = forged[5] == 'a' ? 'b' : 'a';
  EXPECT_EQ(vault_->Get(forged).status().code(), StatusCode::kNotFound);
}

TEST_F(CardVaultTest, StoreBatchHandsOutIdsInFingerprintOrder) {
  std::vector<CardInput> inputs;
  for (const char* pan : {"4111111111111111", "5555555555554444", "4012888888881881",
                          "6011111111111117", "3530111333300000"}) {
    inputs.push_back(Card(pan));
  }
  Result<std::vector<Result<StoreOutcome>>> out = vault_->StoreBatch(inputs);
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
  store_batch(1, 6, 1, 1);    // waits for its ids, asks for the next batch's
  store_batch(101, 6, 1, 2);  // same size: reserved ahead, nothing waits
  store_batch(201, 4, 1, 3);  // smaller: from the range ahead (its rest is kept)
  store_batch(301, 9, 2, 4);  // larger than anything reserved: waits, and the
                              // range ahead (too small) is replaced by one of 9
  store_batch(401, 9, 2, 5);  // found it ready

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
  EXPECT_EQ(all.size(), 34u);
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
  Result<std::vector<Result<StoreOutcome>>> out = vault_->StoreBatch(batch);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), batch.size());
  std::vector<std::string> token_of(kCards);
  for (size_t k = 0; k < kCards; ++k) {
    ASSERT_TRUE((*out)[k].ok()) << (*out)[k].status().ToString();
    EXPECT_FALSE((*out)[k]->duplicate) << "input " << k;
    token_of[card_of[k]] = (*out)[k]->card.token;
  }
  for (size_t k = kCards; k < batch.size(); ++k) {
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
  // and asks again for the batch after it.
  auto second = (*vault)->StoreBatch(NewCards(101, 5));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(counting.waiting_.load(), after_create + 2);
  EXPECT_EQ(counting.background_.load(), 2);
  for (const Result<StoreOutcome>& o : *second) {
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    EXPECT_EQ((*vault)->Get(o->card.token)->token, o->card.token);
  }
  auto after = (*vault)->StoreBatch(NewCards(151, 5));  // found its ids ready
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(counting.waiting_.load(), after_create + 2);
  // A reservation ahead that could not even be queued (it threw) leaves
  // nothing waiting for it: the next batch reserves itself.
  counting.throw_background_ = true;
  auto threw = (*vault)->StoreBatch(NewCards(171, 7));
  ASSERT_TRUE(threw.ok()) << threw.status().ToString();
  auto next = (*vault)->StoreBatch(NewCards(181, 7));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(counting.waiting_.load(), after_create + 4);
  // A reservation the batch waits for fails the batch, and nothing is stored.
  counting.fail_waiting_ = UnavailableError("disk gone");
  ASSERT_TRUE(counting.Count().ok());
  const int64_t before = *counting.Count();
  auto third = (*vault)->StoreBatch(NewCards(201, 50));
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(*counting.Count(), before);
}

TEST_F(CardVaultTest, DeleteRemovesCard) {
  Result<StoreOutcome> out = vault_->Store(Card("4111111111111111"));
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(vault_->Delete(out->card.token).ok());
  EXPECT_EQ(vault_->Get(out->card.token).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(vault_->Delete(out->card.token).code(), StatusCode::kNotFound);
}

TEST_F(CardVaultTest, CiphertextMovedToAnotherRowFailsAuthentication) {
  Result<StoreOutcome> a = vault_->Store(Card("4111111111111111"));
  Result<StoreOutcome> b = vault_->Store(Card("5555555555554444"));
  ASSERT_TRUE(a.ok() && b.ok());
  Result<CardRecord> rec_a = store_->GetByFingerprint(a->fingerprint);
  Result<CardRecord> rec_b = store_->GetByFingerprint(b->fingerprint);
  ASSERT_TRUE(rec_a.ok() && rec_b.ok());
  ASSERT_TRUE(store_->UpdateSealed(rec_b->id, rec_a->dek_version, rec_a->sealed).ok());
  EXPECT_EQ(vault_->Reveal(b->card.token).status().code(), StatusCode::kDataLoss);
}

TEST_F(CardVaultTest, RotationKeepsOldCardsReadableAndReencryptMovesThem) {
  Result<StoreOutcome> old_card = vault_->Store(Card("4111111111111111"));
  ASSERT_TRUE(old_card.ok());
  Result<int> v2 = keyring_->Rotate();
  ASSERT_TRUE(v2.ok());
  Result<StoreOutcome> new_card = vault_->Store(Card("5555555555554444"));
  ASSERT_TRUE(new_card.ok());
  EXPECT_EQ(store_->GetByFingerprint(old_card->fingerprint)->dek_version, 1);
  EXPECT_EQ(store_->GetByFingerprint(new_card->fingerprint)->dek_version, *v2);
  EXPECT_EQ(vault_->Reveal(old_card->card.token)->pan.view(), "4111111111111111");

  EXPECT_EQ(vault_->Reencrypt(*v2, 10).status().code(), StatusCode::kFailedPrecondition);
  Result<ReencryptReport> rep = vault_->Reencrypt(1, 10);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_EQ(rep->reencrypted, 1);
  EXPECT_EQ(rep->remaining, 0);
  ASSERT_TRUE(keyring_->Retire(1).ok());
  EXPECT_EQ(vault_->Reveal(old_card->card.token)->pan.view(), "4111111111111111");
}

TEST_F(CardVaultTest, PurgeDeletesOnlyCardsPastGrace) {
  Result<StoreOutcome> soon = vault_->Store(Card("4111111111111111", 1, 2026));
  Result<StoreOutcome> later = vault_->Store(Card("5555555555554444", 12, 2027));
  ASSERT_TRUE(soon.ok() && later.ok());
  // 2026-02-15: January 2026 card expired 15 days ago, within the 30-day grace.
  clock_.SetUnixMillis(1'771'113'600'000);
  Result<PurgeReport> r = vault_->Purge();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->deleted, 0);
  // 2026-03-15: now past the grace.
  clock_.SetUnixMillis(1'773'532'800'000);
  r = vault_->Purge();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->deleted, 1);
  ASSERT_EQ(r->tokens.size(), 1u);
  EXPECT_EQ(r->tokens[0], soon->card.token);
  EXPECT_TRUE(vault_->Get(later->card.token).ok());
}

// A purge in batches: each report says where the next batch goes on and
// whether one is needed; the pass deletes every expired card once.
TEST_F(CardVaultTest, PurgeInBatchesGoesOnAfterEachReportsLastId) {
  // Cards of January 2026 are past the 30-day grace on 2026-03-15.
  const std::vector<std::pair<std::string, int>> cards = {
      {"4111111111111111", 2026}, {"5555555555554444", 2030}, {"4012888888881881", 2026},
      {"378282246310005", 2031},  {"6011111111111117", 2026}};
  std::vector<std::string> expired_tokens;
  for (const auto& [pan, year] : cards) {
    Result<StoreOutcome> o = vault_->Store(Card(pan, 1, year));
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    if (year == 2026) expired_tokens.push_back(o->card.token);
  }
  clock_.SetUnixMillis(1'773'532'800'000);  // 2026-03-15
  Result<PurgeReport> first = vault_->Purge(2);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->deleted, 2);
  EXPECT_TRUE(first->more);
  Result<PurgeReport> second = vault_->Purge(2, first->next_after_id);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->deleted, 1);
  EXPECT_FALSE(second->more);
  std::vector<std::string> deleted = first->tokens;
  deleted.insert(deleted.end(), second->tokens.begin(), second->tokens.end());
  std::sort(deleted.begin(), deleted.end());
  std::sort(expired_tokens.begin(), expired_tokens.end());
  EXPECT_EQ(deleted, expired_tokens);
  for (const std::string& t : expired_tokens) {
    EXPECT_EQ(vault_->Get(t).status().code(), StatusCode::kNotFound);
  }
  // Nothing after the last one: an empty last batch keeps the cursor.
  Result<PurgeReport> third = vault_->Purge(2, second->next_after_id);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->deleted, 0);
  EXPECT_FALSE(third->more);
  EXPECT_EQ(third->next_after_id, second->next_after_id);
}

// StoreAsync answers from the store's writer thread after the commit, and
// on the calling thread for a card it refuses before queuing.
TEST_F(CardVaultTest, StoreAsyncAnswersAfterTheCommitOffTheCallersThread) {
  std::promise<std::pair<Result<StoreOutcome>, std::thread::id>> stored;
  vault_->StoreAsync(Card("4111111111111111"), [&stored](Result<StoreOutcome> r) {
    stored.set_value({std::move(r), std::this_thread::get_id()});
  });
  auto [out, thread] = stored.get_future().get();
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_NE(thread, std::this_thread::get_id());
  EXPECT_EQ(store_->GetStats().commits, 2u);  // the vault's first id block, then the card
  Result<RevealedCard> r = vault_->Reveal(out->card.token);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pan.view(), "4111111111111111");

  std::thread::id refused_on;
  Result<StoreOutcome> refused = InternalError("not called");
  vault_->StoreAsync(Card("4111111111111112"), [&](Result<StoreOutcome> answer) {
    refused = std::move(answer);
    refused_on = std::this_thread::get_id();
  });
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);  // Luhn
  EXPECT_EQ(refused_on, std::this_thread::get_id());
}

// StoreAsync never waits for an id reservation — not even when called from
// a completion, on the store's commit thread, which a waiting reservation
// would deadlock: here each store is started from the previous one's
// completion, past the end of the first id block.
TEST_F(CardVaultTest, StoreAsyncChainedFromCompletionsOutlastsTheIdBlock) {
  constexpr int kCards = static_cast<int>(kIdBlockSize) + 200;
  std::vector<std::string> pans;
  for (int i = 0; i < kCards; ++i) {
    std::string p = "400000" + std::to_string(100000000 + i);
    p += pan::LuhnCheckDigit(p);
    pans.push_back(p);
  }
  std::promise<void> finished;
  std::vector<std::string> tokens;
  int failures = 0;
  std::function<void(int)> store_next = [&](int i) {
    if (i == kCards) return finished.set_value();
    vault_->StoreAsync(Card(pans[i]), [&, i](Result<StoreOutcome> r) {
      if (r.ok()) {
        tokens.push_back(r->card.token);
      } else {
        ++failures;
      }
      store_next(i + 1);
    });
  };
  store_next(0);
  ASSERT_EQ(finished.get_future().wait_for(std::chrono::seconds(120)), std::future_status::ready);
  EXPECT_EQ(failures, 0);
  ASSERT_EQ(tokens.size(), static_cast<size_t>(kCards));
  EXPECT_EQ(*store_->Count(), kCards);
  for (int i : {0, 1023, 1024, 1025, kCards - 1}) {
    Result<RevealedCard> r = vault_->Reveal(tokens[i]);
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().ToString();
    EXPECT_EQ(r->pan.view(), pans[i]);
  }
  std::sort(tokens.begin(), tokens.end());
  EXPECT_EQ(std::unique(tokens.begin(), tokens.end()), tokens.end());
}

// Random tokens carry their row id and cannot clash, but FPT tokens keep
// most of the PAN and can: a taken one is drawn again (and the card sealed
// again for the new token); the first card keeps its own.
TEST_F(CardVaultTest, TokenClashIsRetriedWithANewToken) {
  StoreOutcome a;
  std::unique_ptr<CardVault> second;
  ASSERT_NO_FATAL_FAILURE(SetUpClash(&a, &second));
  Result<StoreOutcome> b = second->Store(ClashingCard());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_NE(b->card.token, a.card.token);
  Result<RevealedCard> ra = vault_->Reveal(a.card.token);
  Result<RevealedCard> rb = vault_->Reveal(b->card.token);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->pan.view(), "4111111111111111");
  EXPECT_EQ(rb->pan.view(), kClashingPan);
}

// StoreBatch moves its items into the store, so a card whose token clashed
// is built again from its input for the retry: stored under a new token,
// with its fingerprint and sealed PAN intact. (A one-card batch draws the
// same first bytes as a single store.)
TEST_F(CardVaultTest, StoreBatchRetriesATokenClashWithARebuiltRecord) {
  StoreOutcome a;
  std::unique_ptr<CardVault> second;
  ASSERT_NO_FATAL_FAILURE(SetUpClash(&a, &second));
  std::vector<CardInput> inputs;
  inputs.push_back(ClashingCard());
  Result<std::vector<Result<StoreOutcome>>> batch = second->StoreBatch(inputs);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->size(), 1u);
  const Result<StoreOutcome>& b = (*batch)[0];
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_FALSE(b->duplicate);
  EXPECT_NE(b->card.token, a.card.token);
  EXPECT_TRUE(LooksLikeFptToken(b->card.token));
  EXPECT_EQ(b->card.last4, "1111");
  Result<CardRecord> rec = store_->GetByFingerprint(b->fingerprint);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->token, b->card.token);
  EXPECT_EQ(vault_->Reveal(b->card.token)->pan.view(), kClashingPan);
  EXPECT_EQ(*store_->Count(), 2);
}

// Ids come from the store's sequence, so a taken id means someone wrote a
// row without reserving it; the retry (on the commit thread, which cannot
// wait for a new id block) falls back to a random token the store indexes.
TEST_F(CardVaultTest, IdClashFallsBackToAnIndexedRandomToken) {
  Result<StoreOutcome> a = vault_->Store(Card("4111111111111111"));
  ASSERT_TRUE(a.ok());
  const int64_t next = store_->GetByFingerprint(a->fingerprint)->id + 1;
  CardRecord squatter = store_->GetByFingerprint(a->fingerprint).value();
  squatter.id = next;
  squatter.token = "tok_squatter";
  squatter.fingerprint = std::string(64, 'e');
  ASSERT_TRUE(store_->Insert(squatter).ok());
  Result<StoreOutcome> b = vault_->Store(Card("5555555555554444"));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(LooksLikeRandomToken(b->card.token));
  Result<CardRecord> rec_b = store_->Get(b->card.token, 0);  // indexed
  ASSERT_TRUE(rec_b.ok()) << rec_b.status().ToString();
  EXPECT_NE(rec_b->id, next);
  EXPECT_EQ(vault_->Reveal(b->card.token)->pan.view(), "5555555555554444");
}

// Single stores draw their token bits and nonces from a pool filled by one
// generator call per kStoreRandomPoolBytes (each call to OpenSSL's DRBG costs
// more than the 20 bytes a card needs), and no two stores share them.
TEST_F(CardVaultTest, StoresDrawTheGeneratorOncePerPool) {
  class CountingRandom final : public Random {
   public:
    Status Fill(std::span<uint8_t> out) override {
      calls.fetch_add(1);
      return os.Fill(out);
    }
    OsRandom os;
    std::atomic<int> calls{0};
  };
  CountingRandom counting;
  Result<std::unique_ptr<CardVault>> vault =
      CardVault::Create(*store_, *keyring_, counting, clock_, CardVaultOptions{});
  ASSERT_TRUE(vault.ok());
  const int before = counting.calls.load();
  Result<StoreOutcome> a = (*vault)->Store(Card("4111111111111111"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  Result<StoreOutcome> b = (*vault)->Store(Card("5555555555554444"));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(counting.calls.load(), before + 1);
  EXPECT_NE(a->card.token, b->card.token);
  Result<CardRecord> ra = store_->GetByFingerprint(a->fingerprint);
  Result<CardRecord> rb = store_->GetByFingerprint(b->fingerprint);
  ASSERT_TRUE(ra.ok() && rb.ok());
  // The sealed bytes start with the 12-byte nonce (aead.h): fresh per store.
  ASSERT_GT(ra->sealed.size(), 12u);
  EXPECT_NE(ra->sealed.substr(0, 12), rb->sealed.substr(0, 12));
  EXPECT_EQ((*vault)->Reveal(a->card.token)->pan.view(), "4111111111111111");
  EXPECT_EQ((*vault)->Reveal(b->card.token)->pan.view(), "5555555555554444");
  // 20 bytes a card: the 205th card needs the second pool.
  constexpr size_t kCardsPerPool = kStoreRandomPoolBytes / 20;
  for (size_t i = 2; i <= kCardsPerPool; ++i) {
    ASSERT_TRUE((*vault)->Store(Card("4111111111111111")).ok());
  }
  EXPECT_EQ(counting.calls.load(), before + 2);
}

// Every draw clashing: kResourceExhausted after kMaxTokenAttempts, nothing
// stored for the second card.
TEST_F(CardVaultTest, TokenClashesGiveUpAfterTheAttemptLimit) {
  class ConstantRandom final : public Random {
   public:
    Status Fill(std::span<uint8_t> out) override {
      std::fill(out.begin(), out.end(), uint8_t{0x5a});
      return OkStatus();
    }
  };
  ConstantRandom constant;
  Result<std::unique_ptr<CardVault>> stuck =
      CardVault::Create(*store_, *keyring_, constant, clock_, CardVaultOptions{});
  ASSERT_TRUE(stuck.ok());
  CardInput first = Card("4111111111111111");
  first.token_format = TokenFormat::kFpt;
  ASSERT_TRUE((*stuck)->Store(first).ok());
  CardInput second = Card("5500000000081111");
  second.token_format = TokenFormat::kFpt;
  Result<StoreOutcome> again = (*stuck)->Store(second);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(again.status().message().find("5500"), std::string::npos);
  EXPECT_EQ(*store_->Count(), 1);
}

}  // namespace
}  // namespace kura::vault
