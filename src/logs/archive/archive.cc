#include "logs/archive/archive.h"

#include <algorithm>
#include <cstring>

#include "logs/archive/archive_layout.h"

namespace kura::logs {
namespace {

constexpr int kFirstYear = 1970;
constexpr int kLastYear = 9999;

ArchiveTail TailOf(const std::optional<ChainHead>& head) {
  ArchiveTail t;
  if (head) {
    t.last_seq = head->digest.last_seq;
    t.last_chain = head->digest.chain_last;
    t.last_received_ms = head->digest.max_received_ms;
  }
  return t;
}

// The key a digest with this content must be stored under.
std::string ExpectedDigestKey(const Digest& d) {
  return d.kind == DigestKind::kSegment ? SegmentDigestKey(d.dt, d.first_seq, d.last_seq)
                                        : RetentionDigestKey(d.dt, d.last_seq, d.number);
}

Status PutNew(BlobStore& store, const std::string& key, std::string_view data) {
  Status st = store.PutIfAbsent(key, data);
  if (st.code() == StatusCode::kAlreadyExists) {
    return FailedPreconditionError("archive object " + key +
                                   " already exists (is another process sealing into this "
                                   "archive?)");
  }
  return st;
}

}  // namespace

Result<std::optional<ChainHead>> FindChainHead(BlobStore& store, const Clock& clock) {
  const std::string today = FormatDate(clock.NowUnixMillis());
  const int year = std::clamp(std::stoi(today.substr(0, 4)) + 1, kFirstYear, kLastYear);
  std::vector<std::string> keys;
  for (int y = year; y >= kFirstYear && keys.empty(); --y) {
    ASSIGN_OR_RETURN(keys, store.List(std::string(kDigestPrefix) + "dt=" + std::to_string(y) + "-"));
  }
  // Nothing at or before the clock's year: either empty, or digests dated
  // after it (a clock set back); a full listing tells.
  if (keys.empty()) {
    ASSIGN_OR_RETURN(keys, store.List(kDigestPrefix));
  }
  std::optional<ArchiveKey> best;
  std::string best_key;
  for (const std::string& k : keys) {
    Result<ArchiveKey> parsed = ParseArchiveKey(k);
    if (!parsed.ok()) continue;  // foreign objects: verify reports them
    if (!best || parsed->ChainOrder() > best->ChainOrder()) {
      best = *parsed;
      best_key = k;
    }
  }
  if (!best) return std::optional<ChainHead>();
  ChainHead head;
  head.key = best_key;
  ASSIGN_OR_RETURN(head.file, store.Get(best_key));
  Result<Digest> d = ParseDigest(head.file);
  if (!d.ok()) return d.status().WithContext("newest digest " + best_key);
  if (ExpectedDigestKey(*d) != best_key) {
    return DataLossError("newest digest " + best_key + " is stored under the wrong key");
  }
  head.digest = std::move(*d);
  return std::optional<ChainHead>(std::move(head));
}

Archive::Archive(BlobStore& store, std::optional<crypto::Ed25519PrivateKey> signer,
                 const Clock& clock, ArchiveOptions options)
    : store_(store),
      signer_(std::move(signer)),
      clock_(clock),
      options_(options),
      builder_(options.segment) {}

Status Archive::CheckSigner() const {
  if (!signer_) {
    return FailedPreconditionError(
        "the archive is open read-only: sealing needs the digest signing key");
  }
  return OkStatus();
}

Result<const std::optional<ChainHead>*> Archive::LoadHeadLocked() {
  if (!head_loaded_) {
    ASSIGN_OR_RETURN(head_, FindChainHead(store_, clock_));
    if (head_ && signer_) {
      // Never extend a chain whose head this key did not sign.
      Status st = VerifyDigestSignature(signer_->PublicKey(), head_->digest);
      if (!st.ok()) {
        const std::string key = head_->key;
        head_.reset();
        return FailedPreconditionError("newest digest " + key +
                                       " does not verify with the digest signing key (" +
                                       st.message() + "); run `kura logs verify`");
      }
    }
    head_loaded_ = true;
  }
  return &head_;
}

Result<std::optional<ChainHead>> Archive::Head() {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(const std::optional<ChainHead>* head, LoadHeadLocked());
  return *head;
}

Result<ArchiveTail> Archive::Tail() {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(const std::optional<ChainHead>* head, LoadHeadLocked());
  return TailOf(*head);
}

Result<SealResult> Archive::Seal(std::span<const ChainedRecord> records) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckSigner());
  SealResult result;
  if (records.empty()) return result;
  ASSIGN_OR_RETURN(const std::optional<ChainHead>* head, LoadHeadLocked());
  const ArchiveTail tail = TailOf(*head);

  // Validate everything before writing anything.
  const int64_t latest = clock_.NowUnixMillis() + kMaxFutureReceivedMs;
  uint64_t seq = tail.last_seq;
  ChainHash link = tail.last_chain;
  int64_t received = tail.last_received_ms;
  ChainHasher hasher;
  for (const ChainedRecord& r : records) {
    // Built only for an error message (this loop runs for every record).
    auto which = [&r] { return "record seq " + std::to_string(r.seq); };
    if (r.seq != seq + 1) {
      return InvalidArgumentError(which() + " does not continue the archive (expected seq " +
                                  std::to_string(seq + 1) + ")");
    }
    link = hasher.Next(link, r.bytes);
    if (link != r.chain) {
      return InvalidArgumentError(which() + ": chain link does not match its bytes and predecessor");
    }
    if (r.received_ms < received || r.received_ms < 0) {
      return InvalidArgumentError(which() + ": received time goes backwards");
    }
    if (r.received_ms > latest) {
      return InvalidArgumentError(which() + ": received time is in the future");
    }
    seq = r.seq;
    received = r.received_ms;
  }

  // One segment per UTC day.
  size_t begin = 0;
  while (begin < records.size()) {
    const int64_t day = records[begin].received_ms / kMillisPerDay;
    size_t end = begin + 1;
    while (end < records.size() && records[end].received_ms / kMillisPerDay == day) ++end;
    ASSIGN_OR_RETURN(SealedSegment s,
                     SealPartitionLocked(records.subspan(begin, end - begin),
                                         FormatDate(records[begin].received_ms)));
    result.segments.push_back(std::move(s));
    begin = end;
  }
  return result;
}

