#include "logs/segment/tokens.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kura::logs {
namespace {

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  ForEachWord(text, [&](std::string_view w) { out.emplace_back(w); });
  return out;
}

TEST(TokensTest, SplitsOnNonWordBytesAndLowerCases) {
  EXPECT_EQ(Words("Card revealed: tok_8f3a, BY Alice."),
            (std::vector<std::string>{"card", "revealed", "tok_8f3a", "by", "alice"}));
  EXPECT_EQ(Words("10.0.0.5:51234"), (std::vector<std::string>{"10", "0", "0", "5", "51234"}));
  EXPECT_EQ(Words(""), std::vector<std::string>{});
  EXPECT_EQ(Words(" ..-- "), std::vector<std::string>{});
}

TEST(TokensTest, NonAsciiBytesAreWordBytes) {
  EXPECT_EQ(Words("Caf\xc3\xa9 Z\xc3\xbcrich"),
            (std::vector<std::string>{"caf\xc3\xa9", "z\xc3\xbcrich"}));
}

TEST(TokensTest, HashesAreStableAndSeparatedByKind) {
  // The values are part of the stored index format: a change needs a new
  // kSegmentIndexVersion.
  EXPECT_EQ(Hash64("", 0), Hash64("", 0));
  EXPECT_NE(Hash64("alice", 1), Hash64("alice", 2));
  EXPECT_NE(FieldTokenHash(3, "alice"), WordTokenHash("alice"));
  EXPECT_NE(FieldTokenHash(3, "alice"), FieldTokenHash(4, "alice"));
  EXPECT_EQ(FieldTokenHash(3, "alice"), FieldTokenHash(3, std::string("alice")));
  // Cross-checked with an independent Python transcription of MurmurHash64A.
  EXPECT_EQ(Hash64("abcdefghij", 7), 0xa7d70dc4ba282664ULL);
}

}  // namespace
}  // namespace kura::logs
