#include "vault/sqlite_card_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>
#include <optional>
#include <system_error>
#include <utility>

#include "core/base/await.h"
#include "vault/errno_status.h"
#include "vault/sqlite_card_index.h"
#include "vault/sqlite_card_rows.h"
#include "vault/sqlite_card_schema.h"
#include "vault/sqlite_connection.h"

namespace kura::vault {

using sqlite::Connection;
using sqlite::Statement;

namespace {

constexpr std::string_view kDeleteSql = "DELETE FROM cards WHERE id = ?1";
constexpr std::string_view kUpdateSealedSql =
    "UPDATE cards SET dek_version = ?2, sealed = ?3 WHERE id = ?1";
constexpr std::string_view kCountByDekSql = "SELECT COUNT(*) FROM cards WHERE dek_version = ?1";
constexpr std::string_view kCountSql = "SELECT COUNT(*) FROM cards";
constexpr std::string_view kInsertNonceSql =
    "INSERT INTO reveal_nonces (jti, expires_ms) VALUES (?1, ?2)";
constexpr std::string_view kPurgeNoncesSql = "DELETE FROM reveal_nonces WHERE expires_ms < ?1";

Status ErrnoError(int err, std::string_view operation) {
  return ErrnoStatus(err, "card store: " + std::string(operation));
}

// Sets `path` to mode 0600 without following a symlink. Creates it first when
// `create`; a missing file is fine otherwise.
Status MakePrivate(const std::string& path, bool create, std::string_view operation) {
  const int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0);
  const int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) {
    if (!create && errno == ENOENT) return OkStatus();
    return ErrnoError(errno, operation);
  }
  // The umask may have narrowed or, for a pre-existing file, someone may have
  // widened the mode: set it explicitly either way.
  const int rc = ::fchmod(fd, 0600);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoError(err, operation);
  return OkStatus();
}

// Runs a statement that returns no rows we need (pragmas may return one).
Status Run(Connection& c, std::string_view sql, std::string_view operation) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare(sql, operation));
  for (;;) {
    ASSIGN_OR_RETURN(const bool row, st.Step());
    if (!row) return OkStatus();
  }
}

// Database page size of a new vault (an existing file keeps its own). Rows
// are appended in id order and the look-up tables have small integer keys;
// 2 KiB pages were chosen when every insert dirtied a random leaf of a
// token-keyed table. 4 KiB pages halved the WAL frames (and write calls)
// per byte: a 10 M-row tokenize-file took 0.88-0.89 of the time. 8 KiB
// pages halve them again: 0.93 of the time (3 alternating pairs, median),
// the vault's HTTP store unchanged. 16 KiB pages did no better for the
// bulk job, and the HTTP store was 7-17 % slower with them (a small commit
// copies each page it dirtied whole into the WAL; docs/benchmarks.md,
// bridge run S).
constexpr int kPageSizeBytes = 8192;

// The database's page size in bytes.
Result<int64_t> PageSize(Connection& c) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare("PRAGMA page_size", "read page_size"));
  ASSIGN_OR_RETURN(const bool row, st.Step());
  if (!row || st.ColumnInt64(0) <= 0) return InternalError("card store: no page size");
  return st.ColumnInt64(0);
}

// Upper bound on the WAL file kept between checkpoints. A merge of recent
// fingerprint slots at 10^7 cards is one transaction of ~250 MiB of WAL: a
// lower bound (64 MiB before) had SQLite truncate the file after each of
// them and the next one re-allocate it, block by block (22 times in a
// 10 M-row tokenize-file, about 13 % of its time: docs/benchmarks.md).
constexpr int64_t kWalSizeLimitBytes = int64_t{512} << 20;
// Page cache per connection, in KiB (SQLite's negative cache_size). Random
// token keys touch random B-tree pages; without a cache large enough for the
// interior pages every insert re-reads them from the OS.
constexpr int64_t kPageCacheKib = 16 * 1024;
// Page cache of the writer while it runs InsertBatch operations (a batch
// touches far more pages than kPageCacheKib holds).
constexpr int64_t kBatchPageCacheKib = 256 * 1024;

