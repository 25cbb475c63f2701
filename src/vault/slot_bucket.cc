#include "vault/slot_bucket.h"

namespace kura::vault {

namespace {

constexpr int kPrefixBits = 63;
constexpr int kBucketShift = kPrefixBits - kSlotBucketBits;
// A varint of a value below 2^63 takes at most 9 bytes (7 bits each).
constexpr size_t kMaxVarintBytes = 9;

void PutVarint(uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Reads a varint at `pos` (advanced past it). False if it is cut off or
// longer than kMaxVarintBytes.
bool GetVarint(std::string_view bytes, size_t& pos, uint64_t& v) {
  v = 0;
  for (size_t i = 0; i < kMaxVarintBytes && pos < bytes.size(); ++i) {
    const uint8_t b = static_cast<uint8_t>(bytes[pos++]);
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

int64_t SlotBucketOf(int64_t prefix) { return prefix >> kBucketShift; }

void EncodeSlotBucket(const SlotEntry* entries, size_t count, std::string& out) {
  out.clear();
  if (count == 0) return;
  out.reserve(count * kSlotEntryBytesTypical);
  int64_t previous = SlotBucketOf(entries[0].first) << kBucketShift;
  for (size_t i = 0; i < count; ++i) {
    PutVarint(static_cast<uint64_t>(entries[i].first - previous), out);
    PutVarint(static_cast<uint64_t>(entries[i].second), out);
    previous = entries[i].first;
  }
}

Status DecodeSlotBucket(int64_t bucket, std::string_view bytes, std::vector<SlotEntry>& out) {
  out.clear();
  const auto corrupt = [bucket](const char* what) {
    return DataLossError("card store: fingerprint slot bucket " + std::to_string(bucket) + " " +
                         what);
  };
  if (bucket < 0 || bucket >> kSlotBucketBits != 0) return corrupt("is out of range");
  const uint64_t base = static_cast<uint64_t>(bucket) << kBucketShift;
  const uint64_t end = base + (uint64_t{1} << kBucketShift);  // first prefix past the bucket
  out.reserve(bytes.size() / kSlotEntryBytesTypical + 1);
  uint64_t prefix = base;
  size_t pos = 0;
  while (pos < bytes.size()) {
    uint64_t delta = 0;
    uint64_t id = 0;
    if (!GetVarint(bytes, pos, delta) || !GetVarint(bytes, pos, id)) {
      return corrupt("has a cut-off or overlong number");
    }
    // After the first entry, each prefix is above the one before it.
    if (!out.empty() && delta == 0) return corrupt("repeats a prefix");
    if (delta >= end - prefix) return corrupt("holds a prefix of another bucket");
    prefix += delta;
    if (id == 0 || id >> kPrefixBits != 0) return corrupt("holds an invalid card id");
    out.emplace_back(static_cast<int64_t>(prefix), static_cast<int64_t>(id));
  }
  return OkStatus();
}

}  // namespace kura::vault
