#include "core/pan/luhn.h"

namespace kura::pan {
namespace {

// Sum of the Luhn-doubled digits of `digits`, where the right-most digit of
// `digits` is doubled iff `double_rightmost`.
int LuhnSum(std::string_view digits, bool double_rightmost) {
  int sum = 0;
  bool dbl = double_rightmost;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum;
}

}  // namespace

bool LuhnValid(std::string_view digits) {
  if (digits.empty()) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  return LuhnSum(digits, false) % 10 == 0;
}

char LuhnCheckDigit(std::string_view digits_without_check) {
  const int sum = LuhnSum(digits_without_check, true);
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

}  // namespace kura::pan
