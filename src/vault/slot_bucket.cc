#include "vault/slot_bucket.h"

namespace kura::vault {

namespace {

constexpr int kPrefixBits = 63;

void PutBigEndian(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

uint64_t GetBigEndian(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

}  // namespace

int64_t SlotBucketOf(int64_t prefix) { return prefix >> (kPrefixBits - kSlotBucketBits); }

void EncodeSlotBucket(const SlotEntry* entries, size_t count, std::string& out) {
  out.resize(count * kSlotEntryBytes);
  char* p = out.data();
  for (size_t i = 0; i < count; ++i, p += kSlotEntryBytes) {
    PutBigEndian(static_cast<uint64_t>(entries[i].first), p);
    PutBigEndian(static_cast<uint64_t>(entries[i].second), p + 8);
  }
}

Status DecodeSlotBucket(int64_t bucket, std::string_view bytes, std::vector<SlotEntry>& out) {
  out.clear();
  const auto corrupt = [bucket](const char* what) {
    return DataLossError("card store: fingerprint slot bucket " + std::to_string(bucket) + " " +
                         what);
  };
  if (bytes.size() % kSlotEntryBytes != 0) return corrupt("has a partial entry");
  out.reserve(bytes.size() / kSlotEntryBytes);
  for (size_t off = 0; off < bytes.size(); off += kSlotEntryBytes) {
    const uint64_t prefix = GetBigEndian(bytes.data() + off);
    const uint64_t id = GetBigEndian(bytes.data() + off + 8);
    // Both as signed numbers: a prefix in [0, 2^63), an id in [1, 2^63).
    if (prefix >> kPrefixBits != 0 || SlotBucketOf(static_cast<int64_t>(prefix)) != bucket) {
      return corrupt("holds a prefix of another bucket");
    }
    if (id == 0 || id >> kPrefixBits != 0) return corrupt("holds an invalid card id");
    if (!out.empty() && static_cast<int64_t>(prefix) <= out.back().first) {
      return corrupt("is out of order");
    }
    out.emplace_back(static_cast<int64_t>(prefix), static_cast<int64_t>(id));
  }
  return OkStatus();
}

}  // namespace kura::vault
