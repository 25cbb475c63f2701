#include "logs/ingest/wal.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "logs/ingest/wal_format.h"

namespace kura::logs {
namespace {

// Released cache buffers kept for reuse: a few, and none that a burst made
// unusually large.
constexpr size_t kMaxSpareBuffers = 4;
constexpr size_t kMaxSpareBufferBytes = 16 << 20;

}  // namespace

Wal::Wal(FileSystem& fs, std::string dir, WalOptions options)
    : fs_(fs), dir_(std::move(dir)), options_(options) {}

Wal::~Wal() { Close().IgnoreError(); }

Result<std::unique_ptr<Wal>> Wal::Open(FileSystem& fs, std::string dir, WalOptions options,
                                       const ChainPosition& archive_tail) {
  if (options.max_file_bytes == 0) return InvalidArgumentError("WAL: max_file_bytes must be > 0");
  std::unique_ptr<Wal> wal(new Wal(fs, std::move(dir), options));
  RETURN_IF_ERROR(wal->Recover(archive_tail));
  return wal;
}

Status Wal::Recover(const ChainPosition& tail) {
  RETURN_IF_ERROR(fs_.CreateDirs(dir_, 0700));
  ASSIGN_OR_RETURN(std::vector<std::string> names, fs_.ListDir(dir_));
  std::vector<std::pair<uint64_t, std::string>> found;
  for (const std::string& n : names) {
    uint64_t first = 0;
    if (ParseWalFileName(n, &first)) found.emplace_back(first, n);
  }
  std::sort(found.begin(), found.end());

  ChainPosition end;  // end of the WAL's chain
  bool have = false;
  bool tail_link_checked = tail.last_seq == 0;
  uint64_t unsealed = 0;
  int64_t oldest_unsealed = 0;
  bool changed_dir = false;
  // The file before the one being looked at: frames after its end are
  // superseded by the next file (a failed fsync's tail) and must go if that
  // next file is removed, or a later recovery would take them for records.
  struct Previous {
    std::string path;
    std::optional<std::string> kept;  // its bytes without that tail, if it has one
  };
  std::optional<Previous> previous;
  // Removes the newest file, which held nothing acknowledged, and the
  // superseded tail of the file before it.
  auto remove_newest = [&](const std::string& path) -> Status {
    RETURN_IF_ERROR(fs_.RemoveFile(path));
    changed_dir = true;
    if (!previous || !previous->kept) return OkStatus();
    return fs_.WriteFileAtomic(previous->path, *previous->kept);
  };
  for (size_t i = 0; i < found.size(); ++i) {
    const auto& [first, name] = found[i];
    const bool last_file = i + 1 == found.size();
    const uint64_t limit = last_file ? UINT64_MAX : found[i + 1].first - 1;
    const std::string path = JoinPath(dir_, name);
    ASSIGN_OR_RETURN(std::string data, fs_.ReadFile(path));
    WalFileScan scan = ScanWalFile(data, first, tail.last_seq, tail.last_seq + 1, limit);
    if (last_file && scan.header_cut_short) {
      // Killed between creating the file and its first write: nothing in it
      // was acknowledged.
      RETURN_IF_ERROR(remove_newest(path));
      continue;
    }
    if (!scan.header_ok) return DataLossError("WAL " + name + " has a damaged header");
    if (have && (end.last_seq + 1 != first || scan.prev_chain != end.last_chain)) {
      return DataLossError("WAL " + name + " does not continue the chain of the file before it");
    }
    const uint64_t file_end = scan.first_seq + scan.record_count;
    if (!last_file && file_end <= limit) {
      return DataLossError("WAL " + name + " breaks off before seq " + std::to_string(file_end) +
                           ", but the next file starts at seq " + std::to_string(limit + 1));
    }
    if (last_file && scan.record_count == 0) {
      // Its header went out, its first group did not: it goes, or the next
      // file created under its name would append a second header to it.
      RETURN_IF_ERROR(remove_newest(path));
      continue;
    }
    if (last_file && scan.torn) {
      // Only a write that was never acknowledged can be torn: cut it off so
      // the file is clean for readers.
      RETURN_IF_ERROR(fs_.WriteFileAtomic(path, std::string_view(data).substr(0, scan.valid_bytes)));
      changed_dir = true;
    }
    if (!have) {
      if (first > tail.last_seq + 1) {
        return DataLossError("WAL starts at seq " + std::to_string(first) +
                             " but the archive ends at seq " + std::to_string(tail.last_seq) +
                             ": records are missing");
      }
      if (first == tail.last_seq + 1) {
        if (scan.prev_chain != tail.last_chain) {
          return DataLossError("WAL " + name + " does not continue the archive's chain");
        }
        tail_link_checked = true;
      }
    }
    for (const ChainedRecord& r : scan.records) {
      if (r.seq == tail.last_seq) {
        if (r.chain != tail.last_chain) {
          return DataLossError("WAL record " + std::to_string(r.seq) +
                               " differs from the archive's last record");
        }
        tail_link_checked = true;
      } else if (r.seq == tail.last_seq + 1 && oldest_unsealed == 0) {
        oldest_unsealed = r.received_ms;
      }
    }
    have = true;
    end.last_seq = file_end - 1;
    end.last_chain = scan.last_chain;
    end.last_received_ms = scan.last_received_ms;
    if (end.last_seq > tail.last_seq) {
      unsealed += scan.record_bytes;
      if (oldest_unsealed == 0 && first > tail.last_seq) oldest_unsealed = scan.first_received_ms;
    }
    files_.push_back(FileInfo{first, end.last_seq, name});
    previous = Previous{path, std::nullopt};
    if (scan.valid_bytes < data.size()) {
      data.resize(scan.valid_bytes);
      previous->kept = std::move(data);
    }
  }
  if (have && end.last_seq >= tail.last_seq && !tail_link_checked) {
    return DataLossError("WAL does not join the archive's chain at seq " +
                         std::to_string(tail.last_seq));
  }
  if (!have || end.last_seq <= tail.last_seq) {
    durable_ = tail;
    durable_.last_received_ms = std::max(tail.last_received_ms, end.last_received_ms);
  } else {
    durable_ = end;
    durable_.last_received_ms = std::max(tail.last_received_ms, end.last_received_ms);
    groups_.push_back(Group{end.last_seq, unsealed, oldest_unsealed});
    unsealed_bytes_ = unsealed;
  }
  dropped_through_ = tail.last_seq;
  if (changed_dir) RETURN_IF_ERROR(fs_.SyncDir(dir_));
  return DropThrough(tail.last_seq);
}

Status Wal::StorageError(const Status& cause, std::string_view what) const {
  const std::string detail = std::string(what) + ": " + cause.message();
  if (cause.code() == StatusCode::kResourceExhausted) {
    return ResourceExhaustedError("audit store: disk full, refusing events (" + detail + ")");
  }
  return UnavailableError("audit store: cannot write the write-ahead log, refusing events (" +
                          detail + ")");
}

Status Wal::StartFile(const ChainPosition& pos) {
  const uint64_t first = pos.last_seq + 1;
  const std::string name = WalFileName(first);
  const std::string path = JoinPath(dir_, name);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!files_.empty() && files_.back().first_seq == first) {
      // A file that failed before holding any durable record: replace it.
      Status s = fs_.RemoveFile(path);
      if (!s.ok() && s.code() != StatusCode::kNotFound) return StorageError(s, "removing " + name);
      files_.pop_back();
    }
  }
  Result<std::unique_ptr<WritableFile>> f = fs_.OpenAppendable(path, 0600);
  if (!f.ok()) return StorageError(f.status(), "creating " + name);
  file_ = std::move(f).value();
  file_needs_dir_sync_ = true;
  file_bytes_ = 0;
  AppendWalHeader(first, pos.last_chain, &header_);
  std::lock_guard<std::mutex> lock(mu_);
  files_.push_back(FileInfo{first, first - 1, name});
  current_open_ = true;
  rotate_requested_ = false;
  return OkStatus();
}