Status SetPageCache(Connection& c, int64_t kib) {
  return Run(c, "PRAGMA cache_size=-" + std::to_string(kib), "set cache_size");
}

Status ConfigureConnection(Connection& c, bool reader) {
  RETURN_IF_ERROR(Run(c, "PRAGMA synchronous=FULL", "set synchronous"));
  RETURN_IF_ERROR(Run(c, "PRAGMA secure_delete=ON", "set secure_delete"));
  RETURN_IF_ERROR(SetPageCache(c, kPageCacheKib));
  // Keep the WAL file allocated between checkpoints: re-growing a truncated
  // file makes every commit's fdatasync also flush block allocation. Deletes
  // still scrub it explicitly (TryScrubWal truncates to zero).
  RETURN_IF_ERROR(Run(c, "PRAGMA journal_size_limit=" + std::to_string(kWalSizeLimitBytes),
                      "set journal_size_limit"));
  if (reader) RETURN_IF_ERROR(Run(c, "PRAGMA query_only=ON", "set query_only"));
  return OkStatus();
}

Status EnableWal(Connection& c) {
  ASSIGN_OR_RETURN(Statement st, c.Prepare("PRAGMA journal_mode=WAL", "set journal_mode"));
  ASSIGN_OR_RETURN(const bool row, st.Step());
  if (!row || st.ColumnText(0) != "wal") {
    return FailedPreconditionError("card store: set journal_mode: WAL not available");
  }
  return OkStatus();
}

Status ValidateLimit(size_t limit) {
  if (limit == 0) return InvalidArgumentError("card store: limit must be positive");
  return OkStatus();
}

int64_t ClampLimit(size_t limit) { return static_cast<int64_t>(std::min(limit, kMaxListLimit)); }


Result<int64_t> ReadCount(Statement& st) {
  ASSIGN_OR_RETURN(const bool row, st.Step());
  if (!row) return InternalError("card store: count returned no row");
  return st.ColumnInt64(0);
}

}  // namespace

// A queued write, owned by the queue, then by its batch (deleted after
// `done` has run, on the completion thread).
struct SqliteCardStore::PendingOp {
  WriteFn fn;
  // The operation changes or deletes stored cards: the WAL is scrubbed after
  // its commit, and it moves the ChangeGeneration on (every process's card
  // cache). Any new operation that changes card rows must set it.
  bool scrub = false;
  // The page cache the op wants (see RunBatch).
  PageCacheUse cache = PageCacheUse::kNormal;
  std::function<void(Status)> done;
};

// A committed (or failed) batch's operations and their results, on their
// way to the completion thread.
struct SqliteCardStore::CompletedBatch {
  std::vector<PendingOp*> ops;
  std::vector<Status> results;
};

void SqliteCardStore::CompleteOps(const std::vector<PendingOp*>& ops,
                                  std::vector<Status>& results) {
  for (size_t i = 0; i < ops.size(); ++i) {
    std::unique_ptr<PendingOp> op(ops[i]);
    try {
      op->done(std::move(results[i]));
    } catch (...) {
      // One caller's completion must not keep the others asleep.
    }
  }
}

