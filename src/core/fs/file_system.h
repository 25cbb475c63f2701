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

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace kura {

// Temporary files made by WriteFileAtomic / CreateFileExclusive are named
// "<dir>/.kura-tmp.XXXXXX". A crash can leave one behind; code that lists
// directories (e.g. the blob store) skips names for which IsTempFileName() is
// true.
inline constexpr std::string_view kTempFilePrefix = ".kura-tmp.";
bool IsTempFileName(std::string_view name);

// An open file for appending, e.g. a write-ahead log or audit file.
//
// Not thread-safe: one owner appends; callers that share a file serialise
// access themselves. The file must not outlive the FileSystem that opened it.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends all of `data`. Errors: kResourceExhausted on ENOSPC/EDQUOT,
  // kInternal otherwise. A failed Append poisons the file like a failed Sync
  // (a torn record may have been written).
  virtual Status Append(std::string_view data) = 0;
  // fdatasync. After a failed Sync (or Append) every later call fails (fail
  // closed) with the first error's code.
  virtual Status Sync() = 0;
  // Closes the descriptor (idempotent). Returns the sticky error if the file
  // had failed before; calls after Close return kFailedPrecondition.
  virtual Status Close() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // kNotFound if missing.
  virtual Result<std::string> ReadFile(const std::string& path) = 0;

  // ReadFile for a file that must hold at most `max_bytes`: kOutOfRange
  // (naming the path and the limit) if it holds more. No more than
  // max_bytes + 1 bytes are read, so a huge (or endless) file costs neither
  // memory nor time. Other errors as ReadFile.
  virtual Result<std::string> ReadFileAtMost(const std::string& path, size_t max_bytes) = 0;

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

  // mkdir -p with `mode` for created directories. kFailedPrecondition if a
  // component exists but is not a directory.
  virtual Status CreateDirs(const std::string& path, uint32_t mode = 0700) = 0;

  // Names (not paths) of the entries in `path`, sorted, without "." and
  // "..". kNotFound if missing, kFailedPrecondition if not a directory.
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;

  // Removes a file (not a directory). kNotFound if missing,
  // kFailedPrecondition if `path` is a directory.
  virtual Status RemoveFile(const std::string& path) = 0;

  // Removes an empty directory. kNotFound if missing, kFailedPrecondition if
  // not empty or not a directory.
  virtual Status RemoveDir(const std::string& path) = 0;

  // rename(2): atomically replaces `to`. kNotFound if `from` is missing.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;

  // fsync of a directory, making creations/renames/removals in it durable.
  virtual Status SyncDir(const std::string& path) = 0;

  // True iff something exists at `path` (false also when it can't be
  // checked, e.g. permission denied on a parent).
  virtual bool Exists(const std::string& path) = 0;

  // True for a directory, false for anything else that exists (symlinks are
  // followed). kNotFound if missing.
  virtual Result<bool> IsDirectory(const std::string& path) = 0;
};

// The real file system. Stateless, so safe for concurrent use.
//
// Errno mapping: ENOENT/ENOTDIR -> kNotFound, EEXIST -> kAlreadyExists,
// ENOSPC/EDQUOT -> kResourceExhausted, EACCES/EPERM/EROFS ->
// kPermissionDenied, EISDIR -> kFailedPrecondition, anything else kInternal.
//
// WriteFileAtomic and CreateFileExclusive set `mode` with fchmod, so it is
// applied exactly (not filtered by the umask). CreateFileExclusive writes a
// temporary and link(2)s it into place, so readers never see a partial file
// and a failed create leaves nothing behind.
class PosixFileSystem final : public FileSystem {
 public:
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
};

// "a/b" + "c" -> "a/b/c".
std::string JoinPath(std::string_view dir, std::string_view name);
// "a/b/c" -> "a/b"; "c" -> "."; "/c" -> "/"; trailing slashes are ignored.
std::string DirName(std::string_view path);
// "a/b/c" -> "c"; trailing slashes are ignored.
std::string BaseName(std::string_view path);

}  // namespace kura

#endif  // KURA_CORE_FS_FILE_SYSTEM_H_
