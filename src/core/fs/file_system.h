// FileSystem: the only way Kura code touches files (LevelDB's Env, reduced).
//
// PosixFileSystem is chosen in main(); tests use it on a temporary directory
// or wrap it in FaultInjectingFileSystem (fs/fault_injecting_file_system.h)
// to make fsync fail or the disk "fill up".
//
// Paths are plain strings; every error message names the path and the
// operation and carries errno text, never file contents.
//
// Thread safety: implementations are safe for concurrent use on distinct
// paths.
#ifndef KURA_CORE_FS_FILE_SYSTEM_H_
#define KURA_CORE_FS_FILE_SYSTEM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace kura {

// An open file for appending, e.g. a write-ahead log or audit file.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Errors: kResourceExhausted on ENOSPC/EDQUOT, kInternal otherwise.
  virtual Status Append(std::string_view data) = 0;
  // fdatasync. After a failed Sync every later call fails (fail closed).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // kNotFound if missing.
  virtual Result<std::string> ReadFile(const std::string& path) = 0;

  // Atomic replace: write to a temporary file in the same directory, fsync
  // it, rename over `path`, fsync the directory. On failure `path` keeps its
  // old contents and the temporary is removed. `mode` is applied to the new
  // file (0600 by default: Kura's files are private).
  virtual Status WriteFileAtomic(const std::string& path, std::string_view data,
                                 uint32_t mode = 0600) = 0;

  // Creates a new file exclusively (O_EXCL); kAlreadyExists if present.
  // Data is fsynced, as is the directory.
  virtual Status CreateFileExclusive(const std::string& path, std::string_view data,
                                     uint32_t mode = 0600) = 0;

  // Opens `path` for appending, creating it with `mode` if missing.
  virtual Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path,
                                                               uint32_t mode = 0600) = 0;

  // mkdir -p with `mode` for created directories.
  virtual Status CreateDirs(const std::string& path, uint32_t mode = 0700) = 0;

  // Names (not paths) of the entries in `path`, sorted. kNotFound if missing.
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;

  // kNotFound if missing.
  virtual Status RemoveFile(const std::string& path) = 0;

  virtual Status Rename(const std::string& from, const std::string& to) = 0;

  virtual Status SyncDir(const std::string& path) = 0;

  virtual bool Exists(const std::string& path) = 0;
};

// The real file system. Stateless.
class PosixFileSystem final : public FileSystem {
 public:
  Result<std::string> ReadFile(const std::string& path) override;
  Status WriteFileAtomic(const std::string& path, std::string_view data,
                         uint32_t mode = 0600) override;
  Status CreateFileExclusive(const std::string& path, std::string_view data,
                             uint32_t mode = 0600) override;
  Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path,
                                                       uint32_t mode = 0600) override;
  Status CreateDirs(const std::string& path, uint32_t mode = 0700) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) override;
  Status RemoveFile(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& path) override;
  bool Exists(const std::string& path) override;
};

// "a/b" + "c" -> "a/b/c".
std::string JoinPath(std::string_view dir, std::string_view name);
// "a/b/c" -> "a/b"; "c" -> ".".
std::string DirName(std::string_view path);

}  // namespace kura

#endif  // KURA_CORE_FS_FILE_SYSTEM_H_