Result<std::unique_ptr<SqliteCardStore>> SqliteCardStore::Open(
    const SqliteCardStoreOptions& options) {
  if (options.path.empty()) return InvalidArgumentError("card store: path is empty");
  if (options.max_batch == 0 || options.max_readers == 0 || options.checkpoint_bytes <= 0 ||
      options.recent_slots_merge_at <= 0 || options.recent_slots_merge_scale < 0) {
    return InvalidArgumentError(
        "card store: max_batch, max_readers, checkpoint_bytes and recent_slots_merge_at must be "
        "positive, recent_slots_merge_scale not negative");
  }
  RETURN_IF_ERROR(MakePrivate(options.path, /*create=*/true, "create database file"));
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer,
                   Connection::Open(options.path, options.busy_timeout_ms));
  // Only takes effect on a new, empty database (before WAL mode is set).
  RETURN_IF_ERROR(Run(*writer, "PRAGMA page_size=" + std::to_string(kPageSizeBytes), "set page_size"));
  RETURN_IF_ERROR(EnableWal(*writer));
  RETURN_IF_ERROR(ConfigureConnection(*writer, /*reader=*/false));
  RETURN_IF_ERROR(CreateCardSchema(*writer));
  RETURN_IF_ERROR(MakePrivate(options.path + "-wal", /*create=*/false, "set wal file mode"));
  RETURN_IF_ERROR(MakePrivate(options.path + "-shm", /*create=*/false, "set shm file mode"));

  // Checkpoints are the checkpoint thread's job (see the header).
  RETURN_IF_ERROR(Run(*writer, "PRAGMA wal_autocheckpoint=0", "set wal_autocheckpoint"));
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> checkpointer,
                   Connection::Open(options.path, options.busy_timeout_ms));
  RETURN_IF_ERROR(ConfigureConnection(*checkpointer, /*reader=*/false));

  ASSIGN_OR_RETURN(std::unique_ptr<ChangeGeneration> generation,
                   ChangeGeneration::Open(options.path + "-gen", options.path));
  if (!ChangeGeneration::IsStable(generation->Load())) {
    // A writer died with a change in flight (or one is in flight now): under
    // the write lock nothing else can be (see change_generation.h). Best
    // effort: if the lock stays busy, the writer's first batch heals it.
    if (Run(*writer, "BEGIN IMMEDIATE", "begin transaction").ok()) {
      generation->Heal();
      if (!Run(*writer, "COMMIT", "commit").ok()) Run(*writer, "ROLLBACK", "rollback").IgnoreError();
    }
  }

  ASSIGN_OR_RETURN(std::unique_ptr<CompletionThread> completer, CompletionThread::Start());
  ASSIGN_OR_RETURN(const int64_t recent_slots, CountRecentSlots(*writer));
  // The file's own page size: a vault created before kPageSizeBytes keeps
  // its pages.
  ASSIGN_OR_RETURN(const int64_t page_size, PageSize(*writer));
  std::unique_ptr<SqliteCardStore> store(new SqliteCardStore(options, std::move(writer)));
  store->generation_ = std::move(generation);
  if (options.card_cache_entries > 0) {
    store->cache_ = std::make_unique<CardCache>(options.card_cache_entries);
  }
  store->index_.recent_slots = recent_slots;
  store->checkpoint_pages_ = std::max<int64_t>(1, options.checkpoint_bytes / page_size);
  store->checkpointer_ = std::move(checkpointer);
  store->completer_ = std::move(completer);
  sqlite3_wal_hook(store->writer_->raw(), &SqliteCardStore::OnWalCommit, store.get());
  try {
    store->checkpoint_thread_ = std::thread([s = store.get()] { s->CheckpointLoop(); });
    store->writer_thread_ = std::thread([s = store.get()] { s->WriterLoop(); });
  } catch (const std::system_error&) {
    return ResourceExhaustedError("card store: cannot start writer thread");
  }
  return store;
}

SqliteCardStore::SqliteCardStore(SqliteCardStoreOptions options,
                                 std::unique_ptr<Connection> writer)
    : options_(std::move(options)), writer_(std::move(writer)) {}

SqliteCardStore::~SqliteCardStore() {
  if (writer_thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    writer_thread_.join();
  }
  // Wakes the callers of the last batches.
  completer_.reset();
  if (checkpoint_thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(checkpoint_mu_);
      checkpoint_stopping_ = true;
    }
    checkpoint_cv_.notify_all();
    checkpoint_thread_.join();
  }
  checkpointer_.reset();
  if (scrub_pending_) TryScrubWal();
}

SqliteCardStore::Stats SqliteCardStore::GetStats() const {
  return Stats{commits_.load(), ops_.load(), checkpoints_.load(), cache_hits_.load(),
               slots_skipped_.load(), recent_skipped_.load()};
}

Status SqliteCardStore::Submit(WriteFn fn, bool scrub, PageCacheUse cache) {
  return Await<Status>(
      [&](auto done) { SubmitAsync(std::move(fn), scrub, std::move(done), cache); });
}

