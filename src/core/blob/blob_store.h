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
// Blobs of any size (multi-GB job artifacts) are written with PutStream /
// PutFile, which copy in kBlobStreamChunkBytes pieces with the same atomic
// replace as Put, so memory stays bounded.
//
// Thread safety: implementations are safe for concurrent use.
#ifndef KURA_CORE_BLOB_BLOB_STORE_H_
#define KURA_CORE_BLOB_BLOB_STORE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace kura {

inline constexpr size_t kMaxBlobKeyBytes = 1024;
// Linux NAME_MAX: a longer segment could not be stored as a file name.
inline constexpr size_t kMaxBlobKeySegmentBytes = 255;
// Piece size of PutStream / PutFile copies.
inline constexpr size_t kBlobStreamChunkBytes = 1 << 20;

// OK, or kInvalidArgument saying which rule `key` breaks (the message does
// not repeat the key: it may contain control bytes).
Status ValidateBlobKey(std::string_view key);

// Like ValidateBlobKey, for a List() prefix: "" is valid (everything), and a
// trailing '/' or a partial last segment ("requests/20") is allowed.
Status ValidateBlobPrefix(std::string_view prefix);

// A pull source of bytes for BlobStore::PutStream (one reader at a time).
class BlobSource {
 public:
  virtual ~BlobSource() = default;
  // Copies up to `size` bytes to `buf` and returns how many; 0 means the
  // end. An error aborts the put: nothing is stored, and PutStream returns
  // that error unchanged. The store calls Read until it returns 0 or an
  // error, and commits nothing before the 0.
  virtual Result<size_t> Read(char* buf, size_t size) = 0;
};

// A BlobSource reading a local file with POSIX read(2) (not through a
// FileSystem: the file is the caller's, not the store's).
class FileBlobSource final : public BlobSource {
 public:
  // kNotFound if missing, kPermissionDenied if unreadable, kInternal else.
  static Result<std::unique_ptr<FileBlobSource>> Open(const std::string& path);
  ~FileBlobSource() override;
  FileBlobSource(const FileBlobSource&) = delete;
  FileBlobSource& operator=(const FileBlobSource&) = delete;

  // kInternal on a read error (naming the path).
  Result<size_t> Read(char* buf, size_t size) override;

 private:
  FileBlobSource(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  const int fd_;
  const std::string path_;
};

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
  // Get for a blob that must hold at most `max_bytes` (a request file, say,
  // where anyone may drop a multi-GB one): kOutOfRange if it holds more.
  // No more than max_bytes + 1 bytes are read (on S3: a ranged GET), so a
  // huge blob costs neither memory nor time. Other errors as Get.
  virtual Result<std::string> GetAtMost(std::string_view key, size_t max_bytes) = 0;

  // All keys that start with `prefix` (plain string prefix), sorted
  // bytewise. An empty result is not an error. kInvalidArgument for a bad
  // prefix.
  virtual Result<std::vector<std::string>> List(std::string_view prefix) = 0;

  // Removes the blob. kNotFound if absent, kInvalidArgument for a bad key.
  virtual Status Delete(std::string_view key) = 0;

  // Like Put, with the bytes pulled from `source` until it reports the end
  // (memory stays bounded; no size limit). Atomic: until the source has
  // ended and the data is durable, readers see the old blob (or none); if
  // `source` fails, nothing changes and its error is returned. Other errors
  // as Put.
  virtual Status PutStream(std::string_view key, BlobSource& source) = 0;

  // PutStream from the local file at `path`. Errors as FileBlobSource::Open
  // and PutStream.
  Status PutFile(std::string_view key, const std::string& path);
};

}  // namespace kura

#endif  // KURA_CORE_BLOB_BLOB_STORE_H_
