// SlotFilter: a Bloom filter over fingerprint slot prefixes
// (FingerprintPrefix, sqlite_card_index.h), so the store's writer can skip
// the look-ups in the slot tables for a card that cannot be there — nearly
// every card of a bulk job is new, and at 10^7 cards those look-ups took a
// fifth of the writer's time (docs/benchmarks.md, bridge run K).
//
// No false negatives: MayContain(p) is true for every p added. False
// positives (a look-up that finds nothing) come at well under 1 % while no
// more than capacity() keys are added. The keys are HMAC outputs, uniformly
// distributed, which the filter relies on only for that rate, never for
// correctness.
//
// Thread safety: none (the store's writer thread owns it).
#ifndef KURA_VAULT_SLOT_FILTER_H_
#define KURA_VAULT_SLOT_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kura::vault {

// Filter bits per key of capacity (4 bits set per key, in one 512-bit block).
inline constexpr size_t kSlotFilterBitsPerKey = 16;
// How far ahead of its Add or MayContain calls a caller walking many keys
// prefetches (Prefetch): a few dozen keys' work covers a memory load.
inline constexpr size_t kSlotFilterPrefetchDistance = 16;

class SlotFilter {
 public:
  // Room for `capacity` keys (at least one block).
  explicit SlotFilter(size_t capacity);

  void Add(int64_t prefix);
  bool MayContain(int64_t prefix) const;
  // Starts loading the memory Add(prefix) and MayContain(prefix) touch (a
  // hint, no effect on results). The filter is far larger than the CPU's
  // caches, so each of those is a cache miss: a caller that knows its next
  // keys prefetches them a few keys ahead.
  void Prefetch(int64_t prefix) const;

  size_t size() const { return size_; }  // keys added (repeats included)
  size_t capacity() const { return capacity_; }
  // More keys than capacity(): still no false negatives, but more positives.
  bool over_capacity() const { return size_ > capacity_; }

 private:
  static constexpr size_t kWordsPerBlock = 8;  // one cache line
  static constexpr int kBitsSetPerKey = 4;

  // The first word of `prefix`'s block.
  size_t BlockStart(int64_t prefix) const;

  size_t capacity_;
  size_t blocks_;
  size_t size_ = 0;
  std::vector<uint64_t> words_;
};

}  // namespace kura::vault

#endif  // KURA_VAULT_SLOT_FILTER_H_
