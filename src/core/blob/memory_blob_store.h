// MemoryBlobStore: an in-memory BlobStore for tests and for parts that need
// a store without a disk. Follows the BlobStore contract exactly, including
// key validation and the blob-vs-prefix conflict rule, so code tested against
// it behaves the same on LocalBlobStore.
//
// Thread safety: safe for concurrent use (one mutex).
#ifndef KURA_CORE_BLOB_MEMORY_BLOB_STORE_H_
#define KURA_CORE_BLOB_MEMORY_BLOB_STORE_H_

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/blob/blob_store.h"

namespace kura {

class MemoryBlobStore final : public BlobStore {
 public:
  MemoryBlobStore() = default;
  MemoryBlobStore(const MemoryBlobStore&) = delete;
  MemoryBlobStore& operator=(const MemoryBlobStore&) = delete;

  Status Put(std::string_view key, std::string_view data) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetAtMost(std::string_view key, size_t max_bytes) override;
  Result<std::vector<std::string>> List(std::string_view prefix) override;
  Status Delete(std::string_view key) override;
  // Reads the whole source into memory, then behaves as Put.
  Status PutStream(std::string_view key, BlobSource& source) override;

  // Number of blobs held.
  size_t size() const;

 private:
  // kFailedPrecondition if `key` is a prefix directory of a stored key or a
  // stored key is a directory on `key`'s path.
  Status CheckNoConflictLocked(const std::string& key) const;

  mutable std::mutex mu_;
  std::map<std::string, std::string, std::less<>> blobs_;  // GUARDED_BY(mu_)
};

}  // namespace kura

#endif  // KURA_CORE_BLOB_MEMORY_BLOB_STORE_H_
