#include "bridge/pan_guard.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "core/pan/pan_scanner.h"

namespace kura::bridge {

namespace {

bool MayBeInPan(char c) { return (c >= '0' && c <= '9') || c == ' ' || c == '-'; }

// Longest span of one match: 19 digits and 18 separators.
constexpr size_t kMaxMatchSpan = pan::kMaxPanDigits * 2;

}  // namespace

PanGuardReport ScanTextForPans(std::string_view text) {
  PanStreamScanner scanner;
  scanner.Update(text);
  return scanner.Finish();
}

void PanStreamScanner::ScanPrefix(size_t cut, size_t count_before) {
  for (const pan::PanMatch& m : pan::FindPans(std::string_view(buffer_).substr(0, cut))) {
    if (m.begin >= count_before) continue;
    if (report_.matches == 0) report_.first_offset = buffer_offset_ + m.begin;
    ++report_.matches;
  }
}

void PanStreamScanner::Update(std::string_view data) {
  report_.bytes_scanned += data.size();
  buffer_.append(data);
  if (buffer_.size() < kPanGuardChunkBytes) return;
  // Cut after the last byte that cannot be part of a match.
  size_t cut = buffer_.size();
  while (cut > 0 && MayBeInPan(buffer_[cut - 1]) && buffer_.size() - cut < kPanGuardMaxCarry) {
    --cut;
  }
  size_t keep_from = cut;
  if (cut > 0 && !MayBeInPan(buffer_[cut - 1])) {
    ScanPrefix(cut, cut);
  } else {
    // A pathological chain: scan everything, count matches that start
    // before the overlap, carry the overlap for the next round.
    keep_from = buffer_.size() - kMaxMatchSpan;
    ScanPrefix(buffer_.size(), keep_from);
  }
  buffer_.erase(0, keep_from);
  buffer_offset_ += keep_from;
}

PanGuardReport PanStreamScanner::Finish() {
  ScanPrefix(buffer_.size(), buffer_.size() + 1);
  buffer_.clear();
  return report_;
}

Result<PanGuardReport> ScanFileForPans(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFoundError("pan guard: file not found: " + path);
    return InternalError("pan guard: cannot open: " + path);
  }
  PanStreamScanner scanner;
  std::vector<char> chunk(kPanGuardChunkBytes);
  for (;;) {
    ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return InternalError("pan guard: read failed: " + path);
    }
    if (n == 0) break;
    scanner.Update(std::string_view(chunk.data(), static_cast<size_t>(n)));
  }
  ::close(fd);
  return scanner.Finish();
}

}  // namespace kura::bridge
