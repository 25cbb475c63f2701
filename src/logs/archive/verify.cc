#include "logs/archive/verify.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include "logs/archive/archive_layout.h"
#include "logs/archive/digest.h"
#include "logs/record/chain.h"
#include "logs/record/timestamp.h"
#include "logs/segment/segment_reader.h"

namespace kura::logs {
namespace {

struct Loaded {
  std::string key;
  ArchiveKey parsed;
  bool present = false;
  std::string file;
  Result<Digest> digest = DataLossError("not loaded");
};

struct Problem {
  VerifyProblem what = VerifyProblem::kNone;
  std::string object;
  uint64_t seq = 0;
  std::string detail;
};

Problem Found(VerifyProblem what, std::string object, std::string detail, uint64_t seq = 0) {
  return Problem{what, std::move(object), seq, std::move(detail)};
}

// Reads "seq" and "received" from the fixed start of record bytes
// ({"seq":N,"received":"..."}, log_record.h). False if they are not there.
bool RecordHead(std::string_view bytes, uint64_t* seq, int64_t* received_ms) {
  constexpr std::string_view kSeq = "{\"seq\":";
  constexpr std::string_view kReceived = ",\"received\":\"";
  if (!bytes.starts_with(kSeq)) return false;
  bytes.remove_prefix(kSeq.size());
  auto [p, ec] = std::from_chars(bytes.data(), bytes.data() + bytes.size(), *seq);
  if (ec != std::errc()) return false;
  bytes.remove_prefix(static_cast<size_t>(p - bytes.data()));
  if (!bytes.starts_with(kReceived)) return false;
  bytes.remove_prefix(kReceived.size());
  const size_t quote = bytes.find('"');
  if (quote == std::string_view::npos) return false;
  Result<int64_t> t = ParseTimestamp(bytes.substr(0, quote));
  if (!t.ok()) return false;
  *received_ms = *t;
  return true;
}

std::string Range(uint64_t a, uint64_t b) { return std::to_string(a) + ".." + std::to_string(b); }

// Checks every record of a segment's data against its digest.
Problem CheckRecords(std::string_view data, const Digest& d, uint64_t* records) {
  SegmentReader reader(data);
  ChainHash link = d.chain_before;
  uint64_t expected = d.first_seq;
  uint64_t count = 0;
  int64_t last_received = d.min_received_ms;
  for (;;) {
    std::string_view rec;
    Result<bool> more = reader.Next(&rec);
    if (!more.ok()) {
      if (data.size() < d.data_bytes) {
        return Found(VerifyProblem::kTruncated, d.segment,
                     "data object is " + std::to_string(data.size()) + " bytes, sealed as " +
                         std::to_string(d.data_bytes) + "; records from here on are lost",
                     expected);
      }
      return Found(VerifyProblem::kModified, d.segment,
                   "data object is damaged (" + more.status().message() + ")", expected);
    }
    if (!*more) break;
    ++count;
    if (count > d.record_count) {
      return Found(VerifyProblem::kModified, d.segment,
                   "more records than the " + std::to_string(d.record_count) + " sealed",
                   expected);
    }
    uint64_t seq = 0;
    int64_t received = 0;
    if (!RecordHead(rec, &seq, &received)) {
      return Found(VerifyProblem::kModified, d.segment, "record is not a well-formed record",
                   expected);
    }
    if (seq != expected) {
      return Found(VerifyProblem::kReordered, d.segment,
                   "record seq " + std::to_string(seq) + " found where seq " +
                       std::to_string(expected) + " belongs",
                   expected);
    }
    if (received < last_received || received > d.max_received_ms) {
      return Found(VerifyProblem::kBackdated, d.segment,
                   "received time outside the sealed range or going backwards", expected);
    }
    last_received = received;
    link = NextChainHash(link, rec);
    ++expected;
  }
  if (count < d.record_count) {
    const bool shorter = data.size() < d.data_bytes;
    return Found(shorter ? VerifyProblem::kTruncated : VerifyProblem::kModified, d.segment,
                 std::to_string(count) + " records instead of " + std::to_string(d.record_count),
                 expected);
  }
  if (link != d.chain_last) {
    return Found(VerifyProblem::kModified, d.segment,
                 "record bytes do not match the chain: a record in seq " +
                     Range(d.first_seq, d.last_seq) + " was changed",
                 d.last_seq);
  }
  *records += count;
  return {};
}

std::string ExpectedKey(const Digest& d) {
  return d.kind == DigestKind::kSegment ? SegmentDigestKey(d.dt, d.first_seq, d.last_seq)
                                        : RetentionDigestKey(d.dt, d.last_seq, d.number);
}

// The segment name part of a data key ("seg-...-...").
std::string SegmentNameOf(const ArchiveKey& k) { return SegmentName(k.first_seq, k.last_seq); }

class Verifier {
 public:
  Verifier(BlobStore& store, const crypto::Ed25519PublicKey& key, const VerifyOptions& options)
      : store_(store), key_(key), options_(options) {}

