// FileTailer: follows a JSON-lines audit file (e.g. the vault's
// `[audit] file`, docs/audit-events.md) and feeds each new complete line to
// the Ingestor as an event (source "file"). This is how the vault's audit
// events reach the store without any change to the vault.
//
// Durable offset checkpoint: <checkpoint_dir>/<name>.offset holds the byte
// offset up to which lines are in the store; it is advanced (atomic
// replace) only after the Ingestor has made those lines durable. A crash
// between the two re-reads those lines after restart (at-least-once:
// duplicates possible, losses not). An incomplete last line (the writer is
// mid-write) waits for its newline. A file shorter than the checkpoint was
// truncated or rotated: it is read again from the start. Bad lines are
// counted as rejected (not echoed) and skipped.
//
// Cost: the file is read whole on each poll (FileSystem has no ranged
// read); rotate the source file (logrotate) to keep it small.
//
// Thread safety: PollOnce from one thread at a time.
#ifndef KURA_LOGS_INGEST_FILE_TAILER_H_
#define KURA_LOGS_INGEST_FILE_TAILER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/fs/file_system.h"
#include "logs/ingest/ingestor.h"

namespace kura::logs {

inline constexpr size_t kMaxTailLinesPerPoll = 10'000;

struct TailSource {
  std::string name;  // [A-Za-z0-9_.-]+, names the checkpoint file
  std::string path;  // the file to follow
};

class FileTailer {
 public:
  FileTailer(FileSystem& fs, Ingestor& ingestor, const Clock& clock, std::string checkpoint_dir,
             TailSource source, std::string node_id);

  // Reads the lines added since the checkpoint (at most
  // kMaxTailLinesPerPoll), submits them, advances the checkpoint. Returns
  // the number of events accepted. A missing source file is 0 (not yet
  // created). Errors: the Ingestor's (ingest refusing: the checkpoint stays,
  // the lines are retried next poll); FileSystem errors; kDataLoss for an
  // unreadable checkpoint.
  Result<size_t> PollOnce();

  uint64_t offset() const { return offset_; }
  uint64_t rejected() const { return rejected_; }

 private:
  Status LoadCheckpoint();

  FileSystem& fs_;
  Ingestor& ingestor_;
  const Clock& clock_;
  const std::string checkpoint_path_;
  const TailSource source_;
  const std::string node_id_;
  bool loaded_ = false;
  uint64_t offset_ = 0;
  uint64_t rejected_ = 0;
};

}  // namespace kura::logs

#endif  // KURA_LOGS_INGEST_FILE_TAILER_H_
