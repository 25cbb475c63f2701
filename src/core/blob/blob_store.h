// BlobStore: named, immutable-per-write byte strings ("blobs") under
// '/'-separated keys such as "requests/2026/abc.json".
//
// Used for the bridge's drop zones, scan reports and other whole-file state.
// Every write is atomic: a reader sees the old blob or the new one, never a
// partial one. Implementations: LocalBlobStore (a directory tree through a
// FileSystem) and MemoryBlobStore (a thread-safe fake for tests).
//
// Keys (checked by ValidateBlobKey on every call): non-empty, at most
// kMaxBlobKeyBytes bytes, relative (no leading '/'), no empty, "." or ".."
// segments (so no trailing '/' either), segments of at most
// kMaxBlobKeySegmentBytes bytes, no NUL or other ASCII control bytes, no
// backslash, and no segment starting with ".kura-tmp." (reserved for the
// file system's temporaries). Invalid keys fail with kInvalidArgument.
//
// A key names either a blob or a "directory" of further keys, not both: with
// a blob "a" present, Put("a/b") fails with kFailedPrecondition, and vice
// versa.
//
// Error messages may name a (valid) key but never contain blob data.
//
// Thread safety: implementations are safe for concurrent use.
#ifndef KURA_CORE_BLOB_BLOB_STORE_H_
#define KURA_CORE_BLOB_BLOB_STORE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace kura {

inline constexpr size_t kMaxBlobKeyBytes = 1024;
// Linux NAME_MAX: a longer segment could not be stored as a file name.
inline constexpr size_t kMaxBlobKeySegmentBytes = 255;

// OK, or kInvalidArgument saying which rule `key` breaks (the message does
// not repeat the key: it may contain control bytes).
Status ValidateBlobKey(std::string_view key);

// Like ValidateBlobKey, for a List() prefix: "" is valid (everything), and a
// trailing '/' or a partial last segment ("requests/20") is allowed.
Status ValidateBlobPrefix(std::string_view prefix);

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Creates or atomically replaces the blob at `key`. Errors: kInvalidArgument
  // (key), kFailedPrecondition (key conflicts with a directory of keys or a
  // blob on its path), kResourceExhausted (disk full), kInternal.
  virtual Status Put(std::string_view key, std::string_view data) = 0;

  // Creates the blob only if `key` is absent; kAlreadyExists (and no change)
  // if it is present. Atomic: of concurrent callers exactly one succeeds.
  // Other errors as Put.
  virtual Status PutIfAbsent(std::string_view key, std::string_view data) = 0;

  // The blob's bytes. kNotFound if absent, kInvalidArgument for a bad key.
  virtual Result<std::string> Get(std::string_view key) = 0;

  // All keys that start with `prefix` (plain string prefix), sorted
  // bytewise. An empty result is not an error. kInvalidArgument for a bad
  // prefix.
  virtual Result<std::vector<std::string>> List(std::string_view prefix) = 0;

  // Removes the blob. kNotFound if absent, kInvalidArgument for a bad key.
  virtual Status Delete(std::string_view key) = 0;
};

}  // namespace kura

#endif  // KURA_CORE_BLOB_BLOB_STORE_H_
