// Archive: the sealed, signed part of the audit log store, kept in a
// BlobStore (`<data-dir>/archive/`, an S3 bucket later). Layout in
// archive_layout.h, digests in digest.h, docs/logs.md "Sealing and digests".
//
// Seal() turns a run of chained records that continues the archive's tail
// into segments: one per UTC day (`dt` partition) of the records' received
// times. For each segment it writes, with PutIfAbsent (nothing is ever
// overwritten), the data object, the index object and then the signed
// digest. The digest is the commit point: a segment is part of the archive
// once its digest exists. Objects left by a seal that failed before its
// digest (a crash, a full disk) are "uncommitted": they cover seqs beyond
// the tail, and the next Seal into that partition deletes them before
// writing, so sealing the same records again always succeeds.
//
// The head of the digest chain (newest digest) is found by listing the
// newest year of digest partitions ("digest/dt=YYYY-"), probing back from
// the clock's year (a full listing of digest/ only when that finds nothing),
// then cached: the Archive assumes it is the only writer of its store (one
// `kura logs serve` or one `kura logs import` per data directory at a time).
//
// Thread safety: all methods are safe for concurrent use (one mutex); the
// BlobStore and Clock must outlive the Archive.
#ifndef KURA_LOGS_ARCHIVE_ARCHIVE_H_
#define KURA_LOGS_ARCHIVE_ARCHIVE_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/blob/blob_store.h"
#include "core/crypto/ed25519.h"
#include "logs/archive/digest.h"
#include "logs/record/chain.h"
#include "logs/record/timestamp.h"
#include "logs/segment/segment_builder.h"

namespace kura::logs {

// Records may be received at most this far ahead of the archive's clock
// (e.g. an import of events dated in the future is refused).
inline constexpr int64_t kMaxFutureReceivedMs = kMillisPerDay;

// Where the archive ends: the last sealed record.
struct ArchiveTail {
  uint64_t last_seq = 0;                   // 0 for an empty archive
  ChainHash last_chain = kGenesisChainHash;  // h_last_seq
  int64_t last_received_ms = 0;
};

struct SealedSegment {
  std::string dt;
  std::string data_key;
  std::string index_key;
  std::string digest_key;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  uint64_t record_count = 0;
  uint64_t raw_bytes = 0;  // JSON Lines bytes before compression
  uint64_t data_bytes = 0;
  uint64_t index_bytes = 0;
};

struct SealResult {
  std::vector<SealedSegment> segments;  // in seq order
};

// The newest digest and its file.
struct ChainHead {
  std::string key;
  std::string file;  // the digest file's bytes
  Digest digest;
};

struct ArchiveOptions {
  SegmentOptions segment;
};

class Archive {
 public:
  // `signer` is the digest signing key; without it the archive is
  // read-only (Seal and AppendRetentionDigest fail with
  // kFailedPrecondition).
  Archive(BlobStore& store, std::optional<crypto::Ed25519PrivateKey> signer, const Clock& clock,
          ArchiveOptions options = {});
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  // Seals `records` (see above). They must be contiguous in seq, continue
  // the tail (first seq = tail.last_seq + 1), have chain links equal to
  // NextChainHash(previous link, bytes), received times non-decreasing, not
  // before the tail's and at most kMaxFutureReceivedMs ahead of the clock.
  // Errors: kFailedPrecondition (no signing key, or the chain head digest
  // does not verify with it), kInvalidArgument (a record breaks those rules;
  // the message names its seq, never its bytes; nothing is written), errors
  // of SegmentBuilder and of the BlobStore (kResourceExhausted on a full
  // disk). On error the segments already committed stay committed (see
  // result of Tail()); none is half-committed. An empty span is OK.
  Result<SealResult> Seal(std::span<const ChainedRecord> records);

  // The tail, derived from the newest digest (seq 0 and the genesis link for
  // an empty archive). Errors: the BlobStore's; kDataLoss if the newest
  // digest is malformed.
  Result<ArchiveTail> Tail();

  // The newest digest, or nullopt for an empty archive. Errors as Tail().
  Result<std::optional<ChainHead>> Head();

  // The digest signing key's public half (nullopt when read-only).
  std::optional<crypto::Ed25519PublicKey> public_key() const {
    if (!signer_) return std::nullopt;
    return signer_->PublicKey();
  }

  // Appends a signed retention digest (retention.h) recording that the
  // `deleted` segments are about to be deleted, after the current head.
  // Returns its key. kFailedPrecondition without a signing key or on an
  // empty archive; BlobStore errors.
  Result<std::string> AppendRetentionDigest(int64_t retention_days, int64_t cutoff_ms,
                                            std::vector<DeletedSegment> deleted);

 private:
  Result<const std::optional<ChainHead>*> LoadHeadLocked();
  Status CheckSigner() const;
  // Seals one partition's records (all with the same dt).
  Result<SealedSegment> SealPartitionLocked(std::span<const ChainedRecord> records,
                                            const std::string& dt);
  // Deletes data/index objects of partition `dt` beyond the tail.
  Status RemoveUncommittedLocked(const std::string& dt, uint64_t tail_seq);
  // Signs `d` (linked to the head), writes it at `key`, makes it the head.
  Status CommitDigestLocked(Digest d, const std::string& key);

  BlobStore& store_;
  const std::optional<crypto::Ed25519PrivateKey> signer_;
  const Clock& clock_;
  const ArchiveOptions options_;

  std::mutex mu_;
  bool head_loaded_ = false;          // GUARDED_BY(mu_)
  std::optional<ChainHead> head_;     // GUARDED_BY(mu_)
  SegmentBuilder builder_;            // GUARDED_BY(mu_)
};

// Finds the newest digest of `store` without the Archive's cache (see the
// header comment for how). Also used by read-only tools.
Result<std::optional<ChainHead>> FindChainHead(BlobStore& store, const Clock& clock);

}  // namespace kura::logs

#endif  // KURA_LOGS_ARCHIVE_ARCHIVE_H_
