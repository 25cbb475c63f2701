#include "core/pan/pan_scanner.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/pan/luhn.h"

namespace kura::pan {
namespace {

using Matches = std::vector<PanMatch>;

// A Luhn-valid number of `len` digits starting with `prefix`.
std::string MakePan(const std::string& prefix, size_t len) {
  std::string s = prefix;
  while (s.size() < len - 1) s += '0';
  return s + LuhnCheckDigit(s);
}

TEST(FindPansTest, PlainSixteenDigits) {
  EXPECT_EQ(FindPans("4111111111111111"), (Matches{{0, 16, 16}}));
  EXPECT_EQ(FindPans("5555555555554444"), (Matches{{0, 16, 16}}));
}

TEST(FindPansTest, LuhnFailureIsNotMatched) {
  EXPECT_TRUE(FindPans("4111111111111112").empty());
  EXPECT_TRUE(FindPans("4111 1111 1111 1112").empty());
}

TEST(FindPansTest, TooLongRunsAreNotMatchedNorSliced) {
  // A 20-digit run: no 13..19-digit slice of it may match.
  const std::string run20 = "4111111111111111" + std::string("0000");
  ASSERT_EQ(run20.size(), 20u);
  EXPECT_TRUE(FindPans(run20).empty());
  const std::string run20_valid = MakePan("4", 20);  // Luhn-valid but 20 digits
  EXPECT_TRUE(FindPans(run20_valid).empty());
  // A valid PAN embedded in a longer run is not a match either.
  const std::string embedded = "9" + std::string("4111111111111111");
  ASSERT_FALSE(LuhnValid(embedded));
  EXPECT_TRUE(FindPans("id=" + embedded + ";").empty());
  EXPECT_TRUE(FindPans("12" + std::string("4111111111111111") + "34").empty());
}

TEST(FindPansTest, TooShortIsNotMatched) {
  const std::string twelve = MakePan("4", 12);
  ASSERT_TRUE(LuhnValid(twelve));
  EXPECT_TRUE(FindPans(twelve).empty());
  EXPECT_TRUE(FindPans("").empty());
  EXPECT_TRUE(FindPans("no digits here").empty());
}

TEST(FindPansTest, ThirteenAndNineteenDigits) {
  const std::string thirteen = "4222222222222";  // Visa 13-digit test number
  ASSERT_TRUE(LuhnValid(thirteen));
  EXPECT_EQ(FindPans(thirteen), (Matches{{0, 13, 13}}));
  const std::string nineteen = MakePan("6011", 19);
  EXPECT_EQ(FindPans("x" + nineteen + "x"), (Matches{{1, 20, 19}}));
  const std::string grouped19 = nineteen.substr(0, 4) + " " + nineteen.substr(4, 4) + " " +
                                nineteen.substr(8, 4) + " " + nineteen.substr(12, 4) + " " +
                                nineteen.substr(16);
  EXPECT_EQ(FindPans(grouped19), (Matches{{0, 23, 19}}));
}

TEST(FindPansTest, SpacesDashesAndMixedSeparators) {
  EXPECT_EQ(FindPans("4111 1111 1111 1111"), (Matches{{0, 19, 16}}));
  EXPECT_EQ(FindPans("4111-1111-1111-1111"), (Matches{{0, 19, 16}}));
  EXPECT_EQ(FindPans("4111-1111 1111-1111"), (Matches{{0, 19, 16}}));
  EXPECT_EQ(FindPans("41-11111111111-111"), (Matches{{0, 18, 16}}));
}

TEST(FindPansTest, DoubledOrOtherSeparatorsBreakTheChain) {
  EXPECT_TRUE(FindPans("4111  1111 1111 1111").empty());
  EXPECT_TRUE(FindPans("4111--1111-1111-1111").empty());
  EXPECT_TRUE(FindPans("4111.1111.1111.1111").empty());
  EXPECT_TRUE(FindPans("4111_1111_1111_1111").empty());
  EXPECT_TRUE(FindPans("4111 -1111 1111 1111").empty());
}

TEST(FindPansTest, AmexSpacing) {
  EXPECT_EQ(FindPans("3782 822463 10005"), (Matches{{0, 17, 15}}));
  EXPECT_EQ(FindPans("amex:3782-822463-10005."), (Matches{{5, 22, 15}}));
}

TEST(FindPansTest, AdjacentTextDoesNotMatter) {
  EXPECT_EQ(FindPans("card4111111111111111end"), (Matches{{4, 20, 16}}));
  EXPECT_EQ(FindPans("pan=\"4111111111111111\","), (Matches{{5, 21, 16}}));
  EXPECT_EQ(FindPans("line one\n4111111111111111\nline"), (Matches{{9, 25, 16}}));
}

TEST(FindPansTest, ChainsAreSplitAtGroupBoundaries) {
  // Two PANs separated by one space form one chain of 32 digits.
  EXPECT_EQ(FindPans("4111111111111111 5555555555554444"),
            (Matches{{0, 16, 16}, {17, 33, 16}}));
  // A number in front of a grouped PAN.
  EXPECT_EQ(FindPans("2026 4111 1111 1111 1111"), (Matches{{5, 24, 16}}));
  // A number after it.
  ASSERT_FALSE(LuhnValid("411111111111111143"));
  EXPECT_EQ(FindPans("4111 1111 1111 1111 43"), (Matches{{0, 19, 16}}));
  // ...unless the longer window also passes Luhn: the longest window wins.
  ASSERT_TRUE(LuhnValid("411111111111111142"));
  EXPECT_EQ(FindPans("4111 1111 1111 1111 42"), (Matches{{0, 22, 18}}));
}

TEST(FindPansTest, MultipleMatchesInOrder) {
  const std::string text = "a 4111111111111111 b 3782 822463 10005 c 5555-5555-5555-4444";
  const Matches m = FindPans(text);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(text.substr(m[0].begin, m[0].end - m[0].begin), "4111111111111111");
  EXPECT_EQ(text.substr(m[1].begin, m[1].end - m[1].begin), "3782 822463 10005");
  EXPECT_EQ(text.substr(m[2].begin, m[2].end - m[2].begin), "5555-5555-5555-4444");
}

TEST(ContainsPanTest, AgreesWithFindPans) {
  EXPECT_TRUE(ContainsPan("x 4111-1111-1111-1111 y"));
  EXPECT_FALSE(ContainsPan("x 4111-1111-1111-1112 y"));
  EXPECT_FALSE(ContainsPan(""));
}

TEST(MaskPanTest, KeepsAtMostFirstSixAndLastFour) {
  EXPECT_EQ(MaskPan("4111111111111111"), "411111******1111");
  EXPECT_EQ(MaskPan("6011000000000000004"), "601100*********0004");
  EXPECT_EQ(MaskPan("378282246310005"), "37828******0005");
  EXPECT_EQ(MaskPan("4222222222222"), "422******2222");
  EXPECT_EQ(MaskPan("1234567890"), "******7890");
  EXPECT_EQ(MaskPan("123456789"), "*********");
  EXPECT_EQ(MaskPan(""), "");
}

TEST(MaskPansTest, ReplacesEveryMatchAndCounts) {
  size_t n = 99;
  EXPECT_EQ(MaskPans("card 4111 1111 1111 1111 ok", &n), "card 411111******1111 ok");
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(MaskPans("4111111111111111,3782-822463-10005", &n),
            "411111******1111,37828******0005");
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(MaskPans("nothing 4111111111111112 here", &n), "nothing 4111111111111112 here");
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(MaskPans("4111111111111111"), "411111******1111");  // count optional
}

// Invariants on random text: every match is 13..19 digits, Luhn-valid, made
// of whole digit runs joined by single separators; every plain valid run of
// 13..19 digits is found; the masked text keeps no matched digits.
TEST(FindPansTest, RandomTextInvariants) {
  std::mt19937 rng(12345);
  const std::string alphabet = "0123456789012345678901234567890123456789 -a";
  for (int iter = 0; iter < 2000; ++iter) {
    std::string text;
    const int len = static_cast<int>(rng() % 80);
    for (int i = 0; i < len; ++i) text += alphabet[rng() % alphabet.size()];
    if (rng() % 2 == 0) {
      text.insert(rng() % (text.size() + 1), " " + MakePan(std::to_string(rng() % 9 + 1),
                                                           13 + rng() % 7) + " ");
    }
    const Matches matches = FindPans(text);
    size_t prev_end = 0;
    for (const PanMatch& m : matches) {
      ASSERT_GE(m.begin, prev_end);
      ASSERT_LT(m.begin, m.end);
      prev_end = m.end;
      std::string digits;
      for (size_t k = m.begin; k < m.end; ++k) {
        const char c = text[k];
        if (c >= '0' && c <= '9') {
          digits += c;
        } else {
          ASSERT_TRUE(c == ' ' || c == '-') << text;
          ASSERT_TRUE(text[k - 1] >= '0' && text[k - 1] <= '9') << text;
          ASSERT_TRUE(text[k + 1] >= '0' && text[k + 1] <= '9') << text;
        }
      }
      EXPECT_EQ(digits.size(), m.digit_count);
      EXPECT_GE(m.digit_count, kMinPanDigits);
      EXPECT_LE(m.digit_count, kMaxPanDigits);
      EXPECT_TRUE(LuhnValid(digits)) << text;
      if (m.begin > 0) {
        EXPECT_FALSE(text[m.begin - 1] >= '0' && text[m.begin - 1] <= '9');
      }
      if (m.end < text.size()) {
        EXPECT_FALSE(text[m.end] >= '0' && text[m.end] <= '9');
      }
    }
    // Plain runs bounded by non-separators must be found.
    for (size_t i = 0; i < text.size();) {
      if (!(text[i] >= '0' && text[i] <= '9')) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
      const std::string run = text.substr(i, j - i);
      if (run.size() >= kMinPanDigits && run.size() <= kMaxPanDigits && LuhnValid(run)) {
        bool found = false;
        for (const PanMatch& m : matches) found |= m.begin <= i && j <= m.end;
        EXPECT_TRUE(found) << text;
      }
      i = j;
    }
    size_t count = 0;
    const std::string masked = MaskPans(text, &count);
    EXPECT_EQ(count, matches.size());
    size_t dropped_separators = 0;
    for (const PanMatch& m : matches) dropped_separators += m.end - m.begin - m.digit_count;
    EXPECT_EQ(masked.size(), text.size() - dropped_separators);
    if (!matches.empty()) {
      EXPECT_NE(masked.find('*'), std::string::npos);
    }
    EXPECT_EQ(ContainsPan(text), !matches.empty());
  }
}

// The scanner finds digit runs 64 bytes at a time; this is the plain
// byte-at-a-time definition it must agree with exactly, written out
// independently (chains of whole runs joined by one ' ' or '-'; from the
// left-most group the longest window of 13..19 digits passing Luhn wins).
Matches ReferenceFindPans(const std::string& t) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  Matches out;
  size_t i = 0;
  while (i < t.size()) {
    if (!digit(t[i])) {
      ++i;
      continue;
    }
    std::vector<std::pair<size_t, size_t>> groups;
    for (;;) {
      const size_t b = i;
      while (i < t.size() && digit(t[i])) ++i;
      groups.emplace_back(b, i);
      if (i + 1 < t.size() && (t[i] == ' ' || t[i] == '-') && digit(t[i + 1])) {
        ++i;
        continue;
      }
      break;
    }
    size_t g = 0;
    while (g < groups.size()) {
      std::string digits;
      size_t best = groups.size();
      size_t best_digits = 0;
      for (size_t k = g; k < groups.size(); ++k) {
        digits += t.substr(groups[k].first, groups[k].second - groups[k].first);
        if (digits.size() > kMaxPanDigits) break;
        if (digits.size() >= kMinPanDigits && LuhnValid(digits)) {
          best = k;
          best_digits = digits.size();
        }
      }
      if (best == groups.size()) {
        ++g;
        continue;
      }
      out.push_back({groups[g].first, groups[best].second, best_digits});
      g = best + 1;
    }
  }
  return out;
}

TEST(FindPansTest, AgreesWithByteWiseReferenceAcrossBlockBoundaries) {
  std::mt19937 rng(777);
  // Alphabets from digit-dense to sparse, with bytes >= 0x80 and bytes just
  // outside '0'..'9' ('/', ':') that a wrong digit test would accept.
  const std::vector<std::string> alphabets = {
      "0123456789", "0123456789 -", "01234567890123456789 -a/:", "ab cd-\n,;x9",
      "0123456789012345678901234567890123456789 ", "000000000000000000000000000000-",
      std::string("0123456789\x80\xb0\xb9\xff/:") + '\0'};
  for (int iter = 0; iter < 20000; ++iter) {
    const std::string& alphabet = alphabets[iter % alphabets.size()];
    std::string text;
    const size_t len = rng() % 700;
    for (size_t i = 0; i < len; ++i) text += alphabet[rng() % alphabet.size()];
    // Plant PANs (plain or grouped) at random places, often straddling a
    // 64-byte block boundary.
    for (int k = static_cast<int>(rng() % 4); k > 0; --k) {
      std::string pan = MakePan(std::to_string(rng() % 9 + 1), 13 + rng() % 7);
      if (rng() % 3 == 0) {
        for (size_t at = 4; at < pan.size(); at += 5) pan.insert(at, rng() % 2 ? " " : "-");
      }
      const size_t at = rng() % 2 ? (64 * (1 + rng() % 5) - rng() % 20) : rng() % (text.size() + 1);
      text.insert(std::min(at, text.size()), " " + pan + " ");
    }
    ASSERT_EQ(FindPans(text), ReferenceFindPans(text)) << iter;
  }
}

TEST(FindPansTest, RunsEndingExactlyAtBlockAndTextEnds) {
  const std::string pan = "4111111111111111";
  for (size_t pad = 0; pad < 140; ++pad) {
    const std::string lead(pad, 'x');
    EXPECT_EQ(FindPans(lead + pan), (Matches{{pad, pad + 16, 16}})) << pad;
    EXPECT_EQ(FindPans(lead + pan + "x"), (Matches{{pad, pad + 16, 16}})) << pad;
    EXPECT_EQ(FindPans(lead + "4111 1111 1111 1111"), (Matches{{pad, pad + 19, 16}})) << pad;
    // A run of 20 digits straddling a block boundary is never sliced.
    EXPECT_TRUE(FindPans(lead + pan + "0000").empty()) << pad;
    // A separator as the very last byte does not join anything.
    EXPECT_EQ(FindPans(lead + pan + "-"), (Matches{{pad, pad + 16, 16}})) << pad;
  }
  // A digit run longer than several blocks.
  EXPECT_TRUE(FindPans(std::string(1000, '4')).empty());
  EXPECT_EQ(FindPans(std::string(1000, '4') + "," + pan), (Matches{{1001, 1017, 16}}));
}

TEST(ForEachPanTest, VisitsInOrderAndStops) {
  const std::string text = "4111111111111111 x 5555555555554444 x 4222222222222";
  Matches seen;
  ForEachPan(text, [&seen](const PanMatch& m) {
    seen.push_back(m);
    return true;
  });
  EXPECT_EQ(seen, FindPans(text));
  ASSERT_EQ(seen.size(), 3u);
  seen.clear();
  ForEachPan(text, [&seen](const PanMatch& m) {
    seen.push_back(m);
    return seen.size() < 2;
  });
  EXPECT_EQ(seen.size(), 2u);
}

TEST(FindPansTest, LargeInputIsLinear) {
  // 2 MB of single digits joined by spaces: the worst case for chains.
  std::string text;
  for (int i = 0; i < 1'000'000; ++i) text += "7 ";
  // Mostly a smoke test for pathological slowness; a quadratic scan would
  // not finish in the test timeout.
  const Matches m = FindPans(text);
  for (const PanMatch& match : m) EXPECT_GE(match.digit_count, kMinPanDigits);
}

}  // namespace
}  // namespace kura::pan
