#include "logs/archive/archive_layout.h"

#include <charconv>

#include "logs/record/timestamp.h"

namespace kura::logs {
namespace {

constexpr size_t kSeqDigits = 20;

std::string Padded(uint64_t v) {
  std::string s = std::to_string(v);
  if (s.size() < kSeqDigits) s.insert(0, kSeqDigits - s.size(), '0');
  return s;
}

// Parses exactly 20 decimal digits.
bool ParsePadded(std::string_view s, uint64_t* out) {
  if (s.size() != kSeqDigits) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string Key(std::string_view top, std::string_view dt, std::string_view name,
                std::string_view suffix) {
  std::string k = PartitionPrefix(top, dt);
  k += name;
  k += suffix;
  return k;
}

}  // namespace

std::string SegmentName(uint64_t first_seq, uint64_t last_seq) {
  return "seg-" + Padded(first_seq) + "-" + Padded(last_seq);
}

std::string PartitionPrefix(std::string_view top, std::string_view dt) {
  std::string p(top);
  p += "dt=";
  p += dt;
  p += '/';
  return p;
}

std::string DataKey(std::string_view dt, uint64_t first_seq, uint64_t last_seq) {
  return Key(kDataPrefix, dt, SegmentName(first_seq, last_seq), ".jsonl.zst");
}

std::string IndexKey(std::string_view dt, uint64_t first_seq, uint64_t last_seq) {
  return Key(kIndexPrefix, dt, SegmentName(first_seq, last_seq), ".idx");
}

std::string SegmentDigestKey(std::string_view dt, uint64_t first_seq, uint64_t last_seq) {
  return Key(kDigestPrefix, dt, SegmentName(first_seq, last_seq), ".json");
}

std::string RetentionDigestKey(std::string_view dt, uint64_t last_seq, uint64_t number) {
  return Key(kDigestPrefix, dt, "ret-" + Padded(last_seq) + "-" + Padded(number), ".json");
}

bool IsValidDt(std::string_view dt) {
  Result<int64_t> day = ParseDate(dt);
  return day.ok() && FormatDate(*day) == dt;
}

Result<ArchiveKey> ParseArchiveKey(std::string_view key) {
  auto bad = [key](std::string_view why) {
    return InvalidArgumentError("'" + std::string(key) + "' is not an archive object key (" +
                                std::string(why) + ")");
  };
  ArchiveKey out;
  std::string_view rest = key;
  std::string_view suffix;
  if (rest.starts_with(kDataPrefix)) {
    out.kind = ObjectKind::kData;
    rest.remove_prefix(kDataPrefix.size());
    suffix = ".jsonl.zst";
  } else if (rest.starts_with(kIndexPrefix)) {
    out.kind = ObjectKind::kIndex;
    rest.remove_prefix(kIndexPrefix.size());
    suffix = ".idx";
  } else if (rest.starts_with(kDigestPrefix)) {
    out.kind = ObjectKind::kSegmentDigest;
    rest.remove_prefix(kDigestPrefix.size());
    suffix = ".json";
  } else {
    return bad("unknown top-level prefix");
  }
  // "dt=YYYY-MM-DD/"
  if (!rest.starts_with("dt=") || rest.size() < 14 || rest[13] != '/') {
    return bad("no dt=YYYY-MM-DD/ partition");
  }
  out.dt = std::string(rest.substr(3, 10));
  if (!IsValidDt(out.dt)) return bad("invalid partition date");
  rest.remove_prefix(14);
  if (!rest.ends_with(suffix)) return bad("wrong file name suffix");
  rest.remove_suffix(suffix.size());
  // "seg-<20>-<20>" or (digests only) "ret-<20>-<20>".
  if (rest.size() != 4 + kSeqDigits + 1 + kSeqDigits || rest[4 + kSeqDigits] != '-') {
    return bad("malformed file name");
  }
  uint64_t a = 0;
  uint64_t b = 0;
  if (!ParsePadded(rest.substr(4, kSeqDigits), &a) ||
      !ParsePadded(rest.substr(5 + kSeqDigits), &b)) {
    return bad("malformed sequence numbers");
  }
  if (rest.starts_with("seg-")) {
    if (a == 0 || a > b) return bad("invalid sequence range");
    out.first_seq = a;
    out.last_seq = b;
    return out;
  }
  if (rest.starts_with("ret-") && out.kind == ObjectKind::kSegmentDigest) {
    if (b == 0) return bad("invalid digest number");
    out.kind = ObjectKind::kRetentionDigest;
    out.first_seq = a;
    out.last_seq = a;
    out.number = b;
    return out;
  }
  return bad("malformed file name");
}

}  // namespace kura::logs
