#include "core/auth/principal.h"

#include <gtest/gtest.h>

namespace kura::auth {
namespace {

TEST(PrincipalTest, HasScopeIsExact) {
  Principal p{"batch", {"cards:write", "cards:read"}, std::string(kMethodApiKey)};
  EXPECT_TRUE(p.HasScope("cards:write"));
  EXPECT_TRUE(p.HasScope("cards:read"));
  EXPECT_FALSE(p.HasScope("cards:reveal"));
  EXPECT_FALSE(p.HasScope("cards"));
  EXPECT_FALSE(p.HasScope(""));
}

TEST(PrincipalTest, ValidScopes) {
  EXPECT_TRUE(IsValidScope("cards:write"));
  EXPECT_TRUE(IsValidScope("a:b"));
  for (const char* bad : {"", "cards", ":write", "cards:", "Cards:write", "cards:write:x",
                          "cards: write", "cards:wr1te", "cards_x:write"}) {
    EXPECT_FALSE(IsValidScope(bad)) << bad;
  }
  EXPECT_FALSE(IsValidScope(std::string(40, 'a') + ":" + std::string(40, 'b')));
}

TEST(PrincipalTest, ValidNames) {
  EXPECT_TRUE(IsValidPrincipalName("batch-job_1.prod"));
  EXPECT_TRUE(IsValidPrincipalName(std::string(64, 'x')));
  EXPECT_FALSE(IsValidPrincipalName(std::string(65, 'x')));
  EXPECT_FALSE(IsValidPrincipalName(""));
  EXPECT_FALSE(IsValidPrincipalName("has space"));
  EXPECT_FALSE(IsValidPrincipalName("slash/name"));
  EXPECT_FALSE(IsValidPrincipalName("quote'"));
}

}  // namespace
}  // namespace kura::auth
