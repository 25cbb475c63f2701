// Verify: checks an archive end to end against the digest signing public
// key (docs/logs.md "Verify").
//
// Walks the digest chain in order (from digest 1, or — with a range — from
// the first digest whose partition is in range, anchored by its signed link
// to its predecessor) and checks, for every digest: canonical form, the
// Ed25519 signature and key id, that it is stored under the key its content
// implies, the link to its predecessor (key, SHA-256, signature, number);
// for segment digests: seq continuity with the previous digest, the chain
// link before the first record, partition date equal to the UTC date of the
// received times and never going backwards, the data object's SHA-256, and,
// decompressing the data, every record's chain link recomputed from its
// bytes, its seq and received time, the record count and the last link; the
// index object's SHA-256 when the index is present (an absent index is
// allowed: indexes are derived data). For retention digests: what they list
// matches the segments' digests and is older than their cutoff; segments
// they list may be absent ("deleted by retention on <date>"). Finally every
// data/ and index/ object must belong to a digest.
//
// The FIRST problem found is reported, naming the object (key) and, where
// known, the record seq. A broken archive is a normal result, not an error;
// errors are only failures to read the store.
//
// Limits: verify proves the chain up to its newest digest. Deleting the
// newest segments together with their digests is only visible against a
// head recorded elsewhere (the report's head_key/head_sha256).
//
// Thread safety: free function; the store must not be written concurrently
// for a consistent result.
#ifndef KURA_LOGS_ARCHIVE_VERIFY_H_
#define KURA_LOGS_ARCHIVE_VERIFY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/blob/blob_store.h"
#include "core/crypto/ed25519.h"

namespace kura::logs {

enum class VerifyProblem {
  kNone,
  kModified,          // bytes differ from what the digest/chain commits to
  kTruncated,         // a data object is shorter than sealed
  kMissingSegment,    // a digest's data object is gone (and not by retention)
  kMissingDigest,     // a digest in the chain is gone
  kReordered,         // objects swapped or out of order
  kBackdated,         // an object sits in an earlier dt partition than its records
  kBadSignature,      // a digest not signed by the expected key
  kUnexpectedObject,  // an object no digest accounts for (back-filled)
};

// "modified", "truncated", "missing segment", "missing digest", "reordered",
// "back-dated", "bad signature", "unexpected object" ("ok" for kNone).
std::string_view VerifyProblemName(VerifyProblem p);

// Exit code of `kura logs verify`: 0 for kNone, then 3 (modified) ... 10
// (unexpected object) in enum order. 1 and 2 are the CLI's error/usage codes.
int VerifyExitCode(VerifyProblem p);

struct VerifyOptions {
  // Only partitions whose date is within [date(from), date(to)] (UTC).
  std::optional<int64_t> from_ms;
  std::optional<int64_t> to_ms;
};

struct VerifyReport {
  VerifyProblem problem = VerifyProblem::kNone;
  std::string object;  // key of the broken object
  uint64_t seq = 0;    // record seq concerned (0 = not record-specific)
  std::string detail;  // what is wrong (never record contents)

  uint64_t records = 0;   // records verified
  uint64_t segments = 0;  // segments verified (present)
  uint64_t digests = 0;   // digests verified
  uint64_t retention_deleted = 0;  // segments absent by retention
  std::vector<std::string> retention_notes;  // "<key> deleted by retention on <date>"
  std::string head_key;     // newest digest verified
  std::string head_sha256;  // SHA-256 of its file

  bool ok() const { return problem == VerifyProblem::kNone; }
  // "verified N records in M segments" or
  // "<problem>: <object> [record seq S]: <detail>".
  std::string Summary() const;
};

// Errors: the store's (kNotFound is never one: a missing object is a
// finding). kInvalidArgument if from > to.
Result<VerifyReport> VerifyArchive(BlobStore& store, const crypto::Ed25519PublicKey& key,
                                   const VerifyOptions& options = {});

}  // namespace kura::logs

#endif  // KURA_LOGS_ARCHIVE_VERIFY_H_
