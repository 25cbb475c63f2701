// LocalBlobStore: a BlobStore kept as files under a root directory, one file
// per key ("requests/2026/abc.json" -> "<root>/requests/2026/abc.json").
//
// Put uses FileSystem::WriteFileAtomic (temp + fsync + rename + dir fsync);
// PutIfAbsent uses FileSystem::CreateFileExclusive. PutStream appends the
// source's pieces to a new temporary ("<dir>/.kura-tmp.stream.<pid>.<n>",
// through FileSystem::OpenAppendable), fdatasyncs it, renames it over the
// key's file and fsyncs the directory; on any failure the temporary is
// removed and the old blob is untouched. Files are created 0600,
// directories 0700. Delete removes the file, syncs its directory and then
// removes parent directories that became empty (up to, not including, the
// root). Temporaries left by a crash (".kura-tmp.*") are never listed.
//
// Thread safety: safe for concurrent use (all state is in the file system).
// The FileSystem must outlive the store.
#ifndef KURA_CORE_BLOB_LOCAL_BLOB_STORE_H_
#define KURA_CORE_BLOB_LOCAL_BLOB_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/blob/blob_store.h"
#include "core/fs/file_system.h"

namespace kura {

class LocalBlobStore final : public BlobStore {
 public:
  // Creates `root` (mkdir -p, 0700) if missing. Errors from
  // FileSystem::CreateDirs (e.g. kFailedPrecondition if `root` is a file);
  // kInvalidArgument if `root` is empty.
  static Result<std::unique_ptr<LocalBlobStore>> Open(FileSystem& fs, std::string root);

  LocalBlobStore(const LocalBlobStore&) = delete;
  LocalBlobStore& operator=(const LocalBlobStore&) = delete;

  Status Put(std::string_view key, std::string_view data) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetAtMost(std::string_view key, size_t max_bytes) override;
  Result<std::vector<std::string>> List(std::string_view prefix) override;
  Status Delete(std::string_view key) override;
  Status PutStream(std::string_view key, BlobSource& source) override;

  const std::string& root() const { return root_; }

 private:
  LocalBlobStore(FileSystem& fs, std::string root) : fs_(fs), root_(std::move(root)) {}

  std::string PathOf(std::string_view key) const;
  // Makes the directories above `key`.
  Status MakeParents(std::string_view key);
  // Removes now-empty directories above a deleted `key`, best effort.
  void PruneEmptyParents(std::string_view key);
  // Appends to `out` every blob key below directory `rel` ("" = root).
  Status Walk(const std::string& rel, std::vector<std::string>& out);

  // Copies `source` into a new temporary file next to `path` and returns
  // its path (removed again on failure).
  Result<std::string> StreamToTemp(const std::string& path, BlobSource& source);

  FileSystem& fs_;
  const std::string root_;
  std::atomic<uint64_t> next_temp_{0};
};

}  // namespace kura

#endif  // KURA_CORE_BLOB_LOCAL_BLOB_STORE_H_
