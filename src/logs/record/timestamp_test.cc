#include "logs/record/timestamp.h"

#include <gtest/gtest.h>

namespace kura::logs {
namespace {

TEST(TimestampTest, FormatsEpochAndKnownDates) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTimestamp(1'767'225'600'000), "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTimestamp(1'709'164'800'123), "2024-02-29T00:00:00.123Z");
  EXPECT_EQ(FormatDate(1'767'225'599'999), "2025-12-31");
}

TEST(TimestampTest, RoundTripsEveryDayOfSeveralYears) {
  for (int64_t ms = 1'700'000'000'000; ms < 1'900'000'000'000; ms += 86'399'999) {
    auto parsed = ParseTimestamp(FormatTimestamp(ms));
    ASSERT_TRUE(parsed.ok()) << FormatTimestamp(ms);
    EXPECT_EQ(*parsed, ms);
  }
}

TEST(TimestampTest, ParsesFractionsAndOffsets) {
  EXPECT_EQ(*ParseTimestamp("2026-01-01T00:00:00Z"), 1'767'225'600'000);
  EXPECT_EQ(*ParseTimestamp("2026-01-01T00:00:00.5Z"), 1'767'225'600'500);
  EXPECT_EQ(*ParseTimestamp("2026-01-01T00:00:00.123456789Z"), 1'767'225'600'123);
  EXPECT_EQ(*ParseTimestamp("2026-01-01T01:30:00+01:30"), 1'767'225'600'000);
  EXPECT_EQ(*ParseTimestamp("2025-12-31T19:00:00-05:00"), 1'767'225'600'000);
}

TEST(TimestampTest, RejectsMalformedWithClearErrors) {
  for (const char* bad : {"", "2026-01-01", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                          "2026-01-01T24:00:00Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00.Z",
                          "2026-01-01T00:00:00Zjunk", "1969-12-31T00:00:00Z",
                          "2026-01-01T00:00:00+1:00", "2026-01-01 00:00:00Z"}) {
    auto r = ParseTimestamp(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("timestamp:"), std::string::npos);
  }
}

TEST(TimestampTest, ParsesDates) {
  EXPECT_EQ(*ParseDate("2026-01-01"), 1'767'225'600'000);
  EXPECT_FALSE(ParseDate("2026-1-01").ok());
  EXPECT_FALSE(ParseDate("2026-01-01T").ok());
}

}  // namespace
}  // namespace kura::logs
