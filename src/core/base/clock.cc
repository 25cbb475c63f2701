#include "core/base/clock.h"

#include <chrono>
#include <cstdint>

namespace kura {

int64_t Clock::NowUnixSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(Now().time_since_epoch()).count();
}

int64_t Clock::NowUnixMillis() const { return UnixMillis(Now()); }

int64_t UnixMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint FakeClock::Now() const {
  return TimePoint(std::chrono::milliseconds(millis_.load()));
}

namespace {

void PutDigits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// The year always has four digits: every TimePoint lies in years 0-9999.
static_assert(std::chrono::floor<std::chrono::days>(TimePoint::min()) >=
              std::chrono::sys_days{std::chrono::year{0} / 1 / 1});
static_assert(std::chrono::floor<std::chrono::days>(TimePoint::max()) <=
              std::chrono::sys_days{std::chrono::year{9999} / 12 / 31});

}  // namespace

std::string FormatRfc3339Millis(TimePoint t) {
  // Every audit line carries one of these, formatted under the audit log's
  // lock: <chrono>'s calendar arithmetic and direct digit writes cost a small
  // fraction of gmtime_r + snprintf.
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(t);
  const auto day = std::chrono::floor<std::chrono::days>(ms);
  const auto in_day = static_cast<unsigned>((ms - day).count());
  const std::chrono::year_month_day ymd{day};
  char buf[] = "0000-00-00T00:00:00.000Z";
  PutDigits(buf, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  PutDigits(buf + 5, static_cast<unsigned>(ymd.month()), 2);
  PutDigits(buf + 8, static_cast<unsigned>(ymd.day()), 2);
  PutDigits(buf + 11, in_day / 3'600'000, 2);
  PutDigits(buf + 14, in_day / 60'000 % 60, 2);
  PutDigits(buf + 17, in_day / 1'000 % 60, 2);
  PutDigits(buf + 20, in_day % 1'000, 3);
  return std::string(buf, sizeof buf - 1);
}

}  // namespace kura
