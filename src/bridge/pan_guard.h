// PAN guard: the bridge's data-loss check. Nothing leaves the CDE through
// the drop zone (result, log excerpt, artifact) before it passes here; a
// hit blocks publication (bridge/runner.h).
//
// Matches are those of core/pan/pan_scanner.h (13-19 digits passing Luhn,
// also grouped with single spaces or dashes). Files are streamed in
// kPanGuardChunkBytes chunks, so memory stays constant and a multi-GB
// artifact is scanned at disk speed. Each piece is scanned in place up to
// the last byte that cannot belong to a PAN (anything but a digit, ' ' or
// '-'); only the tail after it (usually a few bytes) is copied and joined
// with the next piece, so results match scanning the whole file at once.
// Only for a run of digits and separators longer than kPanGuardMaxCarry
// does the guard cut inside it and re-scan an overlap, which can only
// over-report (the safe side).
//
// Reports say how many matches and where the first one starts, never what
// they are.
//
// Thread safety: pure functions.
#ifndef KURA_BRIDGE_PAN_GUARD_H_
#define KURA_BRIDGE_PAN_GUARD_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace kura::bridge {

inline constexpr size_t kPanGuardChunkBytes = 1 << 20;
inline constexpr size_t kPanGuardMaxCarry = 64 * 1024;

struct PanGuardReport {
  uint64_t matches = 0;
  uint64_t first_offset = 0;  // byte offset of the first match (if any)
  uint64_t bytes_scanned = 0;
  bool clean() const { return matches == 0; }
};

// Scans an in-memory string (a result, a log excerpt).
PanGuardReport ScanTextForPans(std::string_view text);

// Streams the file at `path`. Errors: kNotFound if missing, kInternal on a
// read error (the caller must treat an unscannable artifact as blocked).
Result<PanGuardReport> ScanFileForPans(const std::string& path);

// Incremental form of the above, for data produced in pieces.
// Pieces may have any size and may split a PAN anywhere.
class PanStreamScanner {
 public:
  void Update(std::string_view data);
  // Scans what is still carried over and returns the report. Call once.
  PanGuardReport Finish();
  // Matches found so far (a match in the carried tail counts only later).
  uint64_t matches() const { return report_.matches; }

 private:
  // Counts the matches of `text` (at stream offset `offset`) that start
  // before text[limit].
  void Count(std::string_view text, uint64_t offset, size_t limit);
  // Scans a run of >= kPanGuardMaxCarry bytes that may all belong to a PAN
  // and carries its last bytes over.
  void ScanOverlong(std::string_view text, uint64_t offset);

  std::string carry_;          // unscanned tail: bytes that may all be in a PAN
  uint64_t carry_offset_ = 0;  // stream offset of carry_[0]
  PanGuardReport report_;
};

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_PAN_GUARD_H_
