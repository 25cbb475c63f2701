#include "vault/card_vault.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/pan/luhn.h"
#include "vault/card_vault_test_fixture.h"
#include "vault/sqlite_card_store.h"
#include "vault/token.h"

namespace kura::vault {
namespace {

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
  EXPECT_EQ(out->fingerprint.size(), 32u);
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

TEST_F(CardVaultTest, UnknownAndMalformedTokens) {
  EXPECT_EQ(vault_->Get("tok_aaaaaaaaaaaaaaaaaaaaaaaaaa").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(vault_->Get("not a token").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(vault_->Reveal("../../etc/passwd").status().code(), StatusCode::kInvalidArgument);
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
  Result<std::vector<Result<StoreOutcome>>> batch = second->StoreBatch(std::move(inputs));
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