Status Archive::RemoveUncommittedLocked(const std::string& dt, uint64_t tail_seq) {
  for (std::string_view top : {kDataPrefix, kIndexPrefix}) {
    ASSIGN_OR_RETURN(std::vector<std::string> keys, store_.List(PartitionPrefix(top, dt)));
    for (const std::string& k : keys) {
      Result<ArchiveKey> parsed = ParseArchiveKey(k);
      // Only objects wholly beyond the tail; anything overlapping sealed
      // seqs is verify's business.
      if (!parsed.ok() || parsed->first_seq <= tail_seq) continue;
      Status st = store_.Delete(k);
      if (!st.ok() && st.code() != StatusCode::kNotFound) return st;
    }
  }
  return OkStatus();
}

Result<SealedSegment> Archive::SealPartitionLocked(std::span<const ChainedRecord> records,
                                                   const std::string& dt) {
  const ArchiveTail tail = TailOf(head_);
  for (const ChainedRecord& r : records) {
    Status st = builder_.Add(r);
    if (!st.ok()) {
      builder_.Finish().status().IgnoreError();  // empties the builder
      return st;
    }
  }
  SealedSegment out;
  out.raw_bytes = builder_.raw_bytes();
  ASSIGN_OR_RETURN(BuiltSegment built, builder_.Finish());
  RETURN_IF_ERROR(RemoveUncommittedLocked(dt, tail.last_seq));

  out.dt = dt;
  out.first_seq = records.front().seq;
  out.last_seq = records.back().seq;
  out.record_count = records.size();
  out.data_key = DataKey(dt, out.first_seq, out.last_seq);
  out.index_key = IndexKey(dt, out.first_seq, out.last_seq);
  out.digest_key = SegmentDigestKey(dt, out.first_seq, out.last_seq);
  out.data_bytes = built.data.size();
  out.index_bytes = built.index.size();
  RETURN_IF_ERROR(PutNew(store_, out.data_key, built.data));
  RETURN_IF_ERROR(PutNew(store_, out.index_key, built.index));

  Digest d;
  d.kind = DigestKind::kSegment;
  d.dt = dt;
  d.segment = out.data_key;
  d.index = out.index_key;
  d.first_seq = out.first_seq;
  d.last_seq = out.last_seq;
  d.record_count = out.record_count;
  d.min_received_ms = records.front().received_ms;
  d.max_received_ms = records.back().received_ms;
  d.chain_before = tail.last_chain;
  d.chain_last = records.back().chain;
  d.data_sha256 = Sha256Hex(built.data);
  d.data_bytes = built.data.size();
  d.index_sha256 = Sha256Hex(built.index);
  d.index_bytes = built.index.size();
  RETURN_IF_ERROR(CommitDigestLocked(std::move(d), out.digest_key));
  return out;
}

Status Archive::CommitDigestLocked(Digest d, const std::string& key) {
  d.number = head_ ? head_->digest.number + 1 : 1;
  if (head_) {
    d.prev_digest = head_->key;
    d.prev_digest_sha256 = Sha256Hex(head_->file);
    d.prev_digest_signature = head_->digest.signature;
  }
  d.created_ms = clock_.NowUnixMillis();
  RETURN_IF_ERROR(SignDigest(*signer_, &d));
  ChainHead next;
  next.key = key;
  next.file = EncodeDigest(d);
  next.digest = std::move(d);
  Status st = PutNew(store_, key, next.file);
  if (!st.ok()) {
    // The store may hold what we do not know about: look again next time.
    if (st.code() == StatusCode::kFailedPrecondition) head_loaded_ = false;
    return st;
  }
  head_ = std::move(next);
  return OkStatus();
}

Result<std::string> Archive::AppendRetentionDigest(int64_t retention_days, int64_t cutoff_ms,
                                                   std::vector<DeletedSegment> deleted) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckSigner());
  ASSIGN_OR_RETURN(const std::optional<ChainHead>* head, LoadHeadLocked());
  if (!*head) return FailedPreconditionError("the archive is empty");
  const Digest& h = (*head)->digest;
  Digest d;
  d.kind = DigestKind::kRetention;
  d.dt = h.dt;
  d.last_seq = h.last_seq;
  d.chain_last = h.chain_last;
  d.max_received_ms = h.max_received_ms;
  d.retention_days = retention_days;
  d.cutoff_ms = cutoff_ms;
  d.deleted = std::move(deleted);
  const std::string key = RetentionDigestKey(d.dt, d.last_seq, h.number + 1);
  RETURN_IF_ERROR(CommitDigestLocked(std::move(d), key));
  return key;
}

}  // namespace kura::logs
