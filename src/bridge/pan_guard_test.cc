#include "bridge/pan_guard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>

#include "bridge/test_util.h"
#include "core/pan/pan_scanner.h"

namespace kura::bridge {
namespace {

void WriteFile(const std::string& path, const std::string& data) {
  FILE* f = fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  fwrite(data.data(), 1, data.size(), f);
  fclose(f);
}

TEST(PanGuardTest, FindsPansInText) {
  EXPECT_TRUE(ScanTextForPans("rows=3 tokens=tok_abc").clean());
  PanGuardReport r = ScanTextForPans("oops 4111 1111 1111 1111 and 5500-0000-0000-0004");
  EXPECT_EQ(r.matches, 2u);
  EXPECT_EQ(r.first_offset, 5u);
  EXPECT_TRUE(ScanTextForPans("4111111111111112").clean());  // fails Luhn
}

TEST(PanGuardTest, FindsPanAcrossChunkBoundary) {
  testing::TempDir dir;
  for (size_t shift : {0u, 5u, 10u, 16u, 20u}) {
    std::string data(kPanGuardChunkBytes - 10 + shift, 'x');
    data += "4111-1111-1111-1111";
    data += std::string(1000, 'y');
    WriteFile(dir.Sub("a.csv"), data);
    Result<PanGuardReport> r = ScanFileForPans(dir.Sub("a.csv"));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->matches, 1u) << shift;
    EXPECT_EQ(r->first_offset, kPanGuardChunkBytes - 10 + shift);
    EXPECT_EQ(r->bytes_scanned, data.size());
  }
}

TEST(PanGuardTest, PanInsideOverlongSeparatorRunIsFound) {
  // Dashes can belong to a PAN, so a long run of them forces the guard to
  // cut inside it; a PAN straddling that cut must still be found once.
  testing::TempDir dir;
  std::string data(kPanGuardChunkBytes - 10, '-');
  data += " 4111111111111111 ";
  data += std::string(2 * kPanGuardMaxCarry, '-');
  WriteFile(dir.Sub("b.txt"), data);
  Result<PanGuardReport> r = ScanFileForPans(dir.Sub("b.txt"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->matches, 1u);
  EXPECT_EQ(r->first_offset, kPanGuardChunkBytes - 9);
}

// Any split of the stream into pieces gives the report of scanning the
// whole text at once: PANs, plain and grouped, cut anywhere (inside a
// group, right before or after a separator).
TEST(PanGuardTest, StreamingPiecesMatchWholeTextScan) {
  std::mt19937 rng(99);
  const std::string pans[] = {"4111111111111111",  "4111 1111 1111 1111", "5500-0000-0000-0004",
                              "3782 822463 10005", "4111111111111112",    "41111111111111110000"};
  for (int iter = 0; iter < 300; ++iter) {
    std::string text;
    while (text.size() < 3000) {
      switch (rng() % 5) {
        case 0:
          text += pans[rng() % std::size(pans)];
          break;
        case 1:
          text += std::string(1 + rng() % 3, rng() % 2 ? ' ' : '-');
          break;
        case 2:
          text += std::to_string(rng());
          break;
        default:
          text += "row,x;";
      }
    }
    const std::vector<pan::PanMatch> whole = pan::FindPans(text);
    PanStreamScanner scanner;
    for (size_t pos = 0; pos < text.size();) {
      const size_t len = std::min(text.size() - pos, size_t{1} + rng() % 40);
      scanner.Update(std::string_view(text).substr(pos, len));
      pos += len;
    }
    const PanGuardReport r = scanner.Finish();
    ASSERT_EQ(r.matches, whole.size()) << iter;
    if (!whole.empty()) {
      EXPECT_EQ(r.first_offset, whole.front().begin) << iter;
    }
    EXPECT_EQ(r.bytes_scanned, text.size());
  }
}

TEST(PanGuardTest, SeparatorsAndDigitsAtPieceBoundaries) {
  // The PAN's groups arrive one piece at a time, separators alone.
  PanStreamScanner a;
  for (std::string_view piece : {"x 4111", "-", "1111", " ", "1111-1111", " y"}) a.Update(piece);
  PanGuardReport r = a.Finish();
  EXPECT_EQ(r.matches, 1u);
  EXPECT_EQ(r.first_offset, 2u);
  // A piece ending in a separator that then meets a non-digit: no join.
  PanStreamScanner b;
  for (std::string_view piece : {"4111111111111111-", "-", "x"}) b.Update(piece);
  r = b.Finish();
  EXPECT_EQ(r.matches, 1u);
  // A 20-digit run split 16 + 4 must not report its first 16 digits.
  PanStreamScanner c;
  c.Update("id=4111111111111111");
  c.Update("0000;");
  EXPECT_TRUE(c.Finish().clean());
  // Nothing after the last piece: the tail is scanned by Finish.
  PanStreamScanner d;
  d.Update("tail 4111 1111 1111 ");
  d.Update("1111");
  r = d.Finish();
  EXPECT_EQ(r.matches, 1u);
  EXPECT_EQ(r.first_offset, 5u);
}

TEST(PanGuardTest, OverlongRunSplitIntoSmallPiecesStillFindsPan) {
  std::string data(3 * kPanGuardMaxCarry, '-');
  data += "4111111111111111";
  data += std::string(3 * kPanGuardMaxCarry, ' ');
  PanStreamScanner scanner;
  for (size_t pos = 0; pos < data.size(); pos += 1000) {
    scanner.Update(std::string_view(data).substr(pos, 1000));
  }
  const PanGuardReport r = scanner.Finish();
  EXPECT_GE(r.matches, 1u);  // an overlap may count it twice (the safe side)
  EXPECT_EQ(r.first_offset, 3 * kPanGuardMaxCarry);
}

TEST(PanGuardTest, CleanLargeFileAndMissingFile) {
  testing::TempDir dir;
  std::string line = "tok_0123456789abcdef,411111******1111,1111\n";
  std::string data;
  while (data.size() < 3 * kPanGuardChunkBytes) data += line;
  WriteFile(dir.Sub("c.csv"), data);
  Result<PanGuardReport> r = ScanFileForPans(dir.Sub("c.csv"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->clean());
  EXPECT_EQ(ScanFileForPans(dir.Sub("missing")).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace kura::bridge
