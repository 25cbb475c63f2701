// Reading the ingest write-ahead log from outside the writer: search (the
// newest, not yet sealed records are "instantly searchable"), the sealing
// loop and tests. Format: logs/ingest/wal_format.h.
//
// The WAL may still hold records that were already sealed into the archive
// (files are dropped after sealing, not at once): callers that also read the
// archive skip records with seq <= Archive::Tail().last_seq.
//
// Records that were written but not yet fsynced can be visible (the writer
// acknowledges only after the fsync); after a failed fsync the writer starts a
// new file at the last durable seq, and a reader prefers that file's records
// over the failed file's tail.
//
// Thread safety: free functions; safe to call while a Wal writes to the same
// directory (a file dropped meanwhile is skipped).
#ifndef KURA_LOGS_INGEST_WAL_READER_H_
#define KURA_LOGS_INGEST_WAL_READER_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/fs/file_system.h"
#include "logs/record/chain.h"

namespace kura::logs {

struct WalReadOptions {
  // Only records with after_seq < seq <= through_seq.
  uint64_t after_seq = 0;
  uint64_t through_seq = std::numeric_limits<uint64_t>::max();
  // Stop once the records returned hold at least this many record bytes
  // (always returns at least one record when there is one).
  uint64_t max_bytes = std::numeric_limits<uint64_t>::max();
};

// Every complete, chain-valid record currently in the WAL at `wal_dir`, in
// seq order. A torn tail of the newest file, or a newest file the writer has
// created but not yet written a whole header to, is ignored. A missing directory
// is an empty WAL.
// Errors: kDataLoss when the files do not join up (a record missing between
// two files, or a file whose first link does not continue the previous
// file's chain) — corruption, not a crash; FileSystem errors.
Result<std::vector<ChainedRecord>> ReadWalRecords(FileSystem& fs, const std::string& wal_dir);
Result<std::vector<ChainedRecord>> ReadWalRecords(FileSystem& fs, const std::string& wal_dir,
                                                  const WalReadOptions& options);

}  // namespace kura::logs

#endif  // KURA_LOGS_INGEST_WAL_READER_H_
