#include "core/audit/audit_sink.h"

#include <utility>

namespace kura {

Result<std::unique_ptr<FileAuditSink>> FileAuditSink::Open(FileSystem& fs,
                                                           const std::string& path) {
  std::vector<std::unique_ptr<WritableFile>> files;
  files.reserve(kAuditFileHandles);
  for (size_t i = 0; i < kAuditFileHandles; ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, fs.OpenAppendable(path, 0600));
    files.push_back(std::move(file));
  }
  return std::unique_ptr<FileAuditSink>(new FileAuditSink(std::move(files)));
}

Result<std::unique_ptr<WritableFile>> FileAuditSink::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return !error_.ok() || !idle_.empty(); });
  if (!error_.ok()) return error_;
  std::unique_ptr<WritableFile> file = std::move(idle_.back());
  idle_.pop_back();
  return file;
}

void FileAuditSink::Release(std::unique_ptr<WritableFile> file, const Status& st) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!st.ok()) {
      if (error_.ok()) error_ = st;
    } else {
      idle_.push_back(std::move(file));
    }
  }
  // All waiters on failure (they must all see the error), one otherwise.
  if (st.ok()) {
    idle_cv_.notify_one();
  } else {
    idle_cv_.notify_all();
  }
}

template <typename Op>
Status FileAuditSink::WithFile(Op op) {
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, Acquire());
  Status st;
  try {
    st = op(*file);
  } catch (...) {
    st = InternalError("audit file: write failed: out of memory");
  }
  Release(std::move(file), st);
  return st;
}

Status FileAuditSink::Write(std::string_view json_line) {
  std::string line;
  line.reserve(json_line.size() + 1);
  line.append(json_line);
  line += '\n';
  return WithFile([&line](WritableFile& f) { return f.Append(line); });
}

Status FileAuditSink::Flush() {
  return WithFile([](WritableFile& f) { return f.Sync(); });
}

Status StreamAuditSink::Write(std::string_view json_line) {
  std::lock_guard<std::mutex> lock(mu_);
  out_ << json_line << '\n';
  if (!out_.good()) return InternalError("audit stream write failed");
  return OkStatus();
}

Status StreamAuditSink::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  out_.flush();
  if (!out_.good()) return InternalError("audit stream flush failed");
  return OkStatus();
}

Status MemoryAuditSink::Write(std::string_view json_line) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failure_.ok()) return failure_;
  lines_.emplace_back(json_line);
  return OkStatus();
}

Status MemoryAuditSink::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failure_.ok()) return failure_;
  ++flushes_;
  return OkStatus();
}

std::vector<std::string> MemoryAuditSink::lines() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lines_;
}

void MemoryAuditSink::SetFailure(Status error) {
  std::lock_guard<std::mutex> lock(mu_);
  failure_ = std::move(error);
}

int MemoryAuditSink::flushes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return flushes_;
}

}  // namespace kura
