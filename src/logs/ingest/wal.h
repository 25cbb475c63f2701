// Wal: the ingest node's write-ahead log (format: logs/ingest/wal_format.h).
//
// Write() gives each record its seq (store-wide, gap-free), clamps its
// received time so it never goes backwards, encodes it (EncodeRecord),
// chains it (h_seq = SHA-256(h_{seq-1} || bytes)), appends all frames of the
// call with one write and makes them durable with one fsync — the caller
// batches many submissions into one call (group commit, see Ingestor).
// Write returns OK only once every record of the call is durable.
//
// Fail closed: when a write or fsync fails, Write returns
//   kResourceExhausted "audit store: disk full, refusing events (...)" or
//   kUnavailable "audit store: cannot write the write-ahead log, refusing
//   events (...)"
// and nothing of that call counts as written: seq and chain continue from the
// last durable record. The file the failure happened in is never appended to
// again (after a failed fsync its page-cache state is unknown: PostgreSQL's
// "fsyncgate"); the next Write starts a new file at the last durable point,
// so ingest resumes by itself once the disk accepts writes again.
//
// Recovery (Open): reads every WAL file, verifies the chain, ignores a torn
// tail (only unacknowledged data can be there) and rewrites the newest file
// without it; joins the WAL to the archive's tail (records with seq <=
// tail.last_seq are already sealed; the link at tail.last_seq must match).
// New records go to a new file.
//
// Sealing reads durable records back with ReadDurable(): committed groups
// are kept in memory (up to WalOptions::max_cached_bytes, the bytes exactly
// as written and fsynced) until DropThrough() releases them, so the sealing
// loop does not read and re-hash the files it just wrote; records that are
// not in memory (recovered at Open, or written while the cache was full) are
// read from the files as ReadWalRecords does.
//
// Write() = Prepare() (CPU only: seq, received time, encoding, chain) then
// Commit() (one write, one fsync). They are separate so that the Ingestor
// can encode the next group while the previous one is being fsynced; a
// prepared group commits only on top of the position it was prepared from
// (kAborted otherwise, e.g. after the group before it failed: prepare it
// again from durable()).
//
// Thread safety: Write()/Commit() must not be called concurrently with each
// other (the Ingestor's sync thread calls them); Prepare() is const and may
// run concurrently with them; DropThrough(), ReadDurable() and the accessors
// may be called from any thread at any time.
#ifndef KURA_LOGS_INGEST_WAL_H_
#define KURA_LOGS_INGEST_WAL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/fs/file_system.h"
#include "logs/ingest/wal_reader.h"
#include "logs/record/chain.h"
#include "logs/record/log_record.h"

namespace kura::logs {

inline constexpr size_t kDefaultWalFileBytes = 64 << 20;
inline constexpr size_t kDefaultWalCachedBytes = 128 << 20;

struct WalOptions {
  // A file is closed and a new one started once it is at least this large.
  size_t max_file_bytes = kDefaultWalFileBytes;
  // Committed frames kept in memory for ReadDurable (0: none; then every
  // read goes to the files). Once full, groups are not kept until
  // DropThrough frees room.
  size_t max_cached_bytes = kDefaultWalCachedBytes;
};

// A point in the chain: the last record (seq 0 and the genesis link before
// the first one).
struct ChainPosition {
  uint64_t last_seq = 0;
  ChainHash last_chain = kGenesisChainHash;
  int64_t last_received_ms = 0;
};

class Wal {
 public:
  // Opens (creating if needed) the WAL in `dir`, recovering as described
  // above. `archive_tail` is where the sealed archive ends (Archive::Tail();
  // a default ChainPosition for an empty archive).
  // Errors: kDataLoss if the files do not join up with each other or with
  // the archive (a gap, a link that does not match) — refusing to start is
  // safer than continuing a chain over a hole; FileSystem errors.
  static Result<std::unique_ptr<Wal>> Open(FileSystem& fs, std::string dir, WalOptions options,
                                           const ChainPosition& archive_tail);
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Appends the records of all `batches` (in order) durably, as described
  // above. On success every record has its seq set (contiguous, in order)
  // and its received_ms possibly raised. On failure the records' seq fields
  // are unspecified and nothing was acknowledged.
  Status Write(std::span<const std::span<LogRecord>> batches);

