#include "bridge/pan_guard.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "core/pan/pan_scanner.h"

namespace kura::bridge {

namespace {

bool MayBeInPan(char c) { return (c >= '0' && c <= '9') || c == ' ' || c == '-'; }

// Longest span of one match: 19 digits and 18 separators.
constexpr size_t kMaxMatchSpan = pan::kMaxPanDigits * 2;

// Index one past the last byte of `data` that cannot be part of a match
// (0 if every byte may be).
size_t AfterLastCut(std::string_view data) {
  size_t i = data.size();
  while (i > 0 && MayBeInPan(data[i - 1])) --i;
  return i;
}

// Index one past the first byte that cannot be part of a match, looking at
// most `limit` bytes far (npos if there is none within the limit).
size_t AfterFirstCut(std::string_view data, size_t limit) {
  const size_t end = std::min(data.size(), limit);
  for (size_t i = 0; i < end; ++i) {
    if (!MayBeInPan(data[i])) return i + 1;
  }
  return std::string_view::npos;
}

}  // namespace

PanGuardReport ScanTextForPans(std::string_view text) {
  PanStreamScanner scanner;
  scanner.Update(text);
  return scanner.Finish();
}

void PanStreamScanner::Count(std::string_view text, uint64_t offset, size_t limit) {
  pan::ForEachPan(text, [&](const pan::PanMatch& m) {
    if (m.begin >= limit) return false;  // in order: the rest start later
    if (report_.matches == 0) report_.first_offset = offset + m.begin;
    ++report_.matches;
    return true;
  });
}

void PanStreamScanner::ScanOverlong(std::string_view text, uint64_t offset) {
  // A pathological run of digits and separators: scan all of it, count the
  // matches that start before the overlap and re-scan the overlap with what
  // follows (a match there may be counted twice: the safe side).
  const size_t keep_from = text.size() - kMaxMatchSpan;
  Count(text, offset, keep_from);
  std::string overlap(text.substr(keep_from));
  carry_ = std::move(overlap);
  carry_offset_ = offset + keep_from;
}

void PanStreamScanner::Update(std::string_view data) {
  uint64_t offset = report_.bytes_scanned;
  report_.bytes_scanned += data.size();
  while (!data.empty()) {
    if (!carry_.empty()) {
      // Complete the carried tail up to the first byte that ends it.
      const size_t room = kPanGuardMaxCarry - std::min(carry_.size(), kPanGuardMaxCarry);
      const size_t cut = AfterFirstCut(data, room);
      if (cut == std::string_view::npos) {
        const size_t take = std::min(data.size(), room);
        carry_.append(data.substr(0, take));
        data.remove_prefix(take);
        offset += take;
        if (carry_.size() >= kPanGuardMaxCarry) {
          const std::string text = std::move(carry_);
          carry_.clear();
          ScanOverlong(text, carry_offset_);
        }
        continue;
      }
      carry_.append(data.substr(0, cut));
      data.remove_prefix(cut);
      offset += cut;
      Count(carry_, carry_offset_, carry_.size());
      carry_.clear();
      continue;
    }
    // The bulk is scanned in place, up to the last byte that cannot belong
    // to a match, so no match is split; only the tail after it is copied.
    const size_t cut = AfterLastCut(data);
    if (cut > 0) {
      Count(data.substr(0, cut), offset, cut);
      data.remove_prefix(cut);
      offset += cut;
    }
    if (data.size() < kPanGuardMaxCarry) {
      carry_.assign(data);
      carry_offset_ = offset;
      return;
    }
    ScanOverlong(data, offset);
    return;
  }
}

PanGuardReport PanStreamScanner::Finish() {
  Count(carry_, carry_offset_, carry_.size());
  carry_.clear();
  return report_;
}

Result<PanGuardReport> ScanFileForPans(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFoundError("pan guard: file not found: " + path);
    return InternalError("pan guard: cannot open: " + path);
  }
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
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
