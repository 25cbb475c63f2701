// The on-disk format of the ingest write-ahead log (docs/logs.md, "Ingest").
//
// A WAL is a directory of files named "wal-<first seq, 20 digits>.log".
// Each file is
//
//   header: "KURAWAL1" | first_seq (u64 LE) | prev_chain (32 bytes)
//   frames: len (u32 LE) | record bytes (len) | chain (32 bytes)
//
// where prev_chain is the chain link before the file's first record and each
// frame's chain is h_seq = SHA-256(h_{seq-1} || record bytes). The chain is
// the frame checksum: a torn or corrupted frame fails it, so a reader stops at
// the first frame that does not verify. Record i of a file has seq
// first_seq + i, and its record bytes start with {"seq":<seq>,"received":"…"
// (EncodeRecord's fixed field order), which the reader checks.
//
// Thread safety: free functions, thread-safe.
#ifndef KURA_LOGS_INGEST_WAL_FORMAT_H_
#define KURA_LOGS_INGEST_WAL_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "logs/record/chain.h"

namespace kura::logs {

inline constexpr std::string_view kWalMagic = "KURAWAL1";
inline constexpr size_t kWalHeaderBytes = 8 + 8 + 32;
inline constexpr size_t kWalFrameOverhead = 4 + 32;
// Largest record bytes a frame may carry. Events are at most kMaxEventBytes of
// JSON or message text; JSON escaping (at most 6 bytes per byte of a
// control character) and the added fields stay below this.
inline constexpr size_t kMaxWalRecordBytes = 8 << 20;

// The record length at the start of a frame (its first 4 bytes, little
// endian). `frame` must point at kWalFrameOverhead or more readable bytes.
uint32_t WalFrameRecordLength(const char* frame);

// "wal-00000000000000000042.log".
std::string WalFileName(uint64_t first_seq);
// The first seq of a WAL file name, or false for any other name.
bool ParseWalFileName(std::string_view name, uint64_t* first_seq);

void AppendWalHeader(uint64_t first_seq, const ChainHash& prev_chain, std::string* out);

// The seq and received time at the start of record bytes, without a full
// parse. kDataLoss if the bytes do not start as EncodeRecord writes them.
struct RecordPrefix {
  uint64_t seq = 0;
  int64_t received_ms = 0;
};
Result<RecordPrefix> ParseRecordPrefix(std::string_view record_bytes);

// What a WAL file holds, as far as it verifies.
struct WalFileScan {
  bool header_ok = false;
  uint64_t first_seq = 0;    // from the header
  ChainHash prev_chain{};    // from the header
  uint64_t record_count = 0;  // frames that verify, from the start
  uint64_t record_bytes = 0;  // sum of their record bytes
  ChainHash last_chain{};     // prev_chain when record_count == 0
  int64_t last_received_ms = 0;
  int64_t first_received_ms = 0;
  size_t valid_bytes = 0;    // header + verified frames (0 if !header_ok)
  bool torn = false;         // bytes follow the last verified frame
  // Fewer bytes than a header, and those a prefix of what the header would
  // be — or such a prefix followed only by zero bytes (after a power loss
  // the file's size can reach the disk before its data; also a whole magic
  // and seq followed only by zeros): the file was
  // created but its first write (header and first group, fsynced before
  // anything in it is acknowledged) never completed. Such a file holds no
  // acknowledged record.
  bool header_cut_short = false;
  // The verified records with seq in [keep_from, keep_through] (see below).
  std::vector<ChainedRecord> records;
};

// Scans `data`, the contents of a file named for `expected_first_seq`. Never
// fails: a bad header gives header_ok = false and valid_bytes 0; anything
// after the first frame that does not verify is reported as torn. Records
// with keep_from <= seq <= keep_through are copied into `records`. Frames
// after seq `stop_after` are not looked at (a later file supersedes them).
WalFileScan ScanWalFile(std::string_view data, uint64_t expected_first_seq, uint64_t keep_from,
                        uint64_t keep_through,
                        uint64_t stop_after = std::numeric_limits<uint64_t>::max());

}  // namespace kura::logs

#endif  // KURA_LOGS_INGEST_WAL_FORMAT_H_
