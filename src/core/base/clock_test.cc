#include "core/base/clock.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kura
