#include "logs/archive/retention.h"

#include <map>
#include <set>

#include "logs/archive/archive_layout.h"
#include "logs/record/timestamp.h"

namespace kura::logs {
namespace {

// Present data/index keys of one partition, listed once.
class Presence {
 public:
  explicit Presence(BlobStore& store) : store_(store) {}
  Result<bool> Has(std::string_view top, const std::string& dt, const std::string& key) {
    const std::string prefix = PartitionPrefix(top, dt);
    auto it = listed_.find(prefix);
    if (it == listed_.end()) {
      ASSIGN_OR_RETURN(std::vector<std::string> keys, store_.List(prefix));
      it = listed_.emplace(prefix, std::set<std::string>(keys.begin(), keys.end())).first;
    }
    return it->second.count(key) > 0;
  }

 private:
  BlobStore& store_;
  std::map<std::string, std::set<std::string>> listed_;
};

Status DeleteIfPresent(BlobStore& store, const std::string& key) {
  Status st = store.Delete(key);
  return st.code() == StatusCode::kNotFound ? OkStatus() : st;
}

AuditEvent RetentionEvent(const RetentionReport& r, const RetentionOptions& o) {
  AuditEvent ev;
  ev.type = "logs.retention.delete";
  ev.outcome = std::string(kAuditSuccess);
  ev.principal = "retention";
  ev.origin = "local";
  ev.resource = r.digest_key.empty() ? "archive" : r.digest_key;
  const size_t n = r.deleted.size() + r.completed.size();
  ev.reason = "deleting " + std::to_string(n) + " segment(s) whose newest record was received " +
              "before " + FormatTimestamp(r.cutoff_ms) + " (retention " +
              std::to_string(o.retention_days) + " days)";
  for (const DeletedSegment& s : r.deleted) {
    ev.details.emplace_back("segment", s.segment + " seq " + std::to_string(s.first_seq) + ".." +
                                           std::to_string(s.last_seq));
  }
  for (const DeletedSegment& s : r.completed) {
    ev.details.emplace_back("completing", s.segment + " seq " + std::to_string(s.first_seq) +
                                              ".." + std::to_string(s.last_seq));
  }
  return ev;
}

}  // namespace

Result<RetentionReport> ApplyRetention(Archive& archive, BlobStore& store, const Clock& clock,
                                       AuditLog& audit, const RetentionOptions& options) {
  if (options.retention_days < 1 || options.retention_days > kMaxRetentionDays) {
    return InvalidArgumentError("retention period must be 1 to " +
                                std::to_string(kMaxRetentionDays) + " days");
  }
  if (options.retention_days < kMinRetentionDays && !options.allow_short_retention) {
    return InvalidArgumentError("retention period of " + std::to_string(options.retention_days) +
                                " days is under the " + std::to_string(kMinRetentionDays) +
                                " days PCI DSS 10.5.1 requires (override: "
                                "--allow-short-retention)");
  }
  const std::optional<crypto::Ed25519PublicKey> pub = archive.public_key();
  if (!pub) return FailedPreconditionError("retention needs the digest signing key");

  RetentionReport report;
  report.cutoff_ms = clock.NowUnixMillis() - options.retention_days * kMillisPerDay;
  const std::string cutoff_dt = FormatDate(report.cutoff_ms);

  ASSIGN_OR_RETURN(std::vector<std::string> keys, store.List(kDigestPrefix));
  // Segments an earlier run recorded (its deletion may not have completed).
  std::set<std::string> recorded;
  std::vector<std::pair<std::string, ArchiveKey>> candidates;
  for (const std::string& k : keys) {
    Result<ArchiveKey> ak = ParseArchiveKey(k);
    if (!ak.ok()) continue;
    if (ak->kind == ObjectKind::kSegmentDigest && ak->dt <= cutoff_dt) {
      candidates.emplace_back(k, *ak);
    } else if (ak->kind == ObjectKind::kRetentionDigest) {
      ASSIGN_OR_RETURN(std::string file, store.Get(k));
      Result<Digest> d = ParseDigest(file);
      if (!d.ok() || !VerifyDigestSignature(*pub, *d).ok()) continue;
      for (const DeletedSegment& s : d->deleted) recorded.insert(s.segment);
    }
  }

  Presence presence(store);
  std::vector<std::string> index_keys;
  for (const auto& [key, ak] : candidates) {
    ASSIGN_OR_RETURN(std::string file, store.Get(key));
    Result<Digest> d = ParseDigest(file);
    if (!d.ok() || !VerifyDigestSignature(*pub, *d).ok() || d->kind != DigestKind::kSegment) {
      return FailedPreconditionError("segment digest " + key +
                                     " does not verify; nothing deleted (run `kura logs verify`)");
    }
    if (d->max_received_ms >= report.cutoff_ms) continue;
    ASSIGN_OR_RETURN(bool has_data, presence.Has(kDataPrefix, d->dt, d->segment));
    ASSIGN_OR_RETURN(bool has_index, presence.Has(kIndexPrefix, d->dt, d->index));
    if (!has_data && !has_index) continue;  // already deleted
    DeletedSegment s;
    s.segment = d->segment;
    s.first_seq = d->first_seq;
    s.last_seq = d->last_seq;
    s.record_count = d->record_count;
    s.max_received_ms = d->max_received_ms;
    s.data_sha256 = d->data_sha256;
    s.digest = key;
    index_keys.push_back(d->index);
    (recorded.count(s.segment) > 0 ? report.completed : report.deleted).push_back(std::move(s));
  }
  if (options.dry_run || (report.deleted.empty() && report.completed.empty())) return report;

  // Record first (signed digest, then audit event), delete after.
  if (!report.deleted.empty()) {
    ASSIGN_OR_RETURN(report.digest_key,
                     archive.AppendRetentionDigest(options.retention_days, report.cutoff_ms,
                                                   report.deleted));
  }
  RETURN_IF_ERROR(audit.Emit(RetentionEvent(report, options)));
  RETURN_IF_ERROR(audit.Flush());
  for (const std::vector<DeletedSegment>* list : {&report.deleted, &report.completed}) {
    for (const DeletedSegment& s : *list) RETURN_IF_ERROR(DeleteIfPresent(store, s.segment));
  }
  for (const std::string& k : index_keys) RETURN_IF_ERROR(DeleteIfPresent(store, k));
  return report;
}

}  // namespace kura::logs
