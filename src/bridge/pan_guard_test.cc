#include "bridge/pan_guard.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "bridge/test_util.h"

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
