// Import: bulk-loads NDJSON events (an old log export, a benchmark data set)
// straight into sealed archive segments, without the WAL.
//
// Each non-blank line is one JSON event, mapped by RecordFromJsonEvent
// (source "import", PAN guard, UTF-8 check, kMaxEventBytes). Its received
// time is the event's own time ("ts"/"time"/"timestamp", required), which
// must not go backwards (line by line, starting from the archive tail's
// received time) nor be more than kMaxFutureReceivedMs ahead of the clock.
// Accepted events get the next seqs and chain links and are sealed into
// segments of about `segment_bytes` raw bytes, one UTC day per segment.
//
// A bad line (invalid JSON or UTF-8, too long, no or bad time, time going
// backwards) is rejected: it is counted and reported by line number and
// reason, never echoed, and the import goes on. Accepted events are sealed
// (durable, signed) before Import returns; an I/O error ends the import and
// returns the error — everything sealed before it stays in the archive
// (Tail() tells where it ended).
//
// Memory is bounded (a few input batches plus two segments' records):
// mapping runs on `threads` threads, sealing (index + writes) on another,
// overlapping with the next segment's mapping, and the SegmentBuilder
// compresses each block on a helper thread while it indexes the next.
//
// Thread safety: Import may not run concurrently with another writer of
// the same archive (see archive.h).
#ifndef KURA_LOGS_ARCHIVE_IMPORTER_H_
#define KURA_LOGS_ARCHIVE_IMPORTER_H_

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/status.h"
#include "logs/archive/archive.h"

namespace kura::logs {

// A bulk import seals larger segments than a live node (64 MiB): fewer
// objects per day for Athena/Trino (which prefer files of 128 MiB+) and fewer
// per-segment index reads for a search over months.
inline constexpr size_t kDefaultImportSegmentBytes = size_t{256} << 20;
// How many rejected lines are listed individually (all are counted).
inline constexpr size_t kMaxListedRejections = 100;

struct ImportOptions {
  std::string node = "import";  // the records' "node"
  size_t segment_bytes = kDefaultImportSegmentBytes;
  int threads = 2;  // mapping threads
};

struct ImportRejection {
  uint64_t line = 0;   // 1-based
  std::string reason;  // never contains the line's text
};

struct ImportReport {
  uint64_t input_bytes = 0;  // bytes read from the input
  uint64_t lines = 0;     // non-blank lines read
  uint64_t imported = 0;  // records sealed
  uint64_t rejected = 0;
  std::vector<ImportRejection> rejections;  // the first kMaxListedRejections
  uint64_t first_seq = 0;  // of the imported records (0 if none)
  uint64_t last_seq = 0;
  uint64_t raw_bytes = 0;   // record bytes + newlines sealed
  uint64_t data_bytes = 0;  // compressed data objects written
  uint64_t index_bytes = 0;
  uint64_t segments = 0;
};

// Errors: kInvalidArgument for bad options; kDataLoss if `in` fails while
// reading; Archive::Seal errors (the message says how far the import got).
Result<ImportReport> ImportNdjson(std::istream& in, Archive& archive, const Clock& clock,
                                  const ImportOptions& options = {});

}  // namespace kura::logs

#endif  // KURA_LOGS_ARCHIVE_IMPORTER_H_
