#include "vault/slot_filter.h"

#include <algorithm>

namespace kura::vault {

namespace {

// Odd 64-bit multipliers (from splitmix64): spread keys that are not random
// (tests use small consecutive ones) over blocks and bits.
constexpr uint64_t kBlockMix = 0x9e3779b97f4a7c15ULL;
constexpr uint64_t kBitMix = 0xbf58476d1ce4e5b9ULL;

}  // namespace

SlotFilter::SlotFilter(size_t capacity)
    : capacity_(capacity),
      blocks_(std::max<size_t>(1, (capacity * kSlotFilterBitsPerKey + 511) / 512)),
      words_(blocks_ * kWordsPerBlock, 0) {}

size_t SlotFilter::BlockStart(int64_t prefix) const {
  const uint64_t key = static_cast<uint64_t>(prefix);
  // The block: the high half of the mixed key scaled onto [0, blocks_).
  const uint64_t block = ((key * kBlockMix) >> 32) * blocks_ >> 32;
  return static_cast<size_t>(block) * kWordsPerBlock;
}

void SlotFilter::Add(int64_t prefix) {
  uint64_t bits = static_cast<uint64_t>(prefix) * kBitMix;
  uint64_t* words = &words_[BlockStart(prefix)];
  for (int i = 0; i < kBitsSetPerKey; ++i) {
    const uint64_t bit = (bits >> 55) & 511;  // 9 bits: one of the block's 512
    words[bit >> 6] |= uint64_t{1} << (bit & 63);
    bits <<= 9;
  }
  ++size_;
}

bool SlotFilter::MayContain(int64_t prefix) const {
  uint64_t bits = static_cast<uint64_t>(prefix) * kBitMix;
  const uint64_t* words = &words_[BlockStart(prefix)];
  for (int i = 0; i < kBitsSetPerKey; ++i) {
    const uint64_t bit = (bits >> 55) & 511;
    if ((words[bit >> 6] & (uint64_t{1} << (bit & 63))) == 0) return false;
    bits <<= 9;
  }
  return true;
}

void SlotFilter::Prefetch(int64_t prefix) const {
  __builtin_prefetch(&words_[BlockStart(prefix)]);
}

}  // namespace kura::vault