void SqliteCardStore::SubmitAsync(WriteFn fn, bool scrub, std::function<void(Status)> done,
                                  PageCacheUse cache) {
  auto op = std::make_unique<PendingOp>();
  op->fn = std::move(fn);
  op->scrub = scrub;
  op->cache = cache;
  op->done = std::move(done);
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) {
      lock.unlock();
      return op->done(UnavailableError("card store: closing"));
    }
    queue_.push_back(op.release());
  }
  cv_.notify_one();
}

void SqliteCardStore::WriterLoop() {
  std::vector<PendingOp*> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every queued op is done
      // Commit delay (PostgreSQL's commit_delay/commit_siblings): when the
      // previous commit carried company, writers are concurrent, so wait a
      // moment for more operations to share this commit's fsync and page
      // writes. A lone writer (previous batch of one) is never delayed.
      if (last_batch_size_ > 1 && options_.commit_delay.count() > 0) {
        cv_.wait_for(lock, options_.commit_delay, [this] {
          return stopping_ || queue_.size() >= options_.max_batch;
        });
      }
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    last_batch_size_ = batch.size();
    RunBatch(batch);
    batch.clear();
  }
}

void SqliteCardStore::RunBatch(const std::vector<PendingOp*>& batch) {
  Connection& c = *writer_;
  std::vector<Status> results(batch.size());
  // InsertBatch ops run with a page cache of kBatchPageCacheKib. It stays
  // that large from one InsertBatch to the next, through the id
  // reservations a bulk job makes in between (shrinking it after each batch
  // made the next one re-read the slot tables from the OS: 10 M rows ~12 %
  // slower), and shrinks back before the first transaction with an op that
  // wants the normal cache.
  bool bulk = batch_page_cache_;
  for (const PendingOp* op : batch) {
    if (op->cache == PageCacheUse::kBatch) {
      bulk = true;
      break;
    }
    if (op->cache == PageCacheUse::kNormal) bulk = false;
  }
  if (bulk != batch_page_cache_) {
    // On failure the cache keeps its size, and the next batch tries again.
    if (SetPageCache(c, bulk ? kBatchPageCacheKib : kPageCacheKib).ok()) {
      batch_page_cache_ = bulk;
    }
  }
  // A merge the last transaction made due runs first, in a transaction of
  // its own; if it fails, so does this batch (MergeDueRecentSlots).
  Status txn = merge_due_ ? MergeDueRecentSlots(c) : OkStatus();
  if (txn.ok()) txn = BeginWrite(c);
  // Holding the write lock: mark a change of stored cards in flight for
  // every process's card cache, or end one a dead writer left in flight.
  const bool changes_cards =
      std::any_of(batch.begin(), batch.end(), [](const PendingOp* op) { return op->scrub; });
  uint64_t change = 0;
  if (txn.ok()) {
    if (changes_cards) {
      change = generation_->Begin();
    } else {
      generation_->Heal();
    }
  }
  bool scrub = false;
  for (size_t i = 0; i < batch.size() && txn.ok(); ++i) {
    txn = Run(c, "SAVEPOINT op", "savepoint");
    if (!txn.ok()) break;
    index_.own_recent_run = false;  // a bulk insert asks for a run of its own
    try {
      results[i] = batch[i]->fn(c);
    } catch (const std::exception&) {
      // Only allocation failures can throw here; the caller must still be
      // woken, so the exception ends at this boundary.
      results[i] = ResourceExhaustedError("card store: operation failed: out of memory");
    }
    if (c.InAutocommit()) {
      // SQLite rolled the whole transaction back (disk full, I/O error):
      // earlier operations of this batch are lost too.
      txn = results[i].ok() ? InternalError("card store: transaction rolled back") : results[i];
      break;
    }
    if (results[i].ok()) {
      txn = Run(c, "RELEASE op", "release savepoint");
      scrub = scrub || batch[i]->scrub;
    } else {
      txn = Run(c, "ROLLBACK TO op", "rollback savepoint");
      index_.recent_run = 0;  // the run may have been this op's, now undone
      if (txn.ok()) txn = Run(c, "RELEASE op", "release savepoint");
    }
  }
  // A merge these operations make due runs before the next batch's.
  if (txn.ok()) txn = NoteMergeDue(c);
  if (txn.ok()) txn = Run(c, "COMMIT", "commit");
  if (txn.ok()) {
    commits_.fetch_add(1);
  } else {
    AbandonWrite(c);
    // Nothing of this batch is durable: every operation reports the failure,
    // including the ones that had already failed on their own.
    for (Status& s : results) s = txn;
  }
  ops_.fetch_add(batch.size());
  if (change != 0) {
    generation_->End(change);
    // Committed or not: drop what this process read before the change, and
    // refuse what a reader still on the old value brings back late.
    if (cache_) cache_->Invalidate(generation_->Load());
  }
  // Before waking callers, so that a returned Delete has left no old page
  // images in the WAL whenever no reader pinned them.
  if (txn.ok() && (scrub || scrub_pending_)) TryScrubWal();
  if (wal_frames_ >= kWalRestartFactor * checkpoint_pages_) {
    // Between two of the writer's transactions: once this has copied every
    // frame, the writer's next transaction restarts the WAL from the top —
    // which the checkpoint thread, racing back-to-back commits, may never
    // let happen.
    CheckpointOnWriter(SQLITE_CHECKPOINT_PASSIVE);
  }
  // Hand the callers to the completion thread. Every allocation that can
  // fail comes before anything is moved, so that out of memory the writer
  // still wakes them itself (the operations own nothing else).
  std::shared_ptr<CompletedBatch> completed;
  try {
    completed = std::make_shared<CompletedBatch>();
    completed->ops = batch;
  } catch (...) {
    return CompleteOps(batch, results);
  }
  completed->results = std::move(results);
  try {
    completer_->Post([completed] { CompleteOps(completed->ops, completed->results); });
  } catch (...) {
    CompleteOps(completed->ops, completed->results);  // not queued: wake them from here
  }
}

