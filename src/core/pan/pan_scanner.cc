#include "core/pan/pan_scanner.h"

#include <algorithm>

#include "core/base/secret.h"

namespace kura::pan {
namespace {

constexpr size_t kMaskMinHidden = 6;
constexpr size_t kMaskMaxLeading = 6;
constexpr size_t kMaskTrailing = 4;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

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

// The single pass: splits `text` into chains of digit groups joined by one
// separator and scans each chain. `emit(PanMatch)` returns false to stop.
template <typename Emit>
void Scan(std::string_view text, Emit emit) {
  std::vector<Group> groups;
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (!IsDigit(text[i])) {
      ++i;
      continue;
    }
    groups.clear();
    for (;;) {
      const size_t b = i;
      while (i < n && IsDigit(text[i])) ++i;
      groups.push_back(Group{b, i});
      if (i + 1 < n && (text[i] == ' ' || text[i] == '-') && IsDigit(text[i + 1])) {
        ++i;
        continue;
      }
      break;
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
