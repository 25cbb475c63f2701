// Test helpers for the ingest tests: a temporary directory and records.
#ifndef KURA_LOGS_INGEST_INGEST_TEST_UTIL_H_
#define KURA_LOGS_INGEST_INGEST_TEST_UTIL_H_

#include <stdlib.h>

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/fs/file_system.h"
#include "core/testing/temp_dir.h"
#include "logs/record/log_record.h"

namespace kura::logs::testing {

using kura::testing::TempDir;

inline LogRecord MakeRecord(std::string message, int64_t received_ms = 1'767'225'600'000) {
  LogRecord r;
  r.received_ms = received_ms;
  r.ts_ms = received_ms;
  r.node = "n1";
  r.source = "http";
  r.event = "test.event";
  r.message = std::move(message);
  return r;
}

inline std::vector<LogRecord> MakeRecords(const std::string& prefix, int n) {
  std::vector<LogRecord> out;
  for (int i = 0; i < n; ++i) out.push_back(MakeRecord(prefix + std::to_string(i)));
  return out;
}

// Forwards to another FileSystem; while closed, WritableFile::Sync blocks
// until Open() (to hold a group commit in its fsync deterministically).
class GatedFileSystem final : public FileSystem {
 public:
  explicit GatedFileSystem(FileSystem& base) : base_(base) {}
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  // Blocks until some Sync is waiting at the closed gate.
  void AwaitBlockedSync() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return waiting_ > 0; });
  }
  void Pass() {
    std::unique_lock<std::mutex> lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    --waiting_;
  }

  Result<std::string> ReadFile(const std::string& p) override { return base_.ReadFile(p); }
  Result<std::string> ReadFileAtMost(const std::string& p, size_t max) override {
    return base_.ReadFileAtMost(p, max);
  }
  Status WriteFileAtomic(const std::string& p, std::string_view d, uint32_t m) override {
    return base_.WriteFileAtomic(p, d, m);
  }
  Status CreateFileExclusive(const std::string& p, std::string_view d, uint32_t m) override {
    return base_.CreateFileExclusive(p, d, m);
  }
  Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& p, uint32_t m) override {
    auto f = base_.OpenAppendable(p, m);
    if (!f.ok()) return f.status();
    return std::unique_ptr<WritableFile>(new File(*this, std::move(f).value()));
  }
  Status CreateDirs(const std::string& p, uint32_t m) override { return base_.CreateDirs(p, m); }
  Result<std::vector<std::string>> ListDir(const std::string& p) override { return base_.ListDir(p); }
  Status RemoveFile(const std::string& p) override { return base_.RemoveFile(p); }
  Status RemoveDir(const std::string& p) override { return base_.RemoveDir(p); }
  Status Rename(const std::string& a, const std::string& b) override { return base_.Rename(a, b); }
  Status SyncDir(const std::string& p) override { return base_.SyncDir(p); }
  bool Exists(const std::string& p) override { return base_.Exists(p); }
  Result<bool> IsDirectory(const std::string& p) override { return base_.IsDirectory(p); }

 private:
  class File final : public WritableFile {
   public:
    File(GatedFileSystem& fs, std::unique_ptr<WritableFile> f) : fs_(fs), f_(std::move(f)) {}
    Status Append(std::string_view d) override { return f_->Append(d); }
    Status Sync() override {
      fs_.Pass();
      return f_->Sync();
    }
    Status Close() override { return f_->Close(); }

   private:
    GatedFileSystem& fs_;
    std::unique_ptr<WritableFile> f_;
  };
  FileSystem& base_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  int waiting_ = 0;
};

}  // namespace kura::logs::testing

#endif  // KURA_LOGS_INGEST_INGEST_TEST_UTIL_H_
