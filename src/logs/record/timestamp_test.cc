#include "logs/record/timestamp.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

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

TEST(TimestampTest, AppendTimestampMatchesPrintfFormatting) {
  // The hand-written formatter against the printf form it replaced, across
  // ordinary instants, leap days, ms fields, and years outside 0000-9999.
  auto printf_form = [](int64_t ms) {
    int64_t days = ms / kMillisPerDay, rem = ms % kMillisPerDay;
    if (rem < 0) {
      rem += kMillisPerDay;
      days -= 1;
    }
    // Reference civil-from-days (H. Hinnant), independent of timestamp.cc.
    int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const int64_t m = mp < 10 ? mp + 3 : mp - 9;
    const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    const int64_t secs = rem / 1000;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
                  static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                  static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                  static_cast<long long>(secs % 60), static_cast<long long>(rem % 1000));
    return std::string(buf);
  };
  const int64_t samples[] = {0,
                             1,
                             999,
                             1'767'225'599'999,  // 2025-12-31T23:59:59.999Z
                             951'782'400'000,    // 2000-02-29
                             253'402'300'799'999,  // 9999-12-31T23:59:59.999Z
                             253'402'300'800'000,  // year 10000 (printf widens)
                             -1,                   // 1969
                             -62'167'219'200'001};  // year -1
  for (int64_t ms : samples) {
    std::string out = "x";
    AppendTimestamp(ms, &out);
    EXPECT_EQ(out, "x" + printf_form(ms)) << ms;
    EXPECT_EQ(FormatTimestamp(ms), printf_form(ms)) << ms;
  }
  for (int64_t ms = 1'700'000'000'000; ms < 1'800'000'000'000; ms += 7'777'777'777) {
    EXPECT_EQ(FormatTimestamp(ms), printf_form(ms)) << ms;
  }
}

}  // namespace
}  // namespace kura::logs
