#include "vault/card_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace kura::vault {
namespace {

CardRecord Record(int64_t id, const std::string& sealed) {
  CardRecord r;
  r.id = id;
  r.token = "tok_" + std::to_string(id);
  r.sealed = sealed;
  return r;
}

TEST(CardCacheTest, HitsUnderTheGenerationItWasFilledIn) {
  CardCache cache(16);
  EXPECT_EQ(cache.Find(1, 2), nullptr);
  cache.Insert(Record(1, "a"), 2);
  auto hit = cache.Find(1, 2);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->sealed, "a");
  EXPECT_EQ(hit->token, "tok_1");
  EXPECT_EQ(cache.Find(2, 2), nullptr);
}

TEST(CardCacheTest, NewerGenerationEmptiesTheCache) {
  CardCache cache(16);
  cache.Insert(Record(1, "a"), 2);
  cache.Insert(Record(2, "b"), 2);
  EXPECT_EQ(cache.Find(1, 4), nullptr);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Find(2, 2), nullptr);  // gone for good
  // A reader still holding the old generation cannot put old data back.
  cache.Insert(Record(1, "a"), 2);
  EXPECT_EQ(cache.size(), 0u);
  cache.Insert(Record(1, "a2"), 4);
  auto hit = cache.Find(1, 4);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->sealed, "a2");
}

TEST(CardCacheTest, InsertUnderANewerGenerationReplacesEverything) {
  CardCache cache(16);
  cache.Insert(Record(1, "a"), 2);
  cache.Insert(Record(2, "b"), 6);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Find(1, 6), nullptr);
  auto hit = cache.Find(2, 6);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->sealed, "b");
}

TEST(CardCacheTest, OlderGenerationMissesWithoutEmptying) {
  CardCache cache(16);
  cache.Insert(Record(1, "a"), 4);
  EXPECT_EQ(cache.Find(1, 2), nullptr);
  ASSERT_NE(cache.Find(1, 4), nullptr);
}

TEST(CardCacheTest, KeepsAtMostItsCapacity) {
  CardCache cache(2);
  cache.Insert(Record(1, "a"), 0);
  cache.Insert(Record(2, "b"), 0);
  cache.Insert(Record(2, "b2"), 0);  // replacing does not evict
  EXPECT_EQ(cache.size(), 2u);
  auto hit = cache.Find(2, 0);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->sealed, "b2");
  cache.Insert(Record(3, "c"), 0);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_NE(cache.Find(3, 0), nullptr);

  CardCache off(0);
  off.Insert(Record(1, "a"), 0);
  EXPECT_EQ(off.size(), 0u);
  EXPECT_EQ(off.Find(1, 0), nullptr);
}

TEST(CardCacheTest, InvalidateDropsEverythingAndRefusesOlderReads) {
  CardCache cache(16);
  cache.Insert(Record(1, "a"), 2);
  cache.Invalidate(4);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Find(1, 2), nullptr);
  // A reader that read under 2 (before the change) comes back late.
  cache.Insert(Record(1, "a"), 2);
  EXPECT_EQ(cache.size(), 0u);
  cache.Insert(Record(1, "a2"), 4);
  EXPECT_NE(cache.Find(1, 4), nullptr);
  cache.Invalidate(2);  // never moves the generation back
  EXPECT_EQ(cache.size(), 0u);
  cache.Insert(Record(1, "a"), 2);
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace kura::vault
