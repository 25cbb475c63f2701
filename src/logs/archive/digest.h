// Digest: the signed statement written for every sealed segment and every
// retention deletion, chained like CloudTrail's digest files.
//
// Each digest commits to what it describes (a segment: the SHA-256 of its
// data and index objects, seq range, record count, received-time range, the
// record chain link before its first record and after its last) and to its
// predecessor (key, SHA-256 of the predecessor's file, predecessor's
// signature). It is signed with the archive's Ed25519 digest signing key, a
// key used for nothing else. Deleting, changing, reordering or back-filling
// any segment or digest is therefore detectable (logs/archive/verify.h).
//
// The file is one canonical JSON object plus '\n', fields in a fixed order
// (docs/logs.md "Sealing and digests"); "signature" is last and signs the
// canonical bytes of every field before it (the object without
// "signature"). ParseDigest accepts only canonical files: any edit that keeps
// the JSON valid is still refused, so the file bytes are exactly what was
// signed.
//
// Thread safety: plain data and free functions.
#ifndef KURA_LOGS_ARCHIVE_DIGEST_H_
#define KURA_LOGS_ARCHIVE_DIGEST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/crypto/ed25519.h"
#include "logs/record/chain.h"

namespace kura::logs {

inline constexpr int kDigestVersion = 1;
// Digest files are small; anything larger is refused before parsing.
inline constexpr size_t kMaxDigestBytes = 4 << 20;

enum class DigestKind { kSegment, kRetention };

// A segment removed by retention, as listed in a retention digest.
struct DeletedSegment {
  std::string segment;  // data key
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  uint64_t record_count = 0;
  int64_t max_received_ms = 0;
  std::string data_sha256;  // hex, as in the segment's digest
  std::string digest;       // key of the segment's digest (kept)

  friend bool operator==(const DeletedSegment&, const DeletedSegment&) = default;
};

struct Digest {
  DigestKind kind = DigestKind::kSegment;
  uint64_t number = 0;     // position in the digest chain: 1, 2, 3, ...
  int64_t created_ms = 0;  // signer's clock
  std::string key_id;      // DigestKeyId() of the signing key
  std::string dt;          // partition the digest is stored in

  // The chain position after this digest: the last record seq, its chain
  // link and received time. A retention digest repeats its predecessor's.
  uint64_t last_seq = 0;
  ChainHash chain_last{};
  int64_t max_received_ms = 0;

  // kSegment only.
  std::string segment;  // data key
  std::string index;    // index key
  uint64_t first_seq = 0;
  uint64_t record_count = 0;
  int64_t min_received_ms = 0;
  ChainHash chain_before{};  // h_{first_seq - 1}
  std::string data_sha256;   // hex
  uint64_t data_bytes = 0;
  std::string index_sha256;  // hex
  uint64_t index_bytes = 0;

  // kRetention only.
  int64_t retention_days = 0;
  int64_t cutoff_ms = 0;  // segments whose newest record is older were deleted
  std::vector<DeletedSegment> deleted;

  // Link to the predecessor; all "" for digest number 1.
  std::string prev_digest;            // key
  std::string prev_digest_sha256;     // hex of SHA-256 of its file bytes
  std::string prev_digest_signature;  // its "signature"

  std::string signature;  // base64 Ed25519 signature over CanonicalDigestBytes
};

// The signed bytes: the JSON object without "signature".
std::string CanonicalDigestBytes(const Digest& d);

// The file: the JSON object with "signature", then '\n'.
std::string EncodeDigest(const Digest& d);

// Parses a digest file. kDataLoss if it is not valid JSON, misses or adds a
// field, has a wrong type or is not byte-for-byte canonical (an edit). The
// signature is NOT checked here (VerifyDigestSignature).
Result<Digest> ParseDigest(std::string_view file);

// Sets key_id and signature. kInternal if signing fails.
Status SignDigest(const crypto::Ed25519PrivateKey& key, Digest* d);

// OK if `d` was signed by `key`; kUnauthenticated otherwise (another key id,
// or a signature that does not verify).
Status VerifyDigestSignature(const crypto::Ed25519PublicKey& key, const Digest& d);

// Identifies a digest signing key: hex of the first 16 bytes of SHA-256 of
// the raw 32-byte public key.
std::string DigestKeyId(const crypto::Ed25519PublicKey& key);

// Lower-case hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

}  // namespace kura::logs

#endif  // KURA_LOGS_ARCHIVE_DIGEST_H_