  Result<VerifyReport> Run();

 private:
  bool InRange(std::string_view dt) const {
    return dt >= from_dt_ && (to_dt_.empty() || dt <= to_dt_);
  }
  Status LoadDigests();
  Status LoadRetention();
  Result<Problem> CheckDigest(size_t i);
  Result<Problem> CheckLink(const Loaded& cur);
  Result<Problem> CheckSegment(const Digest& d);
  Problem CheckRetention(const Digest& d);
  Result<Problem> CheckUnexpected();
  // Whether a segment digest for the segment starting at `first_seq` was
  // written since LoadDigests listed them (a seal that ran meanwhile).
  Result<bool> SealedMeanwhile(uint64_t first_seq);

  BlobStore& store_;
  const crypto::Ed25519PublicKey& key_;
  const VerifyOptions options_;
  std::string from_dt_;
  std::string to_dt_;

  std::vector<Loaded> digests_;              // in range, chain order
  std::vector<std::string> foreign_digests_;  // unparsable keys under digest/
  std::set<std::string> all_digest_keys_;
  std::vector<std::string> data_keys_;
  std::vector<std::string> index_keys_;
  std::unordered_map<std::string, std::string> sha_to_segment_;  // data sha -> data key
  // Segments listed by retention digests: data key -> (entry, digest date).
  std::map<std::string, std::pair<DeletedSegment, int64_t>> retained_;
  std::set<std::string> referenced_;  // data/index keys named by digests in range

