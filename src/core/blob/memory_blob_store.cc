#include "core/blob/memory_blob_store.h"

#include <utility>

namespace kura {

Status MemoryBlobStore::CheckNoConflictLocked(const std::string& key) const {
  // A stored "a/b/..." makes "a/b" a directory.
  const std::string as_dir = key + "/";
  auto it = blobs_.lower_bound(as_dir);
  if (it != blobs_.end() && it->first.starts_with(as_dir)) {
    return FailedPreconditionError("blob key '" + key + "' is a prefix of other keys");
  }
  // A stored "a" blocks "a/b".
  for (size_t slash = key.find('/'); slash != std::string::npos;
       slash = key.find('/', slash + 1)) {
    if (blobs_.count(key.substr(0, slash)) != 0) {
      return FailedPreconditionError("blob key '" + key + "' passes through an existing blob");
    }
  }
  return OkStatus();
}

Status MemoryBlobStore::Put(std::string_view key, std::string_view data) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  std::string k(key);
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckNoConflictLocked(k));
  blobs_[std::move(k)] = std::string(data);
  return OkStatus();
}

Status MemoryBlobStore::PutIfAbsent(std::string_view key, std::string_view data) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  std::string k(key);
  std::lock_guard<std::mutex> lock(mu_);
  if (blobs_.count(k) != 0) return AlreadyExistsError("blob '" + k + "' already exists");
  RETURN_IF_ERROR(CheckNoConflictLocked(k));
  blobs_.emplace(std::move(k), std::string(data));
  return OkStatus();
}

Result<std::string> MemoryBlobStore::Get(std::string_view key) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = blobs_.find(key);
  if (it == blobs_.end()) return NotFoundError("blob '" + std::string(key) + "' not found");
  return it->second;
}

Result<std::string> MemoryBlobStore::GetAtMost(std::string_view key, size_t max_bytes) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = blobs_.find(key);
  if (it == blobs_.end()) return NotFoundError("blob '" + std::string(key) + "' not found");
  if (it->second.size() > max_bytes) {
    return OutOfRangeError("blob '" + std::string(key) + "' is larger than " +
                           std::to_string(max_bytes) + " bytes");
  }
  return it->second;
}

Result<std::vector<std::string>> MemoryBlobStore::List(std::string_view prefix) {
  RETURN_IF_ERROR(ValidateBlobPrefix(prefix));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> keys;
  for (auto it = blobs_.lower_bound(prefix); it != blobs_.end() && it->first.starts_with(prefix);
       ++it) {
    keys.push_back(it->first);
  }
  return keys;
}

Status MemoryBlobStore::Delete(std::string_view key) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = blobs_.find(key);
  if (it == blobs_.end()) return NotFoundError("blob '" + std::string(key) + "' not found");
  blobs_.erase(it);
  return OkStatus();
}

Status MemoryBlobStore::PutStream(std::string_view key, BlobSource& source) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  std::string data;
  std::string chunk(kBlobStreamChunkBytes, '\0');
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, source.Read(chunk.data(), chunk.size()));
    if (n == 0) break;
    data.append(chunk, 0, n);
  }
  return Put(key, data);
}

size_t MemoryBlobStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return blobs_.size();
}

}  // namespace kura