Status SqliteCardStore::BeginWrite(Connection& c) {
  index_.id_limit = 0;    // read again, lazily, in this transaction
  index_.recent_run = 0;  // chosen again by the first slot written
  slots_merge_uncommitted_ = false;
  return Run(c, "BEGIN IMMEDIATE", "begin transaction");
}

void SqliteCardStore::AbandonWrite(Connection& c) {
  if (!c.InAutocommit()) Run(c, "ROLLBACK", "rollback").IgnoreError();
  if (slots_merge_uncommitted_) ForgetSlotFilters();
}

Result<std::unique_ptr<Connection>> SqliteCardStore::AcquireReader() {
  {
    std::unique_lock<std::mutex> lock(pool_mu_);
    pool_cv_.wait(lock, [this] {
      return !idle_readers_.empty() || open_readers_ < options_.max_readers;
    });
    if (!idle_readers_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return conn;
    }
    ++open_readers_;
  }
  Result<std::unique_ptr<Connection>> conn =
      Connection::Open(options_.path, options_.busy_timeout_ms);
  Status s = conn.status();
  if (s.ok()) s = ConfigureConnection(**conn, /*reader=*/true);
  if (!s.ok()) {
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      --open_readers_;
    }
    pool_cv_.notify_one();
    return s;
  }
  return conn;
}

void SqliteCardStore::ReleaseReader(std::unique_ptr<Connection> conn) {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    idle_readers_.push_back(std::move(conn));
  }
  pool_cv_.notify_one();
}

template <typename T>
Result<T> SqliteCardStore::WithReader(const std::function<Result<T>(Connection&)>& fn) {
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, AcquireReader());
  Result<T> result = fn(*conn);
  ReleaseReader(std::move(conn));
  return result;
}

Status SqliteCardStore::Insert(const CardRecord& record) {
  return Await<Result<InsertOutcome>>([&](auto done) { InsertAsync(record, false, done); })
      .status();
}

Result<InsertOutcome> SqliteCardStore::InsertOrGetByFingerprint(const CardRecord& record) {
  return Await<Result<InsertOutcome>>([&](auto done) { InsertAsync(record, true, done); });
}

