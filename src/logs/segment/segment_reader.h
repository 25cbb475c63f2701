// Reading segments: decompress a data object (zstd frames of JSON Lines, see
// segment_builder.h) and iterate its record bytes.
//
// SegmentReader needs only the data object (no index), so verify and
// cold-tier searches work on data alone; DecompressBlock decodes one frame
// selected through the index. Every frame is checked (zstd content checksum
// when present, size limits), and the text must be lines of non-empty record
// bytes each ended by '\n'; anything else is kDataLoss naming the byte offset
// of the bad frame (never the data itself).
//
// Thread safety: DecompressBlock is thread-safe; a SegmentReader object is
// not (one per thread).
#ifndef KURA_LOGS_SEGMENT_SEGMENT_READER_H_
#define KURA_LOGS_SEGMENT_SEGMENT_READER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

struct ZSTD_DCtx_s;

namespace kura::logs {

// Largest decompressed frame accepted (a damaged or hostile object must not
// exhaust memory). Builders write frames of about block_bytes plus one record.
inline constexpr size_t kMaxBlockRawBytes = size_t{64} << 20;
// Compressed bytes BlockDecompressor::DecompressPrefix decodes per step
// (about 100 KiB of JSON Lines at the archive's ratios).
inline constexpr size_t kPrefixStepInputBytes = 16 << 10;

// Decompresses `frame`, which must be exactly one zstd frame, into *raw
// (replaced). kDataLoss for a bad frame, a checksum mismatch, trailing bytes
// or more than kMaxBlockRawBytes of output.
Status DecompressBlock(std::string_view frame, std::string* raw);

// The same with a reusable decompression context (saves an allocation per
// block in scans). Not thread-safe: one per thread.
class BlockDecompressor {
 public:
  BlockDecompressor();
  ~BlockDecompressor();
  BlockDecompressor(const BlockDecompressor&) = delete;
  BlockDecompressor& operator=(const BlockDecompressor&) = delete;

  Status Decompress(std::string_view frame, std::string* raw);

  // Decompresses `frame` like Decompress, but first checks it against
  // `frame_hash` (BlockFrameHash, segment_index.h: the index's checksum of
  // the compressed frame) and then decodes it in steps of about
  // kPrefixStepInputBytes, so a caller that needs only the first records of
  // a block can stop. After each step that produced output, `enough(ready)`
  // is called with the whole decompressed prefix so far (*raw's first
  // ready.size() bytes; each call's prefix is longer than the previous one's,
  // and the last call, unless stopped, gets the whole text). When it returns
  // true the decompression stops: *raw is cut to that prefix and the result
  // is false. The result is true when the frame was decoded to its end
  // (its zstd content checksum then checked too). kDataLoss, with *raw
  // cleared, for a frame that does not match `frame_hash` (before anything
  // is decoded) or fails as for Decompress. Frames without a content size
  // in their header are decompressed whole (one call of `enough`).
  Result<bool> DecompressPrefix(std::string_view frame, uint64_t frame_hash, std::string* raw,
                                const std::function<bool(std::string_view ready)>& enough);

 private:
  ZSTD_DCtx_s* dctx_;  // owned
};

// Calls fn(record bytes) for every line of a decompressed block; kDataLoss
// when the block does not end with '\n' or has an empty line. Stops at, and
// returns, the first error of fn.
Status ForEachRecordInBlock(std::string_view raw,
                            const std::function<Status(std::string_view)>& fn);

class SegmentReader {
 public:
  // `data` (a whole data object) must outlive the reader.
  explicit SegmentReader(std::string_view data);
  ~SegmentReader();
  SegmentReader(const SegmentReader&) = delete;
  SegmentReader& operator=(const SegmentReader&) = delete;

  // Sets *record to the next record's bytes (valid until the next call) and
  // returns true, or returns false after the last record. kDataLoss for a
  // damaged frame, a record split by the object's end, or an empty line;
  // after an error every call returns that error.
  Result<bool> Next(std::string_view* record);

  // Byte offset in `data` of the frame the last record came from.
  uint64_t frame_offset() const { return frame_offset_; }
  // Number of frames decoded so far.
  uint64_t frames() const { return frames_; }

 private:
  Status LoadNextFrame();

  const std::string_view data_;
  size_t next_frame_ = 0;     // offset of the next undecoded frame
  uint64_t frame_offset_ = 0;
  uint64_t frames_ = 0;
  std::string raw_;           // decompressed current frame
  size_t pos_ = 0;            // next line start in raw_
  std::string carry_;         // a record continued from the previous frame
  Status error_;
  BlockDecompressor decompressor_;
};

// Every record of a data object, in order (for tests and small objects).
Result<std::vector<std::string>> ReadAllRecords(std::string_view data);

}  // namespace kura::logs

#endif  // KURA_LOGS_SEGMENT_SEGMENT_READER_H_
