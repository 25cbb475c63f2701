// The byte codec of the segment index blob (segment_index.h): little-endian
// varints and fixed-width integers, and a bounds-checked Reader over them.
// Internal to the segment library.
//
// Thread safety: free functions; a Reader is not thread-safe.
#ifndef KURA_LOGS_SEGMENT_INDEX_CODEC_H_
#define KURA_LOGS_SEGMENT_INDEX_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kura::logs::index_codec {

inline void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

inline void PutFixed32(uint32_t v, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

inline void PutFixed64(uint64_t v, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// Bounds-checked reader; after the first failure every read returns 0 and
// ok() is false.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ == s_.size(); }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && ok_; shift += 7) {
      if (pos_ >= s_.size()) break;
      const auto b = static_cast<unsigned char>(s_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    ok_ = false;
    return 0;
  }
  uint64_t Fixed(int bytes) {
    if (!ok_ || s_.size() - pos_ < static_cast<size_t>(bytes)) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
      v |= static_cast<uint64_t>(static_cast<unsigned char>(s_[pos_ + static_cast<size_t>(i)]))
           << (8 * i);
    }
    pos_ += static_cast<size_t>(bytes);
    return v;
  }
  std::string_view Bytes(uint64_t n) {
    if (!ok_ || s_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    std::string_view v = s_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  size_t remaining() const { return s_.size() - pos_; }
  // Steps over `n` varints without decoding them.
  void SkipVarints(uint64_t n) {
    for (; n > 0 && ok_; --n) {
      while (pos_ < s_.size() && (static_cast<unsigned char>(s_[pos_]) & 0x80) != 0) ++pos_;
      if (pos_ >= s_.size()) {
        ok_ = false;
        return;
      }
      ++pos_;
    }
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace kura::logs::index_codec

#endif  // KURA_LOGS_SEGMENT_INDEX_CODEC_H_
