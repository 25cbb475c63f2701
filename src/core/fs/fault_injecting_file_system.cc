#include "core/fs/fault_injecting_file_system.h"

#include <utility>

namespace kura {
namespace {

class FaultInjectingWritableFile final : public WritableFile {
 public:
  FaultInjectingWritableFile(FaultInjectingFileSystem& fs, std::unique_ptr<WritableFile> base,
                             std::string path)
      : fs_(fs), base_(std::move(base)), path_(std::move(path)) {}

  Status Append(std::string_view data) override {
    if (!error_.ok()) return error_;
    RETURN_IF_ERROR(Poison(fs_.MaybeFailWrite(path_, data.size())));
    return base_->Append(data);
  }
  Status Sync() override {
    if (!error_.ok()) return error_;
    RETURN_IF_ERROR(Poison(fs_.MaybeFailSync()));
    return base_->Sync();
  }
  Status Close() override {
    Status st = base_->Close();
    if (!error_.ok()) return error_;
    return st;
  }

 private:
  // Mirrors PosixWritableFile: an injected failure is sticky.
  Status Poison(Status st) {
    if (!st.ok()) error_ = st;
    return st;
  }

  FaultInjectingFileSystem& fs_;
  const std::unique_ptr<WritableFile> base_;
  const std::string path_;
  Status error_;
};

}  // namespace

void FaultInjectingFileSystem::FailNextSync() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_sync_ = true;
}

void FaultInjectingFileSystem::FailAllSyncs(bool fail) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_all_syncs_ = fail;
}

void FaultInjectingFileSystem::FailWritesAfterBytes(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  write_limit_ = n;
  written_since_limit_ = 0;
}

void FaultInjectingFileSystem::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_sync_ = false;
  fail_all_syncs_ = false;
  fail_next_remove_ = false;
  write_limit_.reset();
}

uint64_t FaultInjectingFileSystem::bytes_written() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_written_;
}

uint64_t FaultInjectingFileSystem::injected_failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return injected_failures_;
}

Status FaultInjectingFileSystem::MaybeFailSync() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fail_all_syncs_ || fail_next_sync_) {
    fail_next_sync_ = false;
    ++injected_failures_;
    return InternalError("fsync failed");
  }
  return OkStatus();
}

Status FaultInjectingFileSystem::MaybeFailWrite(const std::string& path, uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (write_limit_.has_value() && written_since_limit_ + n > *write_limit_) {
    ++injected_failures_;
    return ResourceExhaustedError("write '" + path + "': No space left on device (injected)");
  }
  // Counted before the wrapped call: a real disk's space is also gone once
  // write(2) has accepted the bytes, whatever happens afterwards.
  written_since_limit_ += n;
  bytes_written_ += n;
  return OkStatus();
}

Result<std::string> FaultInjectingFileSystem::ReadFile(const std::string& path) {
  return base_.ReadFile(path);
}

Result<std::string> FaultInjectingFileSystem::ReadFileAtMost(const std::string& path,
                                                             size_t max_bytes) {
  return base_.ReadFileAtMost(path, max_bytes);
}

Status FaultInjectingFileSystem::WriteFileAtomic(const std::string& path, std::string_view data,
                                                 uint32_t mode) {
  RETURN_IF_ERROR(MaybeFailWrite(path, data.size()));
  RETURN_IF_ERROR(MaybeFailSync());
  return base_.WriteFileAtomic(path, data, mode);
}

Status FaultInjectingFileSystem::CreateFileExclusive(const std::string& path,
                                                     std::string_view data, uint32_t mode) {
  // An existing file is reported as such even while faults are armed.
  if (base_.Exists(path)) return AlreadyExistsError("create '" + path + "': file exists");
  RETURN_IF_ERROR(MaybeFailWrite(path, data.size()));
  RETURN_IF_ERROR(MaybeFailSync());
  return base_.CreateFileExclusive(path, data, mode);
}

Result<std::unique_ptr<WritableFile>> FaultInjectingFileSystem::OpenAppendable(
    const std::string& path, uint32_t mode) {
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, base_.OpenAppendable(path, mode));
  return std::unique_ptr<WritableFile>(
      std::make_unique<FaultInjectingWritableFile>(*this, std::move(file), path));
}

Status FaultInjectingFileSystem::CreateDirs(const std::string& path, uint32_t mode) {
  return base_.CreateDirs(path, mode);
}

Result<std::vector<std::string>> FaultInjectingFileSystem::ListDir(const std::string& path) {
  return base_.ListDir(path);
}

void FaultInjectingFileSystem::FailNextRemove() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_remove_ = true;
}

Status FaultInjectingFileSystem::RemoveFile(const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_next_remove_) {
      fail_next_remove_ = false;
      ++injected_failures_;
      return InternalError("injected failure removing " + path);
    }
  }
  return base_.RemoveFile(path);
}

Status FaultInjectingFileSystem::RemoveDir(const std::string& path) {
  return base_.RemoveDir(path);
}

Status FaultInjectingFileSystem::Rename(const std::string& from, const std::string& to) {
  return base_.Rename(from, to);
}

Status FaultInjectingFileSystem::SyncDir(const std::string& path) {
  RETURN_IF_ERROR(MaybeFailSync());
  return base_.SyncDir(path);
}

bool FaultInjectingFileSystem::Exists(const std::string& path) { return base_.Exists(path); }

Result<bool> FaultInjectingFileSystem::IsDirectory(const std::string& path) {
  return base_.IsDirectory(path);
}

}  // namespace kura
