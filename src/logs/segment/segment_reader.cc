#include "logs/segment/segment_reader.h"

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_d_stableOutBuffer (zstd >= 1.4.4)
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "logs/segment/segment_index.h"

namespace kura::logs {
namespace {

Status BadFrame(std::string_view what) {
  return DataLossError("segment data: " + std::string(what));
}

// Before decoding `frame` with `dctx` (null: it could not be allocated):
// checks that it is exactly one zstd frame with a readable header and
// returns its content size (ZSTD_CONTENTSIZE_UNKNOWN when the header has
// none); a known size above kMaxBlockRawBytes is refused. *raw is cleared
// on any error.
Result<unsigned long long> CheckFrame(const ZSTD_DCtx* dctx, std::string_view frame,
                                      std::string* raw) {
  auto fail = [raw](Status s) {
    raw->clear();
    return s;
  };
  if (dctx == nullptr) return fail(InternalError("segment data: cannot allocate a zstd context"));
  const size_t frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(frame_size)) return fail(BadFrame("not a zstd frame or truncated"));
  if (frame_size != frame.size()) return fail(BadFrame("bytes after the frame"));
  const unsigned long long content = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (content == ZSTD_CONTENTSIZE_ERROR) return fail(BadFrame("bad frame header"));
  if (content != ZSTD_CONTENTSIZE_UNKNOWN && content > kMaxBlockRawBytes) {
    return fail(BadFrame("frame larger than the limit"));
  }
  return content;
}

}  // namespace

BlockDecompressor::BlockDecompressor() : dctx_(ZSTD_createDCtx()) {}
BlockDecompressor::~BlockDecompressor() { ZSTD_freeDCtx(dctx_); }

Status BlockDecompressor::Decompress(std::string_view frame, std::string* raw) {
  ASSIGN_OR_RETURN(const unsigned long long content, CheckFrame(dctx_, frame, raw));
  ZSTD_DCtx_reset(dctx_, ZSTD_reset_session_only);
  if (content != ZSTD_CONTENTSIZE_UNKNOWN) {
    // A reused buffer: only growth beyond its previous size is zero-filled
    // (clear() then resize() would fill all of it again for every block).
    raw->resize(content);
    const size_t n = ZSTD_decompressDCtx(dctx_, raw->data(), raw->size(), frame.data(), frame.size());
    if (ZSTD_isError(n) || n != content) {
      raw->clear();
      return BadFrame(std::string("corrupt frame (") +
                      (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short") + ")");
    }
    return OkStatus();
  }
  // No content size in the header (not written by SegmentBuilder, but valid
  // zstd): stream with the same limit.
  raw->clear();
  ZSTD_inBuffer in{frame.data(), frame.size(), 0};
  size_t ret = 1;
  while (ret != 0) {
    if (raw->size() >= kMaxBlockRawBytes) {
      raw->clear();
      return BadFrame("frame larger than the limit");
    }
    const size_t start = raw->size();
    raw->resize(std::min(kMaxBlockRawBytes, start + ZSTD_DStreamOutSize()));
    ZSTD_outBuffer out{raw->data() + start, raw->size() - start, 0};
    ret = ZSTD_decompressStream(dctx_, &out, &in);
    raw->resize(start + out.pos);
    if (ZSTD_isError(ret)) {
      raw->clear();
      return BadFrame(std::string("corrupt frame (") + ZSTD_getErrorName(ret) + ")");
    }
    if (ret != 0 && in.pos == in.size && out.pos == 0) {
      raw->clear();
      return BadFrame("truncated frame");
    }
  }
  return OkStatus();
}

Result<bool> BlockDecompressor::DecompressPrefix(
    std::string_view frame, uint64_t frame_hash, std::string* raw,
    const std::function<bool(std::string_view ready)>& enough) {
  if (BlockFrameHash(frame) != frame_hash) {
    raw->clear();
    return BadFrame("frame checksum mismatch");
  }
  ASSIGN_OR_RETURN(const unsigned long long content, CheckFrame(dctx_, frame, raw));
  if (content == ZSTD_CONTENTSIZE_UNKNOWN) {  // Decompress streams it whole
    RETURN_IF_ERROR(Decompress(frame, raw));
    enough(*raw);
    return true;
  }
  auto fail = [&](std::string_view what) -> Status {
    raw->clear();
    ZSTD_DCtx_reset(dctx_, ZSTD_reset_session_and_parameters);
    return BadFrame(what);
  };
  raw->resize(content);  // reused buffer: only growth is zero-filled
  ZSTD_DCtx_reset(dctx_, ZSTD_reset_session_and_parameters);
  // Decode straight into *raw (no window buffer, no copy out of it); zstd
  // checks that `out` stays the same between calls.
  if (ZSTD_isError(ZSTD_DCtx_setParameter(dctx_, ZSTD_d_stableOutBuffer, 1))) {
    return fail("zstd refused a stable output buffer");
  }
  ZSTD_inBuffer in{frame.data(), 0, 0};
  ZSTD_outBuffer out{raw->data(), raw->size(), 0};
  size_t reported = 0;
  while (true) {
    in.size = std::min(frame.size(), in.size + kPrefixStepInputBytes);
    const size_t before_in = in.pos;
    const size_t before_out = out.pos;
    const size_t ret = ZSTD_decompressStream(dctx_, &out, &in);
    if (ZSTD_isError(ret)) {
      return fail(std::string("corrupt frame (") + ZSTD_getErrorName(ret) + ")");
    }
    if (ret == 0) break;  // the frame ended and its checksum (if any) matched
    if (in.size == frame.size() && in.pos == before_in && out.pos == before_out) {
      return fail("truncated frame");
    }
    if (out.pos > reported) {
      reported = out.pos;
      if (enough(std::string_view(raw->data(), out.pos))) {
        raw->resize(out.pos);
        ZSTD_DCtx_reset(dctx_, ZSTD_reset_session_and_parameters);
        return false;
      }
    }
  }
  ZSTD_DCtx_reset(dctx_, ZSTD_reset_session_and_parameters);
  if (out.pos != content) return fail("short frame");
  if (in.pos != frame.size()) return fail("bytes after the frame");
  if (out.pos > reported) enough(*raw);
  return true;
}

Status DecompressBlock(std::string_view frame, std::string* raw) {
  BlockDecompressor d;
  return d.Decompress(frame, raw);
}

Status ForEachRecordInBlock(std::string_view raw,
                            const std::function<Status(std::string_view)>& fn) {
  if (!raw.empty() && raw.back() != '\n') return BadFrame("block does not end with a newline");
  size_t pos = 0;
  while (pos < raw.size()) {
    const void* nl = std::memchr(raw.data() + pos, '\n', raw.size() - pos);
    const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - raw.data());
    if (end == pos) return BadFrame("empty line");
    RETURN_IF_ERROR(fn(raw.substr(pos, end - pos)));
    pos = end + 1;
  }
  return OkStatus();
}

