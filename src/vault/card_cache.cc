#include "vault/card_cache.h"

#include <mutex>
#include <utility>

namespace kura::vault {

std::shared_ptr<const CardRecord> CardCache::Find(int64_t id, uint64_t generation) {
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (generation == generation_) {
      auto it = records_.find(id);
      return it == records_.end() ? nullptr : it->second;
    }
    if (generation < generation_) return nullptr;
  }
  std::lock_guard<std::shared_mutex> lock(mu_);
  if (generation > generation_) {
    records_.clear();
    generation_ = generation;
  }
  return nullptr;
}

void CardCache::Insert(CardRecord record, uint64_t generation) {
  if (capacity_ == 0) return;
  auto shared = std::make_shared<const CardRecord>(std::move(record));
  std::lock_guard<std::shared_mutex> lock(mu_);
  if (generation < generation_) return;
  if (generation > generation_) {
    records_.clear();
    generation_ = generation;
  }
  if (records_.size() >= capacity_ && records_.find(shared->id) == records_.end()) {
    records_.erase(records_.begin());
  }
  records_[shared->id] = std::move(shared);
}

void CardCache::Invalidate(uint64_t generation) {
  std::lock_guard<std::shared_mutex> lock(mu_);
  records_.clear();
  if (generation > generation_) generation_ = generation;
}

size_t CardCache::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return records_.size();
}

}  // namespace kura::vault
