// CardCache: stored card records kept in memory by row id, so that a read
// of a card already read (masked read, reveal) skips the database.
//
// It holds exactly what the store returns (CardRecord: the sealed blob, never
// a PAN) and is only valid for one ChangeGeneration value: every look-up
// passes the current value, and a value newer than the one the cached
// records were read under empties the cache first (generations only grow;
// a caller holding an older value just misses). So a change or delete by
// any process (which moves the generation on) drops every record at the
// next look-up, and the writer of this process empties it right after its
// own changes commit (Invalidate), so a deleted card's sealed blob does not
// stay in this process's memory; other processes drop theirs at their next
// cached read.
//
// Capacity: at most `capacity` records (kDefaultCardCacheEntries); inserting
// into a full cache evicts an arbitrary record (the hash table's first).
//
// Thread safety: all methods may be called concurrently.
#ifndef KURA_VAULT_CARD_CACHE_H_
#define KURA_VAULT_CARD_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <unordered_map>

#include "vault/card_store.h"

namespace kura::vault {

// ~64 K records of a few hundred bytes each: some tens of MB at most.
inline constexpr size_t kDefaultCardCacheEntries = 65'536;

class CardCache {
 public:
  explicit CardCache(size_t capacity) : capacity_(capacity) {}
  CardCache(const CardCache&) = delete;
  CardCache& operator=(const CardCache&) = delete;

  // The record cached for `id` under `generation`, or null. A generation
  // newer than the cache's empties it (and becomes the cache's).
  std::shared_ptr<const CardRecord> Find(int64_t id, uint64_t generation);

  // Caches `record` (keyed by record.id) read under `generation`; ignored
  // if that is older than the cache's generation (a newer one empties it
  // first).
  void Insert(CardRecord record, uint64_t generation);

  // Drops every record and makes `generation` the cache's if it is newer,
  // so a reader still holding an older value cannot put back what it read
  // before the change (the writer calls this after its change committed,
  // with the value after the change).
  void Invalidate(uint64_t generation);

  size_t size() const;

 private:
  const size_t capacity_;
  mutable std::shared_mutex mu_;
  uint64_t generation_ = 0;  // guarded by mu_
  std::unordered_map<int64_t, std::shared_ptr<const CardRecord>> records_;  // guarded by mu_
};

}  // namespace kura::vault

#endif  // KURA_VAULT_CARD_CACHE_H_