  std::optional<Loaded> prev_;  // the previous digest in the walk
  std::optional<std::pair<uint64_t, bool>> sealed_meanwhile_;  // SealedMeanwhile's answer
  VerifyReport report_;
};

Status Verifier::LoadDigests() {
  ASSIGN_OR_RETURN(std::vector<std::string> keys, store_.List(kDigestPrefix));
  for (std::string& k : keys) {
    all_digest_keys_.insert(k);
    Result<ArchiveKey> parsed = ParseArchiveKey(k);
    if (!parsed.ok() || (parsed->kind != ObjectKind::kSegmentDigest &&
                         parsed->kind != ObjectKind::kRetentionDigest)) {
      foreign_digests_.push_back(k);
      continue;
    }
    if (!InRange(parsed->dt)) continue;
    Loaded l;
    l.key = std::move(k);
    l.parsed = *parsed;
    digests_.push_back(std::move(l));
  }
  std::sort(digests_.begin(), digests_.end(), [](const Loaded& a, const Loaded& b) {
    return a.parsed.ChainOrder() < b.parsed.ChainOrder();
  });
  for (Loaded& l : digests_) {
    Result<std::string> file = store_.Get(l.key);
    if (!file.ok()) {
      if (file.status().code() != StatusCode::kNotFound) return file.status();
      continue;  // deleted meanwhile: reported as missing when linked
    }
    l.present = true;
    l.file = std::move(*file);
    l.digest = ParseDigest(l.file);
    if (l.digest.ok() && l.digest->kind == DigestKind::kSegment) {
      sha_to_segment_.emplace(l.digest->data_sha256, l.digest->segment);
      referenced_.insert(l.digest->segment);
      referenced_.insert(l.digest->index);
    }
  }
  return OkStatus();
}

Status Verifier::LoadRetention() {
  // Retention digests live in the partition of the chain head when they
  // were written, usually long after the segments they list: read them all.
  for (const std::string& k : all_digest_keys_) {
    Result<ArchiveKey> parsed = ParseArchiveKey(k);
    if (!parsed.ok() || parsed->kind != ObjectKind::kRetentionDigest) continue;
    Result<std::string> file = store_.Get(k);
    if (!file.ok()) {
      if (file.status().code() != StatusCode::kNotFound) return file.status();
      continue;
    }
    Result<Digest> d = ParseDigest(*file);
    // Only genuine retention digests excuse a missing segment; a broken one
    // is reported when the walk reaches it.
    if (!d.ok() || d->kind != DigestKind::kRetention || !VerifyDigestSignature(key_, *d).ok()) {
      continue;
    }
    for (const DeletedSegment& s : d->deleted) retained_[s.segment] = {s, d->created_ms};
  }
  return OkStatus();
}

Result<Problem> Verifier::CheckLink(const Loaded& cur) {
  const Digest& d = *cur.digest;
  if (!prev_) {
    if (d.number == 1) {
      if (!d.prev_digest.empty() || !d.prev_digest_sha256.empty() ||
          !d.prev_digest_signature.empty()) {
        return Found(VerifyProblem::kModified, cur.key, "digest 1 claims a predecessor");
      }
      return Problem{};
    }
    if (!from_dt_.empty()) {
      // Range: anchor on the signed predecessor.
      Result<std::string> file = store_.Get(d.prev_digest);
      if (!file.ok()) {
        if (file.status().code() != StatusCode::kNotFound) return file.status();
        return Found(VerifyProblem::kMissingDigest, d.prev_digest,
                     "predecessor of " + cur.key + " is missing");
      }
      Loaded anchor;
      anchor.key = d.prev_digest;
      anchor.present = true;
      anchor.file = std::move(*file);
      anchor.digest = ParseDigest(anchor.file);
      if (!anchor.digest.ok()) {
        return Found(VerifyProblem::kModified, anchor.key, anchor.digest.status().message());
      }
      if (Status st = VerifyDigestSignature(key_, *anchor.digest); !st.ok()) {
        return Found(VerifyProblem::kBadSignature, anchor.key, st.message());
      }
      prev_ = std::move(anchor);
    } else {
      return Found(VerifyProblem::kMissingDigest, d.prev_digest.empty() ? cur.key : d.prev_digest,
                   "the chain starts at digest " + std::to_string(d.number) + " (" + cur.key +
                       "): its predecessors are missing");
    }
  }
  if (d.prev_digest != prev_->key) {
    if (all_digest_keys_.count(d.prev_digest) == 0) {
      return Found(VerifyProblem::kMissingDigest, d.prev_digest,
                   "digest " + cur.key + " links to it, but it is missing");
    }
    return Found(VerifyProblem::kReordered, cur.key,
                 "links to " + d.prev_digest + " but follows " + prev_->key);
  }
  if (d.prev_digest_sha256 != Sha256Hex(prev_->file) ||
      d.prev_digest_signature != prev_->digest->signature ||
      d.number != prev_->digest->number + 1) {
    return Found(VerifyProblem::kModified, cur.key,
                 "link to predecessor " + prev_->key + " does not match it");
  }
  return Problem{};
}

Result<Problem> Verifier::CheckSegment(const Digest& d) {
  const Digest* p = prev_ ? &*prev_->digest : nullptr;
  const uint64_t tail_seq = p ? p->last_seq : 0;
  const ChainHash tail_link = p ? p->chain_last : kGenesisChainHash;
  if (FormatDate(d.min_received_ms) != d.dt || FormatDate(d.max_received_ms) != d.dt ||
      d.min_received_ms > d.max_received_ms) {
    return Found(VerifyProblem::kBackdated, d.segment,
                 "partition dt=" + d.dt + " does not match the received times");
  }
  if (p && (d.min_received_ms < p->max_received_ms || d.dt < p->dt)) {
    return Found(VerifyProblem::kBackdated, d.segment,
                 "received times go back before the previous segment's", d.first_seq);
  }
  if (d.first_seq > tail_seq + 1) {
    return Found(VerifyProblem::kMissingSegment, d.segment,
                 "records " + Range(tail_seq + 1, d.first_seq - 1) + " are missing before it",
                 tail_seq + 1);
  }
  if (d.first_seq <= tail_seq) {
    return Found(VerifyProblem::kReordered, d.segment,
                 "starts at seq " + std::to_string(d.first_seq) + " after seq " +
                     std::to_string(tail_seq) + " was sealed",
                 d.first_seq);
  }
  if (d.chain_before != tail_link || d.last_seq < d.first_seq ||
      d.last_seq - d.first_seq + 1 != d.record_count ||
      d.segment != DataKey(d.dt, d.first_seq, d.last_seq) ||
      d.index != IndexKey(d.dt, d.first_seq, d.last_seq)) {
    return Found(VerifyProblem::kModified, d.segment,
                 "digest does not continue the chain of its predecessor", d.first_seq);
  }

  Result<std::string> data = store_.Get(d.segment);
  if (!data.ok()) {
    if (data.status().code() != StatusCode::kNotFound) return data.status();
    if (auto it = retained_.find(d.segment); it != retained_.end()) {
      const DeletedSegment& s = it->second.first;
      if (s.first_seq != d.first_seq || s.last_seq != d.last_seq ||
          s.data_sha256 != d.data_sha256 || s.record_count != d.record_count) {
        return Found(VerifyProblem::kModified, d.segment,
                     "retention digest entry does not match the segment's digest");
      }
      ++report_.retention_deleted;
      report_.retention_notes.push_back(d.segment + " deleted by retention on " +
                                        FormatDate(it->second.second));
      return Problem{};
    }
    // Moved to another partition?
    const std::string name = SegmentName(d.first_seq, d.last_seq);
    for (const std::string& k : data_keys_) {
      Result<ArchiveKey> ak = ParseArchiveKey(k);
      if (ak.ok() && SegmentNameOf(*ak) == name && k != d.segment) {
        return Found(ak->dt < d.dt ? VerifyProblem::kBackdated : VerifyProblem::kReordered, k,
                     "segment of dt=" + d.dt + " was moved to partition dt=" + ak->dt,
                     d.first_seq);
      }
    }
    return Found(VerifyProblem::kMissingSegment, d.segment,
                 "data object is missing (records " + Range(d.first_seq, d.last_seq) + ")",
                 d.first_seq);
  }
  const std::string sha = Sha256Hex(*data);
  if (sha != d.data_sha256) {
    if (auto it = sha_to_segment_.find(sha); it != sha_to_segment_.end()) {
      return Found(VerifyProblem::kReordered, d.segment, "holds the data of " + it->second,
                   d.first_seq);
    }
    Problem pr = CheckRecords(*data, d, &report_.records);
    if (pr.what == VerifyProblem::kNone) {
      pr = Found(VerifyProblem::kModified, d.segment,
                 "data object's SHA-256 differs from its digest", d.first_seq);
    }
    return pr;
  }
  Problem pr = CheckRecords(*data, d, &report_.records);
  if (pr.what != VerifyProblem::kNone) return pr;

  Result<std::string> index = store_.Get(d.index);
  if (index.ok()) {
    if (Sha256Hex(*index) != d.index_sha256) {
      return Found(VerifyProblem::kModified, d.index, "index object's SHA-256 differs from its digest");
    }
  } else if (index.status().code() != StatusCode::kNotFound) {
    return index.status();
  }
  ++report_.segments;
  return Problem{};
}

Problem Verifier::CheckRetention(const Digest& d) {
  const Digest* p = prev_ ? &*prev_->digest : nullptr;
  const std::string key = ExpectedKey(d);
  if (p == nullptr || d.last_seq != p->last_seq || d.chain_last != p->chain_last ||
      d.max_received_ms != p->max_received_ms || d.dt != p->dt) {
    return Found(VerifyProblem::kModified, key, "retention digest does not continue the chain");
  }
  for (const DeletedSegment& s : d.deleted) {
    if (s.max_received_ms >= d.cutoff_ms) {
      return Found(VerifyProblem::kMissingSegment, s.segment,
                   "retention digest " + key + " lists a segment younger than its cutoff",
                   s.first_seq);
    }
    if (s.last_seq > d.last_seq) {
      return Found(VerifyProblem::kModified, key, "lists a segment beyond the chain");
    }
  }
  return Problem{};
}

Result<Problem> Verifier::CheckDigest(size_t i) {
  const Loaded& cur = digests_[i];
  if (!cur.present) {
    return Found(VerifyProblem::kMissingDigest, cur.key, "digest disappeared while verifying");
  }
  if (!cur.digest.ok()) {
    return Found(VerifyProblem::kModified, cur.key, cur.digest.status().message());
  }
  const Digest& d = *cur.digest;
  if (Status st = VerifyDigestSignature(key_, d); !st.ok()) {
    return Found(VerifyProblem::kBadSignature, cur.key, st.message());
  }
  if (ExpectedKey(d) != cur.key) {
    return Found(cur.parsed.dt < d.dt ? VerifyProblem::kBackdated : VerifyProblem::kReordered,
                 cur.key, "digest is stored under the wrong key (its content says " +
                              ExpectedKey(d) + ")");
  }
  ASSIGN_OR_RETURN(Problem link, CheckLink(cur));
  if (link.what != VerifyProblem::kNone) return link;
  Problem pr;
  if (d.kind == DigestKind::kSegment) {
    ASSIGN_OR_RETURN(pr, CheckSegment(d));
  } else {
    pr = CheckRetention(d);
  }
  if (pr.what != VerifyProblem::kNone) return pr;
  ++report_.digests;
  report_.head_key = cur.key;
  report_.head_sha256 = Sha256Hex(cur.file);
  prev_ = cur;
  return Problem{};
}

Result<Problem> Verifier::CheckUnexpected() {
  for (const std::string& k : foreign_digests_) {
    return Found(VerifyProblem::kUnexpectedObject, k, "not a digest of this archive's layout");
  }
  const uint64_t tail = prev_ ? prev_->digest->last_seq : 0;
  for (const std::vector<std::string>* keys : {&data_keys_, &index_keys_}) {
    for (const std::string& k : *keys) {
      Result<ArchiveKey> ak = ParseArchiveKey(k);
      if (!ak.ok()) {
        return Found(VerifyProblem::kUnexpectedObject, k, "not an object of this archive's layout");
      }
      if (!InRange(ak->dt) || referenced_.count(k) > 0) continue;
      if (to_dt_.empty() && ak->first_seq == tail + 1) {
        // A seal running while we verified: its digest landed after we
        // listed the digests. Beyond the verified head, not a problem.
        ASSIGN_OR_RETURN(const bool sealed, SealedMeanwhile(ak->first_seq));
        if (sealed) continue;
        return Found(VerifyProblem::kMissingDigest, k,
                     "newest segment has no digest: its digest was deleted or its seal was "
                     "interrupted (the next seal removes an interrupted one)",
                     ak->first_seq);
      }
      return Found(VerifyProblem::kUnexpectedObject, k,
                   "no digest accounts for this object (back-filled?)", ak->first_seq);
    }
  }
  return Problem{};
}

Result<bool> Verifier::SealedMeanwhile(uint64_t first_seq) {
  // Asked for the segment's data object and again for its index object.
  if (sealed_meanwhile_ && sealed_meanwhile_->first == first_seq) return sealed_meanwhile_->second;
  ASSIGN_OR_RETURN(std::vector<std::string> keys, store_.List(kDigestPrefix));
  bool sealed = false;
  for (const std::string& k : keys) {
    if (all_digest_keys_.count(k) > 0) continue;
    Result<ArchiveKey> parsed = ParseArchiveKey(k);
    if (parsed.ok() && parsed->kind == ObjectKind::kSegmentDigest &&
        parsed->first_seq == first_seq) {
      sealed = true;
      break;
    }
  }
  sealed_meanwhile_.emplace(first_seq, sealed);
  return sealed;
}

Result<VerifyReport> Verifier::Run() {
  if (options_.from_ms && options_.to_ms && *options_.from_ms > *options_.to_ms) {
    return InvalidArgumentError("verify range: --from is after --to");
  }
  if (options_.from_ms) from_dt_ = FormatDate(*options_.from_ms);
  if (options_.to_ms) to_dt_ = FormatDate(*options_.to_ms);
  RETURN_IF_ERROR(LoadDigests());
  RETURN_IF_ERROR(LoadRetention());
  // Listed after the digests: a seal finishing in between shows its data
  // and index objects without their digest (see SealedMeanwhile).
  ASSIGN_OR_RETURN(data_keys_, store_.List(kDataPrefix));
  ASSIGN_OR_RETURN(index_keys_, store_.List(kIndexPrefix));

  Problem pr;
  for (size_t i = 0; i < digests_.size() && pr.what == VerifyProblem::kNone; ++i) {
    ASSIGN_OR_RETURN(pr, CheckDigest(i));
  }
  if (pr.what == VerifyProblem::kNone) {
    ASSIGN_OR_RETURN(pr, CheckUnexpected());
  }
  report_.problem = pr.what;
  report_.object = std::move(pr.object);
  report_.seq = pr.seq;
  report_.detail = std::move(pr.detail);
  return std::move(report_);
}

}  // namespace

std::string_view VerifyProblemName(VerifyProblem p) {
  switch (p) {
    case VerifyProblem::kNone: return "ok";
    case VerifyProblem::kModified: return "modified";
    case VerifyProblem::kTruncated: return "truncated";
    case VerifyProblem::kMissingSegment: return "missing segment";
    case VerifyProblem::kMissingDigest: return "missing digest";
    case VerifyProblem::kReordered: return "reordered";
    case VerifyProblem::kBackdated: return "back-dated";
    case VerifyProblem::kBadSignature: return "bad signature";
    case VerifyProblem::kUnexpectedObject: return "unexpected object";
  }
  return "unknown";
}

int VerifyExitCode(VerifyProblem p) {
  return p == VerifyProblem::kNone ? 0 : 2 + static_cast<int>(p);
}

std::string VerifyReport::Summary() const {
  if (ok()) {
    return "verified " + std::to_string(records) + " records in " + std::to_string(segments) +
           " segments";
  }
  std::string s = std::string(VerifyProblemName(problem)) + ": " + object;
  if (seq != 0) s += " record seq " + std::to_string(seq);
  s += ": " + detail;
  return s;
}

Result<VerifyReport> VerifyArchive(BlobStore& store, const crypto::Ed25519PublicKey& key,
                                   const VerifyOptions& options) {
  Verifier v(store, key, options);
  return v.Run();
}

}  // namespace kura::logs
