#include "logs/record/timestamp.h"

#include <cstdio>

namespace kura::logs {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `pos`.
bool Digits(std::string_view s, size_t pos, size_t n, int64_t* out) {
  if (pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

Status Bad(std::string_view what) {
  return InvalidArgumentError(std::string("timestamp: ") + std::string(what));
}

Result<int64_t> ParseDateAt(std::string_view s) {
  int64_t y = 0, mo = 0, d = 0;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d)) {
    return Bad("expected YYYY-MM-DD");
  }
  if (y < 1970) return Bad("year before 1970");
  if (mo < 1 || mo > 12) return Bad("month out of range");
  if (d < 1 || d > DaysInMonth(y, static_cast<unsigned>(mo))) return Bad("day out of range");
  return DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * kMillisPerDay;
}

}  // namespace

void AppendTimestamp(int64_t ms, std::string* out) {
  int64_t days = ms / kMillisPerDay;
  int64_t rem = ms % kMillisPerDay;
  if (rem < 0) {
    rem += kMillisPerDay;
    days -= 1;
  }
  const Civil c = CivilFromDays(days);
  const int64_t secs = rem / 1000;
  if (c.year < 0 || c.year > 9999) {  // outside the fixed-width form: printf's output
    char buf[40];
    const int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                                static_cast<long long>(c.year), c.month, c.day,
                                static_cast<long long>(secs / 3600),
                                static_cast<long long>(secs / 60 % 60),
                                static_cast<long long>(secs % 60), static_cast<long long>(rem % 1000));
    out->append(buf, static_cast<size_t>(n));
    return;
  }
  char b[24];
  auto put = [&b](size_t at, int64_t v, size_t width) {
    for (size_t i = width; i > 0; --i) {
      b[at + i - 1] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  put(0, c.year, 4);
  b[4] = '-';
  put(5, c.month, 2);
  b[7] = '-';
  put(8, c.day, 2);
  b[10] = 'T';
  put(11, secs / 3600, 2);
  b[13] = ':';
  put(14, secs / 60 % 60, 2);
  b[16] = ':';
  put(17, secs % 60, 2);
  b[19] = '.';
  put(20, rem % 1000, 3);
  b[23] = 'Z';
  out->append(b, sizeof b);
}

std::string FormatTimestamp(int64_t ms) {
  std::string out;
  out.reserve(24);
  AppendTimestamp(ms, &out);
  return out;
}

std::string FormatDate(int64_t ms) { return FormatTimestamp(ms).substr(0, 10); }

Result<int64_t> ParseDate(std::string_view text) {
  if (text.size() != 10) return Bad("expected YYYY-MM-DD");
  return ParseDateAt(text);
}

Result<int64_t> ParseTimestamp(std::string_view s) {
  ASSIGN_OR_RETURN(int64_t day_ms, ParseDateAt(s));
  int64_t h = 0, mi = 0, sec = 0;
  if (s.size() < 19 || (s[10] != 'T' && s[10] != 't') || !Digits(s, 11, 2, &h) ||
      s[13] != ':' || !Digits(s, 14, 2, &mi) || s[16] != ':' || !Digits(s, 17, 2, &sec)) {
    return Bad("expected YYYY-MM-DDTHH:MM:SS");
  }
  if (h > 23 || mi > 59 || sec > 60) return Bad("time of day out of range");
  if (sec == 60) sec = 59;  // a leap second is kept within its minute
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 3) millis = millis * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0 || n > 9) return Bad("fraction must have 1 to 9 digits");
    for (size_t i = n; i < 3; ++i) millis *= 10;
  }
  int64_t offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int64_t oh = 0, om = 0;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return Bad("bad zone offset, expected +HH:MM");
    }
    offset_min = (oh * 60 + om) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return Bad("missing zone (Z or +HH:MM)");
  }
  if (pos != s.size()) return Bad("trailing characters");
  return day_ms + ((h * 60 + mi) * 60 + sec) * 1000 + millis - offset_min * 60'000;
}

}  // namespace kura::logs
