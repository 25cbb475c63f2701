#include "core/base/clock.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

namespace kura {
namespace {

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(1'000);
  EXPECT_EQ(clock.NowUnixMillis(), 1'000);
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ(clock.NowUnixMillis(), 3'000);
  EXPECT_EQ(clock.NowUnixSeconds(), 3);
}

TEST(ClockTest, FormatsRfc3339WithMillis) {
  FakeClock clock(1'767'225'600'123);
  EXPECT_EQ(FormatRfc3339Millis(clock.Now()), "2026-01-01T00:00:00.123Z");
  EXPECT_EQ(FormatRfc3339Millis(TimePoint(std::chrono::milliseconds(-1))),
            "1969-12-31T23:59:59.999Z");
}

// The formatter against gmtime_r + snprintf over instants that stress the
// calendar: leap days, century years, the ends of days and years, the edges
// of what a TimePoint holds (1677-2262), and a sweep of pseudo-random
// instants.
TEST(ClockTest, FormatRfc3339MillisAgreesWithGmtime) {
  auto libc = [](int64_t ms) {
    int64_t secs = ms / 1000;
    int64_t rem = ms % 1000;
    if (rem < 0) {
      rem += 1000;
      secs -= 1;
    }
    const std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(rem));
    return std::string(buf);
  };
  std::vector<int64_t> instants = {
      0, -1, 1, 999, 1000, -999, -1000, -1001,
      951'782'400'000,       // 2000-02-29 (a leap century)
      951'868'799'999,       // 2000-02-29T23:59:59.999
      4'107'542'399'999,     // 2100-02-28T23:59:59.999 (no leap day)
      1'767'225'599'999,     // 2025-12-31T23:59:59.999
      -9'223'372'036'854,    // 1677-09-21T00:12:43.146, near TimePoint::min()
      9'223'372'036'853,     // 2262-04-11T23:47:16.853, near TimePoint::max()
  };
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 20'000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    // Roughly years 1900-2200, at millisecond resolution.
    instants.push_back(static_cast<int64_t>(x % 9'467'280'000'000ULL) - 2'208'988'800'000LL);
  }
  for (int64_t ms : instants) {
    EXPECT_EQ(FormatRfc3339Millis(TimePoint(std::chrono::milliseconds(ms))), libc(ms)) << ms;
  }
  EXPECT_EQ(FormatRfc3339Millis(TimePoint(std::chrono::milliseconds(951'868'799'999))),
            "2000-02-29T23:59:59.999Z");
}

}  // namespace
}  // namespace kura
