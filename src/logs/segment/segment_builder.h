// SegmentBuilder: turns a run of chained records into one segment: the data
// object (zstd-compressed JSON Lines) and its hot-tier index.
//
// Data format (docs/logs.md "Segments and the hot index"): a concatenation
// of independent zstd frames ("blocks"), each holding whole records of about
// `block_bytes` raw bytes; decompressed, the object is the record bytes, each
// followed by '\n' — plain JSON Lines that `zstd -d`, DuckDB, Athena and
// Trino read. Frames carry their content size and checksum. The index
// (segment_index.h) describes the blocks and lets searches skip them.
//
// Usage: Add() the records in seq order, then Finish(); the builder is then
// empty and can be reused for the next segment.
//
// Compression of a full block runs on a helper thread (std::async) while
// the next block's records are added and indexed; at most one block is in
// flight, so memory stays at about two blocks. The output bytes are the same
// as compressing in line (same zstd context and parameters, same order).
//
// Thread safety: not thread-safe (one builder per thread).
#ifndef KURA_LOGS_SEGMENT_SEGMENT_BUILDER_H_
#define KURA_LOGS_SEGMENT_SEGMENT_BUILDER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/base/status.h"
#include "logs/record/chain.h"
#include "logs/segment/segment_index.h"

struct ZSTD_CCtx_s;

namespace kura::logs {

struct SegmentOptions {
  size_t block_bytes = 1 << 20;  // raw bytes per block (a block = one zstd frame)
  // Compression is paid once, at seal time; decompression speed hardly
  // depends on the level. Level 7 keeps data + index under 1/5 of the raw
  // NDJSON on the benchmark's mix (level 3: about 1/4.5).
  int zstd_level = 7;
};

struct BuiltSegment {
  std::string data;   // concatenated zstd frames; decompressed = the record bytes, each followed by '\n'
  std::string index;  // the hot-tier index blob for this segment (segment_index.h)
  uint64_t first_seq = 0, last_seq = 0, record_count = 0;
  int64_t min_received_ms = 0, max_received_ms = 0;
};

class SegmentBuilder {
 public:
  explicit SegmentBuilder(SegmentOptions options = {});
  ~SegmentBuilder();
  SegmentBuilder(const SegmentBuilder&) = delete;
  SegmentBuilder& operator=(const SegmentBuilder&) = delete;

  // Adds one record. Records must come in strictly increasing seq order.
  // kInvalidArgument (and nothing added) when: seq is not above the previous
  // record's, the bytes are empty, contain a newline, are not a record
  // (RecordView), or their "seq"/"received" differ from record.seq /
  // record.received_ms. kInternal if compression fails (out of memory).
  Status Add(const ChainedRecord& record);

  // Bytes added so far (record bytes plus one newline each), for size-based
  // sealing.
  size_t raw_bytes() const { return raw_bytes_; }
  size_t record_count() const { return record_count_; }

  // The segment of every record added since construction or the last
  // Finish. kFailedPrecondition if no record was added. The builder is empty
  // afterwards (also on error) and can be reused.
  Result<BuiltSegment> Finish();

 private:
  // Lookups by string_view without building a std::string per record.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct CountState {
    std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> ids;
    std::vector<std::string> values;
    std::vector<std::vector<std::pair<uint32_t, uint64_t>>> per_block;
    std::vector<uint64_t> block;    // value id -> records in the open block
    std::vector<uint32_t> touched;  // ids with block[id] > 0
    bool overflow = false;
  };

  Status FlushBlock();
  void Reset();
  // Compresses compress_in_ into compress_out_ with cctx_ (the helper
  // thread's work).
  Status CompressPending();
  // Waits for the block in flight and appends its frame to data_, setting
  // its BlockInfo's offset and length. OK when none is in flight.
  Status CollectCompressed();
  // Waits for the block in flight and drops it.
  void DiscardCompressed();
  // Leaves the distinct values of block_tokens_ (in no particular order).
  void DedupTokens();

  const SegmentOptions options_;
  ZSTD_CCtx_s* cctx_ = nullptr;  // owned

  // The segment so far.
  std::string data_;
  SegmentIndex index_;
  std::array<CountState, kCountedFields.size()> counts_;
  size_t raw_bytes_ = 0;
  size_t record_count_ = 0;
  bool have_last_ = false;
  uint64_t last_seq_ = 0;

  // The open block.
  std::string block_raw_;
  std::vector<uint64_t> block_tokens_;
  std::vector<uint64_t> dedup_table_;  // DedupTokens' open-addressing table
  BlockInfo block_;

  // The block being compressed (owned by the helper while pending_).
  bool pending_ = false;
  std::future<Status> compressing_;  // invalid when compressed in line
  Status compressed_status_;         // result when compressed in line
  size_t pending_block_ = 0;         // its index in index_.blocks
  std::string compress_in_;
  std::string compress_out_;
  uint64_t compress_hash_ = 0;       // BlockFrameHash(compress_out_)
  std::string scratch_;
};

}  // namespace kura::logs

#endif  // KURA_LOGS_SEGMENT_SEGMENT_BUILDER_H_