void SqliteCardStore::InsertAsync(const CardRecord& record, bool dedup, InsertDone done) {
  if (Status s = ValidateRecord(record); !s.ok()) return done(s);
  struct Job {
    CardRecord record;
    InsertOutcome outcome;
  };
  auto job = std::make_shared<Job>(Job{record, {}});
  SubmitAsync(
      [this, job, dedup](Connection& c) -> Status {
        index_.overflow_empty = false;  // a single card: probe the overflow as well
        ASSIGN_OR_RETURN(job->outcome, InsertOrFindCard(c, job->record, dedup, index_));
        if (job->outcome.inserted) {
          const int64_t id = job->outcome.record.id;
          job->outcome.record = std::move(job->record);
          job->outcome.record.id = id;
        }
        return OkStatus();  // RunBatch merges the recent slots if due
      },
      /*scrub=*/false,
      [job, done = std::move(done)](Status s) {
        if (!s.ok()) return done(s);
        done(std::move(job->outcome));
      });
}

Result<int64_t> SqliteCardStore::ReserveIds(int64_t count) {
  return Await<Result<int64_t>>([&](auto done) { ReserveIdsAsync(count, std::move(done)); });
}

void SqliteCardStore::ReserveIdsAsync(int64_t count, ReserveDone done) {
  if (count < 1 || count > kMaxReservedIds) {
    return done(InvalidArgumentError("card store: reserve ids: count must be 1 to " +
                                     std::to_string(kMaxReservedIds)));
  }
  auto first = std::make_shared<int64_t>(0);
  SubmitAsync(
      [count, first](Connection& c) -> Status {
        ASSIGN_OR_RETURN(*first, TakeIds(c, count));
        return OkStatus();
      },
      /*scrub=*/false,
      [first, done = std::move(done)](Status s) {
        if (!s.ok()) return done(s);
        done(*first);
      },
      PageCacheUse::kEither);
}

Result<CardRecord> SqliteCardStore::Get(std::string_view token, int64_t id) {
  RETURN_IF_ERROR(CheckLength(token, kMaxTokenLength, "token"));
  // Only tokens that carry their id are cached (by that id); the record's
  // own token must match, as on the database path.
  const bool cacheable = cache_ != nullptr && id > 0;
  const uint64_t generation = cacheable ? generation_->Load() : 0;
  const bool stable = cacheable && ChangeGeneration::IsStable(generation);
  if (stable) {
    if (std::shared_ptr<const CardRecord> hit = cache_->Find(id, generation);
        hit != nullptr && hit->token == token) {
      cache_hits_.fetch_add(1, std::memory_order_relaxed);
      return *hit;
    }
  }
  Result<CardRecord> record =
      WithReader<CardRecord>([token, id](Connection& c) -> Result<CardRecord> {
        ASSIGN_OR_RETURN(std::optional<CardRecord> found,
                         FindCardByToken(c, token, id, "get card"));
        if (!found) return NotFoundError("card store: get card: no such card");
        return std::move(*found);
      });
  // Cached only if no change of stored cards began since `generation` was
  // read (the read transaction started after that), see change_generation.h.
  if (stable && record.ok() && generation_->Load() == generation) {
    cache_->Insert(*record, generation);
  }
  return record;
}

Result<CardRecord> SqliteCardStore::GetByFingerprint(std::string_view fingerprint) {
  RETURN_IF_ERROR(CheckLength(fingerprint, kMaxFingerprintBytes, "fingerprint"));
  return WithReader<CardRecord>([fingerprint](Connection& c) -> Result<CardRecord> {
    ASSIGN_OR_RETURN(std::optional<CardRecord> found,
                     FindCardByFingerprint(c, fingerprint, "get card by fingerprint"));
    if (!found) return NotFoundError("card store: get card by fingerprint: no such card");
    return std::move(*found);
  });
}

Status SqliteCardStore::Delete(std::string_view token, int64_t id) {
  RETURN_IF_ERROR(CheckLength(token, kMaxTokenLength, "token"));
  return Submit(
      [token, id](Connection& c) -> Status {
        ASSIGN_OR_RETURN(std::optional<CardRecord> found,
                         FindCardByToken(c, token, id, "delete card"));
        if (!found) return NotFoundError("card store: delete card: no such card");
        RETURN_IF_ERROR(UnindexCard(c, found->id, found->token, found->fingerprint));
        ASSIGN_OR_RETURN(Statement st, c.Prepare(kDeleteSql, "delete card"));
        st.BindInt64(1, found->id);
        return st.Step().status();
      },
      /*scrub=*/true);
}

