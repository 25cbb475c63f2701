#include "core/audit/audit_sink.h"

#include <utility>

namespace kura {

Result<std::unique_ptr<FileAuditSink>> FileAuditSink::Open(FileSystem& fs,
                                                           const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, fs.OpenAppendable(path, 0600));
  return std::unique_ptr<FileAuditSink>(new FileAuditSink(std::move(file)));
}

Status FileAuditSink::Write(std::string_view json_line) {
  std::string line;
  line.reserve(json_line.size() + 1);
  line.append(json_line);
  line += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  return file_->Append(line);
}

Status FileAuditSink::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  return file_->Sync();
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