Status Wal::Prepare(std::span<const std::span<LogRecord>> batches, const ChainPosition& base,
                    Prepared* out) const {
  out->frames.clear();
  out->base = base;
  out->end = base;
  out->count = 0;
  out->record_bytes = 0;
  out->first_received_ms = 0;
  Status s = PrepareMore(batches, out);
  if (!s.ok()) out->frames.clear();
  return s;
}

Status Wal::PrepareMore(std::span<const std::span<LogRecord>> batches, Prepared* out) const {
  uint64_t seq = out->end.last_seq;
  ChainHash chain = out->end.last_chain;
  int64_t received = out->end.last_received_ms;
  std::string& buffer = out->frames;
  const size_t start = buffer.size();
  uint64_t bytes = 0;
  size_t count = 0;
  int64_t first_received = out->first_received_ms;
  for (const std::span<LogRecord>& batch : batches) {
    for (LogRecord& r : batch) {
      r.seq = ++seq;
      r.received_ms = std::max(r.received_ms, received);
      received = r.received_ms;
      if (first_received == 0) first_received = received;
      const size_t at = buffer.size();
      buffer.append(4, '\0');
      AppendRecord(r, &buffer);
      const size_t len = buffer.size() - at - 4;
      if (len > kMaxWalRecordBytes) {
        // Receivers limit event sizes far below this; refuse rather than
        // write a frame the reader would take for a torn tail.
        buffer.resize(start);
        return InvalidArgumentError("event too large for the write-ahead log");
      }
      for (int i = 0; i < 4; ++i) buffer[at + i] = static_cast<char>((len >> (8 * i)) & 0xff);
      chain = out->hasher.Next(chain, std::string_view(buffer).substr(at + 4, len));
      buffer.append(reinterpret_cast<const char*>(chain.data()), chain.size());
      bytes += len;
      ++count;
    }
  }
  out->record_bytes += bytes;
  out->count += count;
  out->first_received_ms = first_received;
  out->end = ChainPosition{seq, chain, received};
  return OkStatus();
}

