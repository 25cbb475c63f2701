// Retention: deletes archived segments older than the retention period
// (PCI DSS 10.5.1: at least 12 months), recording every deletion first.
//
// A segment is deleted when its NEWEST record was received more than
// `retention_days` x 24 h before the clock's now: max_received < now -
// retention_days days (a segment whose newest record is exactly at the
// cutoff is kept). Only whole segments are deleted (their data and index
// objects); digests are kept, so the chain stays verifiable.
//
// Before deleting, ApplyRetention appends a signed retention digest to the
// digest chain listing the segments (keys, seq ranges, record counts, data
// hashes, digest keys), the period and the cutoff, and emits an AuditEvent
// "logs.retention.delete" (service "logs"); only then are objects deleted.
// Verify reports such segments as "deleted by retention on <date>", not as
// missing. A crash after recording and before deleting is safe: the next run
// finds the recorded but still present segments and completes the deletion
// (emitting the audit event again, with "completing" set).
//
// A period under kMinRetentionDays is refused unless allow_short_retention
// is set; a period under 1 day or over kMaxRetentionDays is always refused.
//
// Thread safety: not for concurrent use with another writer of the archive.
#ifndef KURA_LOGS_ARCHIVE_RETENTION_H_
#define KURA_LOGS_ARCHIVE_RETENTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/audit/audit_log.h"
#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/blob/blob_store.h"
#include "logs/archive/archive.h"
#include "logs/archive/digest.h"

namespace kura::logs {

inline constexpr int64_t kMinRetentionDays = 365;
inline constexpr int64_t kDefaultRetentionDays = 365;
inline constexpr int64_t kMaxRetentionDays = 100 * 366;

struct RetentionOptions {
  int64_t retention_days = kDefaultRetentionDays;
  bool allow_short_retention = false;
  bool dry_run = false;  // report what would be deleted; write nothing
};

struct RetentionReport {
  int64_t cutoff_ms = 0;
  std::vector<DeletedSegment> deleted;    // recorded by this run (or would be)
  std::vector<DeletedSegment> completed;  // recorded by an earlier run, deleted now
  std::string digest_key;                 // the retention digest written ("" if none)
};

// Errors: kInvalidArgument for a refused period; kFailedPrecondition without
// a signing key, or if a segment digest does not verify (nothing deleted);
// the AuditLog's error (digest written, nothing deleted: re-run completes);
// BlobStore errors.
Result<RetentionReport> ApplyRetention(Archive& archive, BlobStore& store, const Clock& clock,
                                       AuditLog& audit, const RetentionOptions& options);

}  // namespace kura::logs

#endif  // KURA_LOGS_ARCHIVE_RETENTION_H_
