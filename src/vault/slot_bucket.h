// Slot buckets: how fingerprint_slots (sqlite_card_index.h, schema v6) keeps
// its (prefix, id) entries — one row per bucket of adjacent prefixes, the
// bucket's entries in one BLOB, instead of one row per entry.
//
// A merge of the recent slots rewrote one B-tree row per entry (~1 µs a
// card at 10^7 cards, a third of a bulk job's writer time); with buckets it
// rewrites one row per bucket it touches, the entries merged in memory
// (docs/benchmarks.md, bridge run T).
//
// Encoding: the entries in ascending prefix order, each as two unsigned
// LEB128 varints — its prefix's distance from the one before it (from the
// bucket's first prefix, for the first entry), then its id. At 10^7 cards
// that is ~10 bytes an entry (6-7 for the distance, 4 for the id), against
// 16 as two fixed 8-byte integers: fewer bytes for each merge to rewrite,
// log and checkpoint.
//
// Thread safety: plain functions, no shared state.
#ifndef KURA_VAULT_SLOT_BUCKET_H_
#define KURA_VAULT_SLOT_BUCKET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"

namespace kura::vault {

// 2^17 buckets: ~76 entries (1.2 KiB) each at 10^7 cards.
inline constexpr int kSlotBucketBits = 17;
// What an entry takes at about 10^7 cards (to size buffers; not a limit).
inline constexpr size_t kSlotEntryBytesTypical = 10;

// (prefix, id): a prefix (FingerprintPrefix, 0 to 2^63 - 1) and its card.
using SlotEntry = std::pair<int64_t, int64_t>;

// The bucket of a prefix (0 to 2^kSlotBucketBits - 1; `prefix` >= 0).
int64_t SlotBucketOf(int64_t prefix);

// Replaces `out` with the encoding of `count` entries, which must be in
// strictly ascending prefix order and of one bucket.
void EncodeSlotBucket(const SlotEntry* entries, size_t count, std::string& out);

// Replaces `out` with the entries of bucket `bucket` stored as `bytes`.
// Errors: kDataLoss (naming the bucket, nothing else) if the bucket number
// is out of range, a varint is cut off or longer than 9 bytes, a prefix is
// repeated or of another bucket, or an id is not in 1 to 2^63 - 1.
Status DecodeSlotBucket(int64_t bucket, std::string_view bytes, std::vector<SlotEntry>& out);

}  // namespace kura::vault

#endif  // KURA_VAULT_SLOT_BUCKET_H_
