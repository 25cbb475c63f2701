// Object keys of the archive (a BlobStore: `<data-dir>/archive/` now, an S3
// bucket later) and of the digest signing key files in a data directory.
//
//   data/dt=YYYY-MM-DD/seg-<first seq>-<last seq>.jsonl.zst    segment data
//   index/dt=YYYY-MM-DD/seg-<first seq>-<last seq>.idx         hot-tier index
//   digest/dt=YYYY-MM-DD/seg-<first seq>-<last seq>.json       segment digest
//   digest/dt=YYYY-MM-DD/ret-<last seq>-<digest number>.json   retention digest
//
// Sequence numbers and digest numbers are written with 20 digits, zero-padded,
// so that byte order is numeric order. `dt` is the UTC date of the records'
// received time (a retention digest lives in the partition of the segment
// that was the chain head when it was written).
//
// Thread safety: free functions, thread-safe.
#ifndef KURA_LOGS_ARCHIVE_ARCHIVE_LAYOUT_H_
#define KURA_LOGS_ARCHIVE_ARCHIVE_LAYOUT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>

#include "core/base/status.h"

namespace kura::logs {

inline constexpr std::string_view kDataPrefix = "data/";
inline constexpr std::string_view kIndexPrefix = "index/";
inline constexpr std::string_view kDigestPrefix = "digest/";

// Inside a data directory.
inline constexpr std::string_view kArchiveDirName = "archive";
inline constexpr std::string_view kDigestSigningKeyFile = "keys/digest-signing.pem";
inline constexpr std::string_view kDigestPublicKeyFile = "keys/digest-signing.pub.pem";

// "seg-00000000000000000001-00000000000000000042".
std::string SegmentName(uint64_t first_seq, uint64_t last_seq);

std::string DataKey(std::string_view dt, uint64_t first_seq, uint64_t last_seq);
std::string IndexKey(std::string_view dt, uint64_t first_seq, uint64_t last_seq);
std::string SegmentDigestKey(std::string_view dt, uint64_t first_seq, uint64_t last_seq);
std::string RetentionDigestKey(std::string_view dt, uint64_t last_seq, uint64_t number);

// "data/dt=2026-01-01/" etc.
std::string PartitionPrefix(std::string_view top, std::string_view dt);

enum class ObjectKind { kData, kIndex, kSegmentDigest, kRetentionDigest };

struct ArchiveKey {
  ObjectKind kind = ObjectKind::kData;
  std::string dt;
  // Segments: their seq range. Retention digests: first_seq = last_seq = the
  // chain head's last seq when written.
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  uint64_t number = 0;  // retention digests only

  // Order of digests in the chain: by last seq, a segment's digest before
  // the retention digests that follow it, those by number.
  std::tuple<uint64_t, int, uint64_t> ChainOrder() const {
    return {last_seq, kind == ObjectKind::kRetentionDigest ? 1 : 0, number};
  }
};

// Parses a key of the layout above. kInvalidArgument for any other key
// (including a malformed date, a first seq above the last, or seq 0); the
// message names the key (keys are not secret).
Result<ArchiveKey> ParseArchiveKey(std::string_view key);

// True if `dt` is a valid "YYYY-MM-DD" date written canonically.
bool IsValidDt(std::string_view dt);

}  // namespace kura::logs

#endif  // KURA_LOGS_ARCHIVE_ARCHIVE_LAYOUT_H_