Result<std::vector<CardRecord>> SqliteCardStore::ListExpired(TimePoint before, size_t limit,
                                                             int64_t after_id) {
  RETURN_IF_ERROR(ValidateLimit(limit));
  if (after_id < 0) return InvalidArgumentError("card store: after_id must not be negative");
  // Expired before `before` <=> the expiry month is earlier than the month
  // containing `before` (validity ends at the start of the following month).
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(before)};
  const int64_t year = static_cast<int>(ymd.year());
  const int64_t month = static_cast<unsigned>(ymd.month());
  return WithReader<std::vector<CardRecord>>(
      [&](Connection& c) -> Result<std::vector<CardRecord>> {
        return ListExpiredCards(c, year, month, after_id, ClampLimit(limit));
      });
}

Result<std::vector<CardRecord>> SqliteCardStore::ListByDekVersion(int version, size_t limit,
                                                                  int64_t after_id) {
  RETURN_IF_ERROR(ValidateLimit(limit));
  if (after_id < 0) return InvalidArgumentError("card store: after_id must not be negative");
  return WithReader<std::vector<CardRecord>>(
      [&](Connection& c) -> Result<std::vector<CardRecord>> {
        return ListCardsByDekVersion(c, version, after_id, ClampLimit(limit));
      });
}

Status SqliteCardStore::UpdateSealed(int64_t id, int dek_version, std::string_view sealed) {
  RETURN_IF_ERROR(CheckLength(sealed, kMaxSealedSize, "sealed data"));
  return Submit(
      [&](Connection& c) -> Status {
        ASSIGN_OR_RETURN(Statement st, c.Prepare(kUpdateSealedSql, "update sealed card"));
        st.BindInt64(1, id).BindInt64(2, dek_version).BindBlob(3, sealed);
        RETURN_IF_ERROR(st.Step());
        if (c.Changes() == 0) return NotFoundError("card store: update sealed card: no such card");
        return OkStatus();
      },
      /*scrub=*/true);
}

Result<int64_t> SqliteCardStore::CountByDekVersion(int version) {
  return WithReader<int64_t>([version](Connection& c) -> Result<int64_t> {
    ASSIGN_OR_RETURN(Statement st, c.Prepare(kCountByDekSql, "count cards by key version"));
    st.BindInt64(1, version);
    return ReadCount(st);
  });
}

Result<int64_t> SqliteCardStore::Count() {
  return WithReader<int64_t>([](Connection& c) -> Result<int64_t> {
    ASSIGN_OR_RETURN(Statement st, c.Prepare(kCountSql, "count cards"));
    return ReadCount(st);
  });
}

Status SqliteCardStore::ConsumeNonce(std::string_view jti, int64_t expires_ms) {
  RETURN_IF_ERROR(CheckLength(jti, kMaxNonceLength, "nonce"));
  return Submit(
      [&](Connection& c) -> Status {
        ASSIGN_OR_RETURN(Statement st, c.Prepare(kInsertNonceSql, "consume nonce"));
        st.BindText(1, jti).BindInt64(2, expires_ms);
        return st.StepInsertUnique("card store: consume nonce: already used");
      },
      /*scrub=*/false);
}

Result<int64_t> SqliteCardStore::PurgeNonces(int64_t now_ms) {
  int64_t purged = 0;
  const Status s = Submit(
      [&](Connection& c) -> Status {
        ASSIGN_OR_RETURN(Statement st, c.Prepare(kPurgeNoncesSql, "purge nonces"));
        st.BindInt64(1, now_ms);
        RETURN_IF_ERROR(st.Step());
        purged = c.Changes();
        return OkStatus();
      },
      /*scrub=*/false);
  if (!s.ok()) return s;
  return purged;
}

}  // namespace kura::vault
