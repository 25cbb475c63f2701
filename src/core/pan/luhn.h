// The Luhn (mod 10) check used by payment card numbers (ISO/IEC 7812-1).
#ifndef KURA_CORE_PAN_LUHN_H_
#define KURA_CORE_PAN_LUHN_H_

#include <string_view>

namespace kura::pan {

// True iff `digits` is non-empty, all ASCII digits, and passes Luhn.
bool LuhnValid(std::string_view digits);

// The digit ('0'..'9') that, appended to `digits_without_check`, makes the
// whole string pass Luhn. Precondition: all ASCII digits.
char LuhnCheckDigit(std::string_view digits_without_check);

}  // namespace kura::pan

#endif  // KURA_CORE_PAN_LUHN_H_
