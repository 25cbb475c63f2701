#include "vault/card.h"

#include <algorithm>
#include <chrono>

#include "core/pan/luhn.h"

namespace kura::vault {
namespace {

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The leading `n` digits as an integer, or -1 if `pan` is too short or not
// digits.
int Prefix(std::string_view pan, size_t n) {
  if (pan.size() < n) return -1;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (pan[i] < '0' || pan[i] > '9') return -1;
    v = v * 10 + (pan[i] - '0');
  }
  return v;
}

bool InRange(int v, int lo, int hi) { return v >= lo && v <= hi; }

// Months since year 0, so month arithmetic is plain integer arithmetic.
int MonthIndex(int year, int month) { return year * 12 + (month - 1); }

int MonthIndexOf(TimePoint t) {
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  return MonthIndex(static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())));
}

}  // namespace

Status CheckPan(std::string_view input) {
  if (!AllDigits(input)) return InvalidArgumentError("pan must contain only digits");
  if (input.size() < kMinPanLength || input.size() > kMaxPanLength) {
    return InvalidArgumentError("pan must be 13 to 19 digits");
  }
  if (!pan::LuhnValid(input)) return InvalidArgumentError("pan fails the Luhn check");
  return OkStatus();
}

std::string_view BrandName(Brand brand) {
  switch (brand) {
    case Brand::kVisa:
      return "visa";
    case Brand::kMastercard:
      return "mastercard";
    case Brand::kAmex:
      return "amex";
    case Brand::kDiscover:
      return "discover";
    case Brand::kJcb:
      return "jcb";
    case Brand::kDinersClub:
      return "diners";
    case Brand::kUnionPay:
      return "unionpay";
    case Brand::kUnknown:
      break;
  }
  return "unknown";
}

Brand DetectBrand(std::string_view pan) {
  const int p1 = Prefix(pan, 1);
  const int p2 = Prefix(pan, 2);
  const int p3 = Prefix(pan, 3);
  const int p4 = Prefix(pan, 4);
  if (p1 == 4) return Brand::kVisa;
  if (InRange(p2, 51, 55) || InRange(p4, 2221, 2720)) return Brand::kMastercard;
  if (p2 == 34 || p2 == 37) return Brand::kAmex;
  if (p4 == 6011 || InRange(p3, 644, 649) || p2 == 65) return Brand::kDiscover;
  if (InRange(p4, 3528, 3589)) return Brand::kJcb;
  if (InRange(p3, 300, 305) || p2 == 36 || p2 == 38 || p2 == 39) return Brand::kDinersClub;
  if (p2 == 62) return Brand::kUnionPay;
  return Brand::kUnknown;
}

Status ValidateExpiry(int month, int year, const Clock& clock) {
  return ValidateExpiry(month, year, clock.Now());
}

Status ValidateExpiry(int month, int year, TimePoint now) {
  if (month < 1 || month > 12) return InvalidArgumentError("expiry month must be 1 to 12");
  if (year < 2000 || year > 2099) {
    return InvalidArgumentError("expiry year must be a four-digit year from 2000 to 2099");
  }
  const int now_index = MonthIndexOf(now);
  const int card_index = MonthIndex(year, month);
  if (card_index < now_index) return InvalidArgumentError("card is expired");
  if (card_index > now_index + 12 * kMaxExpiryYearsAhead) {
    return InvalidArgumentError("card expiry is too far in the future");
  }
  return OkStatus();
}

TimePoint ExpiryEnd(int month, int year) {
  const std::chrono::year_month first{std::chrono::year{year},
                                      std::chrono::month{static_cast<unsigned>(month)}};
  const std::chrono::year_month next = first + std::chrono::months{1};
  return std::chrono::sys_days{next / std::chrono::day{1}};
}

bool CardExpiredBefore(int month, int year, TimePoint t) { return ExpiryEnd(month, year) <= t; }

std::string MaskPan(std::string_view pan) {
  std::string out(pan.size(), '*');
  if (pan.size() < kMinPanLength) return out;
  const size_t trailing = std::min<size_t>(4, pan.size() - kMinMaskedDigits);
  const size_t leading = std::min<size_t>(6, pan.size() - trailing - kMinMaskedDigits);
  std::copy_n(pan.begin(), leading, out.begin());
  std::copy_n(pan.end() - static_cast<std::ptrdiff_t>(trailing), trailing,
              out.end() - static_cast<std::ptrdiff_t>(trailing));
  return out;
}

std::string Bin(std::string_view pan, int bin_length) {
  if (pan.size() < kMinPanLength) return "";
  const size_t n = (bin_length == 8 && pan.size() >= 16) ? 8 : 6;
  return std::string(pan.substr(0, n));
}

std::string Last4(std::string_view pan) {
  if (pan.size() < kMinPanLength) return "";
  return std::string(pan.substr(pan.size() - 4));
}

}  // namespace kura::vault
