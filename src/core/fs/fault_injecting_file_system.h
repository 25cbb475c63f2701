// FaultInjectingFileSystem: wraps another FileSystem and injects the failures
// that matter for durability (LevelDB's ErrorEnv / fault_injection_test):
//
//   * fsync failures: the next one (FailNextSync) or all of them
//     (FailAllSyncs) fail with kInternal "fsync failed";
//   * a full disk: once more than N bytes have been written through this
//     wrapper (FailWritesAfterBytes), writes fail with kResourceExhausted.
//
// Which operations count as a "sync": WritableFile::Sync, SyncDir, and the
// fsync inside WriteFileAtomic and CreateFileExclusive. An injected failure
// in those two happens before the rename/link, so — as the FileSystem
// contract promises — the target keeps its old state and nothing is passed to
// the wrapped file system. Bytes counted as "written": the data of
// WriteFileAtomic, CreateFileExclusive and WritableFile::Append. A write that
// would cross the limit fails as a whole and writes nothing.
//
// WritableFiles returned by OpenAppendable fail closed like the real ones:
// after an injected failure every later call on that file fails, even after
// ClearFaults().
//
// Thread safety: safe for concurrent use. The wrapped FileSystem must outlive
// this object, and this object must outlive the WritableFiles it returns.
#ifndef KURA_CORE_FS_FAULT_INJECTING_FILE_SYSTEM_H_
#define KURA_CORE_FS_FAULT_INJECTING_FILE_SYSTEM_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/fs/file_system.h"

namespace kura {

class FaultInjectingFileSystem final : public FileSystem {
 public:
  explicit FaultInjectingFileSystem(FileSystem& base) : base_(base) {}
  FaultInjectingFileSystem(const FaultInjectingFileSystem&) = delete;
  FaultInjectingFileSystem& operator=(const FaultInjectingFileSystem&) = delete;

  // Fault switches.

  // The next sync (of any kind, see above) fails once.
  void FailNextSync();
  // Every sync fails until ClearFaults() or FailAllSyncs(false).
  void FailAllSyncs(bool fail);
  // Simulates a disk with `n` bytes of free space left, counted from now:
  // a write that would bring the total written since this call above `n`
  // fails with kResourceExhausted.
  void FailWritesAfterBytes(uint64_t n);
  // The next RemoveFile fails once (kInternal, the file stays).
  void FailNextRemove();
  // Removes every armed fault (already poisoned files stay poisoned).
  void ClearFaults();

  // Observations.

  // Bytes successfully written through this wrapper since construction.
  uint64_t bytes_written() const;
  // How many failures were injected since construction.
  uint64_t injected_failures() const;

  // FileSystem.
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

  // Used by the wrapped WritableFiles; not for callers.
  // OK, or the injected sync failure (consumes a FailNextSync).
  Status MaybeFailSync();
  // OK and counts `n` bytes as written, or the injected disk-full error.
  Status MaybeFailWrite(const std::string& path, uint64_t n);

 private:
  FileSystem& base_;
  mutable std::mutex mu_;
  bool fail_next_sync_ = false;                 // GUARDED_BY(mu_)
  bool fail_all_syncs_ = false;                 // GUARDED_BY(mu_)
  bool fail_next_remove_ = false;               // GUARDED_BY(mu_)
  std::optional<uint64_t> write_limit_;         // GUARDED_BY(mu_)
  uint64_t written_since_limit_ = 0;            // GUARDED_BY(mu_)
  uint64_t bytes_written_ = 0;                  // GUARDED_BY(mu_)
  uint64_t injected_failures_ = 0;              // GUARDED_BY(mu_)
};

}  // namespace kura

#endif  // KURA_CORE_FS_FAULT_INJECTING_FILE_SYSTEM_H_
