#include "core/pan/pan_scanner.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

#include "core/base/secret.h"

namespace kura::pan {
namespace {

constexpr size_t kMaskMinHidden = 6;
constexpr size_t kMaskMaxLeading = 6;
constexpr size_t kMaskTrailing = 4;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSeparator(char c) { return c == ' ' || c == '-'; }

struct Group {
  size_t begin;
  size_t end;
};

// Luhn over a window that grows to the right. Appending a digit flips which
// positions (counted from the right) are doubled, so both parities are kept:
// sums_[p] doubles the digits at even window offsets if p == 0, at odd ones
// if p == 1.
class IncrementalLuhn {
 public:
  void Append(int d) {
    const int dbl = d * 2 > 9 ? d * 2 - 9 : d * 2;
    const bool even_offset = count_ % 2 == 0;
    sums_[0] += even_offset ? dbl : d;
    sums_[1] += even_offset ? d : dbl;
    ++count_;
  }
  // The right-most digit is never doubled: the doubled offsets are those
  // with parity different from (count_ - 1).
  bool Valid() const {
    if (count_ == 0) return false;
    const size_t doubled_parity = (count_ - 1) % 2 == 0 ? 1 : 0;
    return sums_[doubled_parity] % 10 == 0;
  }
  size_t count() const { return count_; }

 private:
  int sums_[2] = {0, 0};
  size_t count_ = 0;
};

// Finds the matches inside one chain of groups; `emit` returns false to stop.
// Returns false if stopped.
template <typename Emit>
bool ScanChain(std::string_view text, const std::vector<Group>& groups, Emit& emit) {
  size_t g = 0;
  while (g < groups.size()) {
    IncrementalLuhn luhn;
    size_t best_last = groups.size();  // none
    for (size_t j = g; j < groups.size(); ++j) {
      const Group& grp = groups[j];
      if (luhn.count() + (grp.end - grp.begin) > kMaxPanDigits) break;
      for (size_t k = grp.begin; k < grp.end; ++k) luhn.Append(text[k] - '0');
      if (luhn.count() >= kMinPanDigits && luhn.Valid()) best_last = j;
    }
    if (best_last == groups.size()) {
      ++g;
      continue;
    }
    size_t digits = 0;
    for (size_t j = g; j <= best_last; ++j) digits += groups[j].end - groups[j].begin;
    if (!emit(PanMatch{groups[g].begin, groups[best_last].end, digits})) return false;
    g = best_last + 1;
  }
  return true;
}

// --- Fast digit search -------------------------------------------------
//
// The scan spends nearly all its time finding digit runs in text that is
// mostly not card numbers, so it works on 64-byte blocks: a 64-bit map with
// one bit per byte that is an ASCII digit, built 8 bytes at a time with
// portable SWAR arithmetic (no intrinsics). Runs are then found with
// count-trailing-zeros instead of a test per byte, and nothing is allocated
// or Luhn-checked for a lone run that cannot be a PAN.

constexpr size_t kBlockBytes = 64;
constexpr uint64_t kLowBytes = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

inline uint64_t Load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}

// Bit 7 of byte k is set iff byte k of `w` is '0'..'9'. Exact per byte: the
// additions work on 7-bit values and cannot carry into the next byte.
inline uint64_t DigitHighBits(uint64_t w) {
  const uint64_t low7 = w & ~kHighBits;
  const uint64_t at_least_0 = low7 + kLowBytes * (0x80 - '0');
  const uint64_t above_9 = low7 + kLowBytes * (0x80 - '9' - 1);
  return at_least_0 & ~above_9 & ~w & kHighBits;
}

// Gathers the eight bit-7 flags of `high` (nothing else set) into bits 0..7,
// byte k to bit k. The multiplier's terms never meet, so nothing carries.
inline uint64_t GatherHighBits(uint64_t high) { return (high * 0x0002040810204081ULL) >> 56; }

// Bit 7 of byte k is set iff byte k of `w` equals `c` (exact per byte).
inline uint64_t ByteEqHighBits(uint64_t w, uint8_t c) {
  const uint64_t x = w ^ (kLowBytes * c);  // zero where equal
  const uint64_t low_nonzero = (x & ~kHighBits) + ~kHighBits;
  return ~(low_nonzero | x) & kHighBits;
}

// The maps of text[base, base + 64), bit k for text[base + k]; bytes past
// the end count as neither digit nor separator.
struct BlockMaps {
  uint64_t digits = 0;
  // Where a match can begin: the first byte of every stretch of 13 digits,
  // every separator between two digits, and a digit or separator in the
  // last byte (it may continue in the next block). Lone runs shorter than
  // 13 digits never show up here, so they cost nothing.
  uint64_t interesting = 0;
};

BlockMaps MapBlock(std::string_view text, size_t base) {
  const char* p = text.data() + base;
  char tail[kBlockBytes];
  if (text.size() - base < kBlockBytes) {
    std::memset(tail, 0, sizeof tail);
    std::memcpy(tail, p, text.size() - base);
    p = tail;
  }
  uint64_t digits = 0;
  uint64_t separators = 0;
  for (size_t k = 0; k < kBlockBytes / 8; ++k) {
    const uint64_t w = Load64(p + 8 * k);
    digits |= GatherHighBits(DigitHighBits(w)) << (8 * k);
    separators |= GatherHighBits(ByteEqHighBits(w, ' ') | ByteEqHighBits(w, '-')) << (8 * k);
  }
  // Bit k of `run13`: bytes k..k+12 are all digits (2, 4, 8, then 13).
  uint64_t run13 = digits & (digits >> 1);
  run13 &= run13 >> 2;
  run13 &= run13 >> 4;
  run13 &= run13 >> 5;
  const uint64_t joining = separators & (digits << 1) & (digits >> 1);
  constexpr uint64_t kLastByte = uint64_t{1} << (kBlockBytes - 1);
  return BlockMaps{digits, run13 | joining | ((digits | separators) & kLastByte)};
}

// Luhn over text[begin, begin + len), all digits.
bool LuhnRun(const char* p, size_t len) {
  static constexpr uint8_t kDoubled[10] = {0, 2, 4, 6, 8, 1, 3, 5, 7, 9};
  unsigned sum = 0;
  for (size_t k = 0; k < len; ++k) {
    const unsigned d = static_cast<unsigned>(p[len - 1 - k] - '0');
    sum += (k & 1) != 0 ? kDoubled[d] : d;
  }
  return sum % 10 == 0;
}

// The single pass: splits `text` into chains of digit groups joined by one
// separator and scans each chain. `emit(PanMatch)` returns false to stop.
//
// Invariant: text[i] is never inside a digit run that started before i.
// Only "interesting" positions (BlockMaps) can start a match; from the
// first one at or after i the scan backs up to the start of its digit run
// (a joining separator further left would itself have been interesting, so
// that run starts its chain) and handles that run or chain exactly.
template <typename Emit>
void Scan(std::string_view text, Emit emit) {
  const size_t n = text.size();
  const char* const s = text.data();
  std::vector<Group> groups;  // only chains of two or more groups use it
  size_t base = 0;            // the block `maps` describes
  BlockMaps maps = n == 0 ? BlockMaps{} : MapBlock(text, 0);
  size_t i = 0;
  for (;;) {
    // The next interesting position.
    size_t p = 0;
    for (;;) {
      if (i >= n) return;
      if (i - base >= kBlockBytes) {
        base = i;
        maps = MapBlock(text, base);
      }
      const uint64_t ahead = maps.interesting >> (i - base);
      if (ahead != 0) {
        p = i + static_cast<size_t>(std::countr_zero(ahead));
        break;
      }
      i = base + kBlockBytes;
    }
    size_t start = p;
    while (start > i && IsDigit(s[start - 1])) --start;
    if (!IsDigit(s[start])) {  // a separator with no digit before it
      i = p + 1;
      continue;
    }
    i = start;
    // The end of this digit run.
    size_t j = i;
    for (;;) {
      if (j - base >= kBlockBytes) {
        if (j >= n) break;
        base = j;
        maps = MapBlock(text, base);
      }
      // Shifting brings in zeros ("digit") above the block: a run reaching
      // the block's end leaves no bit set.
      const uint64_t non_digits = ~maps.digits >> (j - base);
      if (non_digits == 0) {
        j = base + kBlockBytes;
        continue;
      }
      j += static_cast<size_t>(std::countr_zero(non_digits));
      break;
    }
    if (!(j + 1 < n && IsSeparator(s[j]) && IsDigit(s[j + 1]))) {
      // A lone run: the only window is the run itself.
      const size_t len = j - i;
      if (len >= kMinPanDigits && len <= kMaxPanDigits && LuhnRun(s + i, len)) {
        if (!emit(PanMatch{i, j, len})) return;
      }
      i = j;
      continue;
    }
    // A chain of groups: collect them all (rare), then try every window.
    groups.clear();
    groups.push_back(Group{i, j});
    i = j;
    while (i + 1 < n && IsSeparator(s[i]) && IsDigit(s[i + 1])) {
      const size_t b = ++i;
      while (i < n && IsDigit(s[i])) ++i;
      groups.push_back(Group{b, i});
    }
    if (!ScanChain(text, groups, emit)) return;
  }
}

}  // namespace