Status Wal::Write(std::span<const std::span<LogRecord>> batches) {
  size_t count = 0;
  for (const auto& b : batches) count += b.size();
  if (count == 0) return OkStatus();
  RETURN_IF_ERROR(Prepare(batches, durable(), &write_group_));
  return Commit(&write_group_);
}

Status Wal::Commit(Prepared* prepared) {
  const Prepared& group = *prepared;
  if (group.count == 0) return OkStatus();
  bool rotate = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (group.base.last_seq != durable_.last_seq || group.base.last_chain != durable_.last_chain) {
      return AbortedError("WAL group was prepared on a position that is no longer the end");
    }
    rotate = rotate_requested_;
  }
  if (file_ && (file_bytes_ >= options_.max_file_bytes || rotate)) {
    Status closed = file_->Close();  // everything in it is synced already
    file_.reset();
    std::lock_guard<std::mutex> lock(mu_);
    current_open_ = false;
    if (!closed.ok()) return StorageError(closed, "closing the WAL file");
  }
  header_.clear();
  if (!file_) RETURN_IF_ERROR(StartFile(group.base));

  // A new file's header goes out with the first group (one write).
  Status s = header_.empty() ? OkStatus() : file_->Append(header_);
  if (s.ok()) s = file_->Append(group.frames);
  std::string_view what = "appending to the WAL";
  if (s.ok()) {
    s = file_->Sync();
    what = "fsync of the WAL";
  }
  if (s.ok() && file_needs_dir_sync_) {
    s = fs_.SyncDir(dir_);
    what = "fsync of the WAL directory";
  }
  if (!s.ok()) {
    // Never append to this file again; the next Write starts a new one at
    // the last durable record.
    file_->Close().IgnoreError();
    file_.reset();
    std::lock_guard<std::mutex> lock(mu_);
    current_open_ = false;
    return StorageError(s, what);
  }
  file_needs_dir_sync_ = false;
  file_bytes_ += header_.size() + group.frames.size();
  header_.clear();
  // Keep the frames for ReadDurable if they fit (contiguous with the
  // cache): they move into the cache, the group gets a spare buffer.
  const uint64_t first_seq = group.base.last_seq + 1;
  std::lock_guard<std::mutex> lock(mu_);
  if (options_.max_cached_bytes > 0 &&
      cached_bytes_ + group.frames.size() <= options_.max_cached_bytes &&
      (cache_.empty() || cache_.back().last_seq + 1 == first_seq)) {
    cached_bytes_ += group.frames.size();
    cache_.push_back(CachedGroup{first_seq, group.end.last_seq,
                                 std::make_shared<std::string>(std::move(prepared->frames))});
    prepared->frames.clear();
    if (!spare_buffers_.empty()) {
      prepared->frames.swap(spare_buffers_.back());
      spare_buffers_.pop_back();
    }
  }
  durable_ = group.end;
  files_.back().last_seq = group.end.last_seq;
  groups_.push_back(Group{group.end.last_seq, group.record_bytes, group.first_received_ms});
  unsealed_bytes_ += group.record_bytes;
  return OkStatus();
}

ChainPosition Wal::durable() const {
  std::lock_guard<std::mutex> lock(mu_);
  return durable_;
}

uint64_t Wal::unsealed_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return unsealed_bytes_;
}