  // A group of records encoded and chained, ready to be committed.
  struct Prepared {
    std::string frames;  // the WAL frames of every record
    ChainPosition base;  // the position the group continues
    ChainPosition end;   // the position after it
    uint64_t record_bytes = 0;
    int64_t first_received_ms = 0;
    size_t count = 0;
    ChainHasher hasher;  // reused by every Prepare of this group object
  };
  // Gives the records of `batches` their seq and received time continuing
  // `base`, encodes and chains them into *out (its buffer is reused).
  // kInvalidArgument if a record is too large for a frame (*out is then
  // empty). No I/O.
  Status Prepare(std::span<const std::span<LogRecord>> batches, const ChainPosition& base,
                 Prepared* out) const;
  // Adds the records of `batches` to the prepared group (continuing its end),
  // as if they had been part of the Prepare call. On error the group is
  // unchanged (its frames are cut back).
  Status PrepareMore(std::span<const std::span<LogRecord>> batches, Prepared* group) const;
  // Appends `group` durably (fail closed as Write). kAborted, with nothing
  // written, if group.base is not durable() any more. On success the frames
  // may be taken over for ReadDurable (group->frames is then an empty buffer,
  // possibly one recycled from groups already sealed); the rest of *group is
  // unchanged.
  Status Commit(Prepared* group);

  // The last durable record (what Write has acknowledged, or recovered).
  ChainPosition durable() const;

  // Deletes WAL files all of whose records have seq <= `seq` (they are
  // sealed in the archive). The file being written is closed first if it is
  // entirely sealed. Errors: FileSystem errors (the files stay; retried on
  // the next call).
  Status DropThrough(uint64_t seq);

  // Durable records with options.after_seq < seq <= options.through_seq, in
  // seq order, stopping as ReadWalRecords does at options.max_bytes: from
  // memory when the cache holds the record after after_seq (and from the
  // files for what follows the cache's end), else ReadWalRecords on the
  // directory — the same records either way. The bytes and links are the
  // ones written; the archive verifies the chain again when sealing.
  // Errors: those of ReadWalRecords; kDataLoss if a cached frame does not
  // hold the expected seq (a bug, never expected).
  Result<std::vector<ChainedRecord>> ReadDurable(const WalReadOptions& options) const;

  // Record bytes and oldest received time of durable records newer than the
  // last DropThrough (0 when there are none): what the sealing loop looks at.
  uint64_t unsealed_bytes() const;
  int64_t oldest_unsealed_received_ms() const;

  // Syncs and closes the current file. Write() after Close() reopens.
  Status Close();

  const std::string& dir() const { return dir_; }

 private:
  struct FileInfo {
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;  // first_seq - 1 while empty
    std::string name;
  };
  struct CachedGroup {  // the frames of one committed group, as written
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;
    std::shared_ptr<std::string> frames;  // read-only once cached
  };
  struct Group {  // one successful Write (or the recovered records)
    uint64_t last_seq = 0;
    uint64_t bytes = 0;
    int64_t first_received_ms = 0;
  };

  // DropThrough's bookkeeping under mu_: forgets the cache, groups and files
  // sealed through `seq`; the files to delete go to *drop. Caller holds mu_.
  void ForgetThrough(uint64_t seq, std::vector<FileInfo>* drop);

  Wal(FileSystem& fs, std::string dir, WalOptions options);
  Status Recover(const ChainPosition& archive_tail);
  // Opens a new file at next seq (removing a failed file of the same name).
  Status StartFile(const ChainPosition& pos);
  Status StorageError(const Status& cause, std::string_view what) const;

  FileSystem& fs_;
  const std::string dir_;
  const WalOptions options_;

  // Writer-only state (Write / Close, never concurrent).
  std::unique_ptr<WritableFile> file_;
  bool file_needs_dir_sync_ = false;
  size_t file_bytes_ = 0;
  std::string header_;  // a new file's header, written with its first group
  Prepared write_group_;  // Write()'s reused buffer

  mutable std::mutex mu_;
  ChainPosition durable_;       // GUARDED_BY(mu_)
  std::deque<FileInfo> files_;  // GUARDED_BY(mu_): oldest first; back() is being written if file_
  std::deque<Group> groups_;    // GUARDED_BY(mu_)
  uint64_t unsealed_bytes_ = 0;  // GUARDED_BY(mu_)
  std::deque<CachedGroup> cache_;  // GUARDED_BY(mu_): contiguous seqs, oldest first
  size_t cached_bytes_ = 0;        // GUARDED_BY(mu_)
  // Buffers of released cached groups, for the next groups' frames (no new
  // allocation and page faults per group).
  std::vector<std::string> spare_buffers_;  // GUARDED_BY(mu_)
  uint64_t dropped_through_ = 0;  // GUARDED_BY(mu_)
  bool current_open_ = false;     // GUARDED_BY(mu_): files_.back() is file_
  bool rotate_requested_ = false;  // GUARDED_BY(mu_): the current file is all sealed
};

}  // namespace kura::logs

#endif  // KURA_LOGS_INGEST_WAL_H_
