// Clock: the only way Kura code reads the time.
//
// Production code receives a Clock& chosen in main() (SystemClock); tests pass
// a FakeClock and move time explicitly, so expiry, retention and cryptoperiod
// logic is tested without sleeping.
//
// Thread safety: all implementations are safe for concurrent use.
#ifndef KURA_CORE_BASE_CLOCK_H_
#define KURA_CORE_BASE_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace kura {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // Current wall-clock time (UTC).
  virtual TimePoint Now() const = 0;
  // Seconds since the Unix epoch.
  int64_t NowUnixSeconds() const;
  // Milliseconds since the Unix epoch.
  int64_t NowUnixMillis() const;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

// A clock that only moves when told to. Safe for concurrent use.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t unix_millis = 1'767'225'600'000)  // 2026-01-01T00:00:00Z
      : millis_(unix_millis) {}
  TimePoint Now() const override;
  void SetUnixMillis(int64_t millis) { millis_.store(millis); }
  void Advance(std::chrono::milliseconds d) { millis_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> millis_;
};

// Milliseconds since the Unix epoch of `t` (a time read once and used for
// several things).
int64_t UnixMillis(TimePoint t);

// "2026-01-01T00:00:00.000Z": RFC 3339 UTC with milliseconds (PCI DSS 10.2.2).
std::string FormatRfc3339Millis(TimePoint t);

}  // namespace kura

#endif  // KURA_CORE_BASE_CLOCK_H_