Result<std::vector<ChainedRecord>> Wal::ReadDurable(const WalReadOptions& options) const {
  std::vector<std::shared_ptr<const std::string>> frames;  // never written once cached
  uint64_t seq = 0;  // the seq before frames.front()'s first record
  uint64_t durable_seq = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    durable_seq = durable_.last_seq;
    const uint64_t want = options.after_seq + 1;
    if (!cache_.empty() && cache_.front().first_seq <= want && want <= cache_.back().last_seq) {
      for (const CachedGroup& g : cache_) {
        if (g.last_seq < want) continue;
        if (frames.empty()) seq = g.first_seq - 1;
        frames.push_back(g.frames);
        if (g.last_seq >= options.through_seq) break;
      }
    }
  }
  if (frames.empty()) return ReadWalRecords(fs_, dir_, options);
  std::vector<ChainedRecord> out;
  uint64_t bytes = 0;
  for (const std::shared_ptr<const std::string>& f : frames) {
    const std::string_view data = *f;
    size_t pos = 0;
    while (pos < data.size()) {
      ++seq;
      if (seq > options.through_seq || bytes >= options.max_bytes) return out;
      const uint32_t len = WalFrameRecordLength(data.data() + pos);
      if (seq > options.after_seq) {
        const std::string_view record = data.substr(pos + 4, len);
        Result<RecordPrefix> prefix = ParseRecordPrefix(record);
        if (!prefix.ok() || prefix->seq != seq) {
          return DataLossError("WAL cache: record " + std::to_string(seq) +
                               " is not where expected");
        }
        ChainedRecord& r = out.emplace_back();
        r.seq = seq;
        r.received_ms = prefix->received_ms;
        r.bytes.assign(record);
        std::memcpy(r.chain.data(), data.data() + pos + 4 + len, r.chain.size());
        bytes += len;
      }
      pos += kWalFrameOverhead + len;
    }
  }
  // The cache ended first (it was full when later groups came): the rest
  // from the files.
  if (seq < std::min(options.through_seq, durable_seq) && bytes < options.max_bytes) {
    WalReadOptions rest = options;
    rest.after_seq = seq;
    rest.max_bytes = options.max_bytes - bytes;
    ASSIGN_OR_RETURN(std::vector<ChainedRecord> more, ReadWalRecords(fs_, dir_, rest));
    for (ChainedRecord& r : more) out.push_back(std::move(r));
  }
  return out;
}

int64_t Wal::oldest_unsealed_received_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  return groups_.empty() ? 0 : groups_.front().first_received_ms;
}

Status Wal::DropThrough(uint64_t seq) {
  // Files to delete are taken out of files_ under mu_ and deleted after it:
  // the group commit takes mu_ too, and must not wait for an unlink or a
  // directory fsync (nor for a low-priority sealing thread inside one).
  std::vector<FileInfo> drop;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ForgetThrough(seq, &drop);
  }
  size_t removed = 0;
  Status result;
  for (; removed < drop.size(); ++removed) {
    Status s = fs_.RemoveFile(JoinPath(dir_, drop[removed].name));
    if (!s.ok() && s.code() != StatusCode::kNotFound) {
      result = s.WithContext("dropping sealed WAL file");
      break;
    }
  }
  if (removed < drop.size()) {
    // Still the oldest files: tried again by the next DropThrough.
    std::lock_guard<std::mutex> lock(mu_);
    files_.insert(files_.begin(), drop.begin() + static_cast<std::ptrdiff_t>(removed), drop.end());
  }
  if (removed > 0) {
    Status synced = fs_.SyncDir(dir_);
    if (result.ok()) result = synced;
  }
  return result;
}

void Wal::ForgetThrough(uint64_t seq, std::vector<FileInfo>* drop) {
  dropped_through_ = std::max(dropped_through_, seq);
  while (!cache_.empty() && cache_.front().last_seq <= seq) {
    std::shared_ptr<std::string>& f = cache_.front().frames;
    cached_bytes_ -= f->size();
    // Recycled only when no ReadDurable still reads it.
    if (f.use_count() == 1 && spare_buffers_.size() < kMaxSpareBuffers &&
        f->capacity() <= kMaxSpareBufferBytes) {
      // Pairs with the release of the last reader's reference.
      std::atomic_thread_fence(std::memory_order_acquire);
      f->clear();
      spare_buffers_.push_back(std::move(*f));
    }
    cache_.pop_front();
  }
  while (!groups_.empty() && groups_.front().last_seq <= seq) {
    unsealed_bytes_ -= std::min(unsealed_bytes_, groups_.front().bytes);
    groups_.pop_front();
  }
  while (!files_.empty()) {
    const FileInfo& f = files_.front();
    const bool is_current = current_open_ && files_.size() == 1;
    if (f.last_seq > seq) break;
    if (is_current) {
      if (f.last_seq >= f.first_seq) rotate_requested_ = true;
      break;
    }
    drop->push_back(f);
    files_.pop_front();
  }
}

Status Wal::Close() {
  if (!file_) return OkStatus();
  Status s = file_->Sync();
  Status c = file_->Close();
  file_.reset();
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_open_ = false;
  }
  return s.ok() ? c : s;
}

}  // namespace kura::logs
