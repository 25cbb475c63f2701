#include "logs/ingest/wal_format.h"

#include <algorithm>
#include <cstring>

#include "logs/record/timestamp.h"

namespace kura::logs {
namespace {

constexpr std::string_view kNamePrefix = "wal-";
constexpr std::string_view kNameSuffix = ".log";
constexpr size_t kSeqDigits = 20;

void PutU64(uint64_t v, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

std::string WalFileName(uint64_t first_seq) {
  std::string digits = std::to_string(first_seq);
  return std::string(kNamePrefix) + std::string(kSeqDigits - digits.size(), '0') + digits +
         std::string(kNameSuffix);
}

bool ParseWalFileName(std::string_view name, uint64_t* first_seq) {
  if (name.size() != kNamePrefix.size() + kSeqDigits + kNameSuffix.size() ||
      name.substr(0, kNamePrefix.size()) != kNamePrefix ||
      name.substr(name.size() - kNameSuffix.size()) != kNameSuffix) {
    return false;
  }
  uint64_t v = 0;
  for (char c : name.substr(kNamePrefix.size(), kSeqDigits)) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *first_seq = v;
  return true;
}

void AppendWalHeader(uint64_t first_seq, const ChainHash& prev_chain, std::string* out) {
  out->append(kWalMagic);
  PutU64(first_seq, out);
  out->append(reinterpret_cast<const char*>(prev_chain.data()), prev_chain.size());
}

Result<RecordPrefix> ParseRecordPrefix(std::string_view b) {
  constexpr std::string_view kSeq = "{\"seq\":";
  constexpr std::string_view kReceived = ",\"received\":\"";
  constexpr size_t kTimestampChars = 24;  // 2026-01-01T00:00:00.000Z
  if (b.substr(0, kSeq.size()) != kSeq) return DataLossError("WAL record: no leading seq");
  size_t pos = kSeq.size();
  RecordPrefix p;
  const size_t digits_start = pos;
  while (pos < b.size() && b[pos] >= '0' && b[pos] <= '9' && pos - digits_start < 20) {
    p.seq = p.seq * 10 + static_cast<uint64_t>(b[pos] - '0');
    ++pos;
  }
  if (pos == digits_start) return DataLossError("WAL record: bad seq");
  if (b.substr(pos, kReceived.size()) != kReceived) {
    return DataLossError("WAL record: no received time");
  }
  pos += kReceived.size();
  if (pos + kTimestampChars + 1 > b.size() || b[pos + kTimestampChars] != '"') {
    return DataLossError("WAL record: bad received time");
  }
  Result<int64_t> t = ParseTimestamp(b.substr(pos, kTimestampChars));
  if (!t.ok()) return DataLossError("WAL record: bad received time");
  p.received_ms = *t;
  return p;
}

uint32_t WalFrameRecordLength(const char* frame) { return GetU32(frame); }

WalFileScan ScanWalFile(std::string_view data, uint64_t expected_first_seq, uint64_t keep_from,
                        uint64_t keep_through, uint64_t stop_after) {
  WalFileScan s;
  if (data.size() < kWalHeaderBytes || data.substr(0, kWalMagic.size()) != kWalMagic ||
      GetU64(data.data() + 8) != expected_first_seq) {
    s.torn = !data.empty();
    // Cut short: fewer bytes than a header, those a prefix of it (its chain
    // part unknown here); or a prefix of it followed only by zero bytes (the
    // size reached the disk, the data did not: no frame has length 0).
    std::string expected(kWalMagic);
    PutU64(expected_first_seq, &expected);
    size_t known = 0;
    while (known < std::min(data.size(), expected.size()) && data[known] == expected[known]) ++known;
    const bool prefix = known == std::min(data.size(), expected.size());
    s.header_cut_short =
        (prefix && data.size() < kWalHeaderBytes) ||
        data.find_first_not_of('\0', known) == std::string_view::npos;
    return s;
  }
  s.header_ok = true;
  // Magic and seq, then nothing but zero bytes: the chain part of the header
  // (and any frame) never reached the disk — cut short as above.
  s.header_cut_short = data.find_first_not_of('\0', kWalMagic.size() + 8) == std::string_view::npos;
  s.first_seq = expected_first_seq;
  std::memcpy(s.prev_chain.data(), data.data() + 16, 32);
  s.last_chain = s.prev_chain;
  size_t pos = kWalHeaderBytes;
  ChainHasher hasher;
  while (pos < data.size()) {
    if (s.first_seq + s.record_count > stop_after) {
      s.valid_bytes = pos;
      return s;  // superseded, not torn
    }
    if (data.size() - pos < kWalFrameOverhead) break;
    const uint32_t len = GetU32(data.data() + pos);
    if (len == 0 || len > kMaxWalRecordBytes || data.size() - pos - kWalFrameOverhead < len) break;
    const std::string_view bytes = data.substr(pos + 4, len);
    const ChainHash h = hasher.Next(s.last_chain, bytes);
    if (std::memcmp(h.data(), data.data() + pos + 4 + len, 32) != 0) break;
    Result<RecordPrefix> prefix = ParseRecordPrefix(bytes);
    const uint64_t seq = s.first_seq + s.record_count;
    if (!prefix.ok() || prefix->seq != seq) break;
    if (s.record_count == 0) s.first_received_ms = prefix->received_ms;
    s.last_chain = h;
    s.last_received_ms = prefix->received_ms;
    ++s.record_count;
    s.record_bytes += len;
    if (seq >= keep_from && seq <= keep_through) {
      s.records.push_back(ChainedRecord{seq, prefix->received_ms, std::string(bytes), h});
    }
    pos += kWalFrameOverhead + len;
  }
  s.valid_bytes = pos;
  s.torn = pos < data.size();
  return s;
}

}  // namespace kura::logs
