// MemoryFileSystem: an in-memory FileSystem for tests (LevelDB's memenv).
//
// Behaves like PosixFileSystem where callers can observe it: a file can only
// be created in an existing directory (kNotFound otherwise), directories and
// files do not share names, ListDir is sorted, error codes match. Paths are
// normalised ("a//b/./c/" == "a/b/c"); "/" and "." always exist and are
// distinct roots (relative paths never reach absolute ones).
//
// Crash simulation: data appended through a WritableFile is "unsynced" until
// Sync(); SimulateCrash() truncates every file to its last synced length, as
// a power loss would. WriteFileAtomic and CreateFileExclusive are durable on
// success.
//
// Thread safety: every method is safe for concurrent use. WritableFiles it
// returns follow the WritableFile contract (one owner each) and must not
// outlive the MemoryFileSystem.
#ifndef KURA_CORE_FS_MEMORY_FILE_SYSTEM_H_
#define KURA_CORE_FS_MEMORY_FILE_SYSTEM_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/fs/file_system.h"

namespace kura {

class MemoryFileSystem final : public FileSystem {
 public:
  MemoryFileSystem();
  MemoryFileSystem(const MemoryFileSystem&) = delete;
  MemoryFileSystem& operator=(const MemoryFileSystem&) = delete;

  Result<std::string> ReadFile(const std::string& path) override;
  Result<std::string> ReadFileAtMost(const std::string& path, size_t max_bytes) override;
  Status WriteFileAtomic(const std::string& path, std::string_view data,
                         uint32_t mode = 0600) override;
  Status CreateFileExclusive(const std::string& path, std::string_view data,
                             uint32_t mode = 0600) override;
  Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path,
                                                       uint32_t mode = 0600) override;
  Status CreateDirs(const std::string& path, uint32_t mode = 0700) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) override;
  Status RemoveFile(const std::string& path) override;
  Status RemoveDir(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& path) override;
  bool Exists(const std::string& path) override;
  Result<bool> IsDirectory(const std::string& path) override;

  // Test helpers.

  // The permission bits a file or directory was created with. kNotFound if
  // missing.
  Result<uint32_t> GetMode(const std::string& path);
  // Drops all data appended since each file's last successful Sync().
  void SimulateCrash();

  // Shared with the WritableFiles it hands out; public only so the .cc can
  // name it.
  struct Node;

 private:
  Status CheckParentLocked(const std::string& norm, std::string_view op) const;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Node>> files_;  // GUARDED_BY(mu_)
  std::map<std::string, uint32_t> dirs_;                // GUARDED_BY(mu_), path -> mode
};

}  // namespace kura

#endif  // KURA_CORE_FS_MEMORY_FILE_SYSTEM_H_