SegmentReader::SegmentReader(std::string_view data) : data_(data) {}
SegmentReader::~SegmentReader() = default;

Status SegmentReader::LoadNextFrame() {
  std::string_view rest = data_.substr(next_frame_);
  const size_t size = ZSTD_findFrameCompressedSize(rest.data(), rest.size());
  const std::string at = " at byte " + std::to_string(next_frame_);
  if (ZSTD_isError(size)) return BadFrame("not a zstd frame or truncated" + at);
  Status s = decompressor_.Decompress(rest.substr(0, size), &raw_);
  if (!s.ok()) return DataLossError(s.message() + at);
  frame_offset_ = next_frame_;
  next_frame_ += size;
  ++frames_;
  pos_ = 0;
  return OkStatus();
}

Result<bool> SegmentReader::Next(std::string_view* record) {
  if (!error_.ok()) return error_;
  while (true) {
    if (pos_ < raw_.size()) {
      const void* nl = std::memchr(raw_.data() + pos_, '\n', raw_.size() - pos_);
      if (nl != nullptr) {
        const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - raw_.data());
        std::string_view line(raw_.data() + pos_, end - pos_);
        pos_ = end + 1;
        if (!carry_.empty()) {
          carry_.append(line);
          // The joined record must stay valid until the next call.
          raw_.replace(0, pos_, "");
          raw_.insert(0, carry_);
          pos_ = carry_.size();
          *record = std::string_view(raw_.data(), carry_.size());
          carry_.clear();
          return true;
        }
        if (line.empty()) {
          error_ = BadFrame("empty line in the frame at byte " + std::to_string(frame_offset_));
          return error_;
        }
        *record = line;
        return true;
      }
      // A record continues in the next frame.
      carry_.append(raw_, pos_, std::string::npos);
      if (carry_.size() > kMaxBlockRawBytes) {
        error_ = BadFrame("record larger than the limit");
        return error_;
      }
      pos_ = raw_.size();
    }
    if (next_frame_ >= data_.size()) {
      if (!carry_.empty()) {
        error_ = BadFrame("last record has no newline (truncated object?)");
        return error_;
      }
      return false;
    }
    if (Status s = LoadNextFrame(); !s.ok()) {
      error_ = s;
      return error_;
    }
  }
}

Result<std::vector<std::string>> ReadAllRecords(std::string_view data) {
  SegmentReader reader(data);
  std::vector<std::string> out;
  std::string_view rec;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader.Next(&rec));
    if (!more) break;
    out.emplace_back(rec);
  }
  return out;
}

}  // namespace kura::logs
