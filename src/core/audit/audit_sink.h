// AuditSink: where AuditLog writes its lines (a file, stdout, memory).
//
// A sink receives one complete JSON object per Write() call, without a
// trailing newline; the sink terminates it with '\n'. Sinks report failures
// as Status and never drop lines silently: AuditLog returns their errors to
// callers, which fail closed.
//
// Thread safety: every sink here is safe for concurrent use; a line is
// written whole (never interleaved with another).
#ifndef KURA_CORE_AUDIT_AUDIT_SINK_H_
#define KURA_CORE_AUDIT_AUDIT_SINK_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/fs/file_system.h"

namespace kura {

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Writes `json_line` plus '\n'. Errors depend on the sink.
  virtual Status Write(std::string_view json_line) = 0;
  // Makes written lines durable/visible (fsync, stream flush).
  virtual Status Flush() = 0;
};

// Appends to a file (created 0600 if missing) through FileSystem.
// Write = one WritableFile::Append per line (one write(2) with O_APPEND, so
// lines from several threads or processes do not interleave; the one
// exception is a short write(2), which on a local file system only happens
// as the disk fills up: its remainder is a second write(2), and another
// descriptor's line may land in between — the disk-full error that
// normally follows poisons the sink); Flush = Sync (fdatasync, which covers
// every line written before it through any of the sink's descriptors: the
// kernel syncs the file, not a descriptor).
//
// The sink holds kAuditFileHandles descriptors of the same file, so that
// concurrent writers each append through their own instead of queueing
// behind one lock held across the write(2) call: a writer preempted in the
// kernel then stalls only itself. More concurrent writers than descriptors
// wait for one to come back.
//
// After any failure the sink fails closed: every later call returns the
// first error (kResourceExhausted on a full disk, kInternal otherwise), like
// the WritableFile under it.
class FileAuditSink final : public AuditSink {
 public:
  // Descriptors opened per sink: as many concurrent writers as the vault's
  // two HTTP I/O threads need, with room; more wait for a free one.
  static constexpr size_t kAuditFileHandles = 4;

  // Opens `path` for appending (kAuditFileHandles times). Errors of
  // FileSystem::OpenAppendable (kNotFound if the directory is missing, ...).
  // `fs` must outlive the sink.
  static Result<std::unique_ptr<FileAuditSink>> Open(FileSystem& fs, const std::string& path);

  Status Write(std::string_view json_line) override;
  Status Flush() override;

 private:
  explicit FileAuditSink(std::vector<std::unique_ptr<WritableFile>> files)
      : idle_(std::move(files)) {}

  // An idle descriptor, waiting for one if all are in use; the sticky error
  // if the sink has failed.
  Result<std::unique_ptr<WritableFile>> Acquire();
  // Returns `file` after a call that ended with `st`; a failure poisons the
  // sink (and the file is dropped).
  void Release(std::unique_ptr<WritableFile> file, const Status& st);
  // Acquire, `op(file)`, Release; an exception from `op` counts as a
  // failure (the sink fails closed rather than losing a descriptor).
  // Defined and used in audit_sink.cc only.
  template <typename Op>
  Status WithFile(Op op);

  std::mutex mu_;
  std::condition_variable idle_cv_;
  std::vector<std::unique_ptr<WritableFile>> idle_;  // GUARDED_BY(mu_)
  Status error_;                                     // GUARDED_BY(mu_)
};

// Writes to a std::ostream (e.g. std::cout for container logs). kInternal if
// the stream goes bad. The stream must outlive the sink and must not be
// written by anyone else while the sink is in use.
class StreamAuditSink final : public AuditSink {
 public:
  explicit StreamAuditSink(std::ostream& out) : out_(out) {}

  Status Write(std::string_view json_line) override;
  Status Flush() override;

 private:
  std::mutex mu_;
  std::ostream& out_;  // GUARDED_BY(mu_)
};

// Keeps lines in memory, for tests. Can be told to fail.
class MemoryAuditSink final : public AuditSink {
 public:
  Status Write(std::string_view json_line) override;
  Status Flush() override;

  // Copies of the lines written so far (without '\n').
  std::vector<std::string> lines() const;
  // From now on Write and Flush return `error` (OK to heal).
  void SetFailure(Status error);
  // Number of Flush() calls that succeeded.
  int flushes() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;  // GUARDED_BY(mu_)
  Status failure_;                  // GUARDED_BY(mu_)
  int flushes_ = 0;                 // GUARDED_BY(mu_)
};

}  // namespace kura

#endif  // KURA_CORE_AUDIT_AUDIT_SINK_H_
