// PanScanner: finds and masks primary account numbers (card numbers) in
// free text. Used as the last line of defence before anything is logged
// (core/audit's PAN guard) and by the scan part to find stray PANs.
//
// What counts as a PAN-like match:
//   * 13 to 19 ASCII digits in total,
//   * written as one digit run or as several runs ("groups") joined by
//     exactly one ' ' or one '-' each; separators may be mixed
//     ("4111-1111 1111-1111" matches: for a guard, over-matching is the safe
//     side),
//   * every group is a whole digit run: a match never starts or ends inside
//     a longer run of digits ("41111111111111111111", 20 digits, is not
//     matched, nor is any 16-digit slice of it),
//   * the digits pass the Luhn check (core/pan/luhn.h).
// Letters and other characters around a match do not matter
// ("pan=4111111111111111;" matches).
//
// When several runs are chained ("2026 4111 1111 1111 1111" or two PANs
// separated by one space), the scanner tries every window of whole groups:
// from the left-most group, the longest window of 13..19 digits that passes
// Luhn wins, then scanning continues after it. Matches never overlap.
//
// Cost: one pass over the text, 64 bytes at a time: portable 8-byte SWAR
// arithmetic builds a bitmap of digits and one of the places where a match
// can begin (the first byte of a stretch of 13 digits, a separator between
// two digits, a block's last byte if it may continue), so text and short
// digit runs (ids, dates, amounts) cost well under a cycle a byte and are
// never visited one by one. Candidates go through the exact run/chain rules
// above: a lone run is Luhn-checked once, and only chains of several groups
// are collected (per group at most 19 window extensions, each O(1): Luhn sums
// are kept incrementally). Memory: the groups of the current chain.
// bridge/pan_guard.h streams files through this scanner.
//
// Thread safety: all functions are pure.
#ifndef KURA_CORE_PAN_PAN_SCANNER_H_
#define KURA_CORE_PAN_PAN_SCANNER_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kura::pan {

inline constexpr size_t kMinPanDigits = 13;
inline constexpr size_t kMaxPanDigits = 19;

// One PAN-like match: text[begin, end) holds `digit_count` digits plus any
// separators between them. `begin` is the first digit, `end` is one past the
// last digit.
struct PanMatch {
  size_t begin = 0;
  size_t end = 0;
  size_t digit_count = 0;

  friend bool operator==(const PanMatch&, const PanMatch&) = default;
};

// All matches in `text`, in order, non-overlapping.
std::vector<PanMatch> FindPans(std::string_view text);

// Calls `visit` for each match of FindPans(text), in order, without
// collecting them; stops early when `visit` returns false.
void ForEachPan(std::string_view text, const std::function<bool(const PanMatch&)>& visit);

// True iff FindPans(text) would be non-empty (stops at the first match).
bool ContainsPan(std::string_view text);

// `text` with every match replaced by MaskPan(its digits); separators inside
// a match are dropped ("4111 1111 1111 1111" -> "411111******1111"). If
// `count` is not null it receives the number of matches replaced.
std::string MaskPans(std::string_view text, size_t* count = nullptr);

// Masks one PAN given as digits. Shows the last 4 and at most the first 6
// characters, and always hides at least 6, so short PANs show fewer leading
// digits:
//   19 digits: 6 + 9 masked + 4     16 digits: 6 + 6 masked + 4
//   15 digits: 5 + 6 masked + 4     13 digits: 3 + 6 masked + 4
// Rationale: PCI DSS allows at most first 6 / last 4; with fewer than 6
// hidden digits the Luhn check leaves few enough candidates to guess.
// Inputs shorter than 10 characters are masked completely. Non-digit
// characters are treated like digits (callers pass digits only).
std::string MaskPan(std::string_view digits);

}  // namespace kura::pan

#endif  // KURA_CORE_PAN_PAN_SCANNER_H_