std::vector<PanMatch> FindPans(std::string_view text) {
  std::vector<PanMatch> out;
  Scan(text, [&out](const PanMatch& m) {
    out.push_back(m);
    return true;
  });
  return out;
}

void ForEachPan(std::string_view text, const std::function<bool(const PanMatch&)>& visit) {
  Scan(text, [&visit](const PanMatch& m) { return visit(m); });
}

bool ContainsPan(std::string_view text) {
  bool found = false;
  Scan(text, [&found](const PanMatch&) {
    found = true;
    return false;
  });
  return found;
}

std::string MaskPans(std::string_view text, size_t* count) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  size_t matches = 0;
  std::string digits;
  Scan(text, [&](const PanMatch& m) {
    out.append(text.substr(pos, m.begin - pos));
    digits.clear();
    for (size_t k = m.begin; k < m.end; ++k) {
      if (IsDigit(text[k])) digits += text[k];
    }
    out += MaskPan(digits);
    pos = m.end;
    ++matches;
    return true;
  });
  out.append(text.substr(pos));
  // The digits buffer held a PAN: do not leave it in freed memory.
  SecureZero(digits.data(), digits.size());
  if (count != nullptr) *count = matches;
  return out;
}

std::string MaskPan(std::string_view digits) {
  const size_t n = digits.size();
  if (n < kMaskMinHidden + kMaskTrailing) return std::string(n, '*');
  const size_t leading = std::min(kMaskMaxLeading, n - kMaskTrailing - kMaskMinHidden);
  std::string out;
  out.reserve(n);
  out.append(digits.substr(0, leading));
  out.append(n - leading - kMaskTrailing, '*');
  out.append(digits.substr(n - kMaskTrailing));
  return out;
}

}  // namespace kura::pan
