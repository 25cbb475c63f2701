// SqliteCardStore: CardStore on a single SQLite database file.
//
// Durability and hygiene (set on every connection):
//   journal_mode=WAL, synchronous=FULL  -> a commit is fsynced before it
//                                          returns;
//   secure_delete=ON                    -> deleted and overwritten content is
//                                          zeroed in the pages that held it;
//   journal_size_limit=0                -> whenever the WAL is reset it is
//                                          truncated to zero bytes.
// WAL frames still hold the old page images until a checkpoint, so after a
// batch that deleted or re-sealed a record the writer runs a TRUNCATE
// checkpoint before reporting success (without waiting: if a reader still
// pins an old snapshot the checkpoint is retried after the next batch, and
// SQLite checkpoints and removes the WAL when the store is closed).
//
// Files: the database is created by us with open(O_CREAT, 0600) and fchmod'ed
// to 0600 even if it already existed, so permissions do not depend on the
// umask; SQLite gives the -wal and -shm files the database file's mode, and
// Open() chmods them to 0600 as well. "<db>-gen" holds the card cache's
// change counter (change_generation.h; created 0600).
//
// Group commit: every mutating call is queued to ONE writer thread. The
// writer drains up to `max_batch` queued operations and runs them in a single
// BEGIN IMMEDIATE ... COMMIT, each inside its own SAVEPOINT so that a failing
// operation (a duplicate token, say) is rolled back alone and gets its own
// error while the others commit. Callers are woken once the commit (one
// fsync for the whole batch) has completed, by a CompletionThread
// (completion_thread.h), so that the writer starts the next transaction
// right after the commit. If the commit itself fails, every operation in the
// batch gets that error and none took effect.
// InsertBatch is one such operation carrying many records (batch jobs).
//
// Reads run on a small pool of separate, query-only connections (WAL lets
// them proceed while the writer commits) and see every write that has
// returned.
//
// Card cache: Get() of a token that carries its row id keeps the record it
// read in a CardCache (at most card_cache_entries; sealed blobs, never a
// PAN), so repeated reads of a card skip SQLite's read transaction. Every
// transaction that changes or deletes stored cards (Delete, UpdateSealed)
// moves the database's ChangeGeneration on (the "<db>-gen" file, shared by
// all processes using the database), which empties every process's cache at
// its next read; this process's writer also empties its own right after
// such a commit. Writers do this whether or not their own cache is on.
//
// Checkpoints (copying the WAL back into the database file, with its fsync)
// run on a thread of their own, on their own connection, whenever a commit
// leaves more than `checkpoint_bytes` of pages in the WAL — not on the
// writer, whose commits would otherwise wait for them (SQLite's automatic
// checkpoint runs on the committing connection). They are PASSIVE: they
// never wait for the writer or readers. SQLite restarts the WAL from the top
// only when the writer begins a transaction after a checkpoint copied all of
// it, which back-to-back commits racing the checkpoint thread may never
// allow; so once a commit leaves kWalRestartFactor times that, the writer
// runs one PASSIVE checkpoint itself between transactions (mostly copied
// already), which bounds the WAL.
//
// Thread safety: all CardStore methods may be called concurrently from any
// number of threads. The store must not be destroyed while calls are in
// flight; the destructor completes queued writes before returning.
#ifndef KURA_VAULT_SQLITE_CARD_STORE_H_
#define KURA_VAULT_SQLITE_CARD_STORE_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/base/status.h"
#include "vault/card_cache.h"
#include "vault/card_store.h"
#include "vault/change_generation.h"
#include "vault/completion_thread.h"
#include "vault/slot_filter.h"
#include "vault/sqlite_card_rows.h"

struct sqlite3;

namespace kura::vault {

namespace sqlite {
class Connection;
}  // namespace sqlite

// Defaults for SqliteCardStoreOptions.
inline constexpr size_t kDefaultMaxBatch = 256;
// Default commit delay under concurrent load (see SqliteCardStoreOptions):
// none. With the callers woken off the writer, the writer's own cycle
// (transaction + fsync) gathers the next batch, and waiting longer cost
// more than it gathered (docs/benchmarks.md, "Vault HTTP", runs T-AC).
inline constexpr std::chrono::microseconds kDefaultCommitDelay{0};
inline constexpr size_t kDefaultMaxReaders = 4;
inline constexpr int kDefaultBusyTimeoutMs = 5000;
// 64 MiB of WAL between checkpoints (whatever the vault's page size). A
// checkpoint copies each page once however often commits rewrote it, and a
// store rewrites the same few hot pages (the cards table's tail, the recent
// slot table's leaves): a wider window copies and fsyncs far fewer bytes per
// card (store +12 % by hand against 8 MiB; docs/benchmarks.md, runs T-AC).
inline constexpr int64_t kDefaultCheckpointBytes = int64_t{64} << 20;
// WAL size (in units of the checkpoint window) at which the writer checkpoints
// itself so the WAL restarts (see the header comment).
inline constexpr int64_t kWalRestartFactor = 4;
// New fingerprint slots merged at once into the large slot table: at least
// this many, and more as the vault grows (kDefaultRecentSlotsMergeScale).
inline constexpr int64_t kDefaultRecentSlotsMergeAt = 250'000;
// The merge threshold is sqrt(scale × cards) when that is larger. A merge
// rewrites the large table (N entries) once every M cards, so the larger M
// the fewer bytes per card; but a bulk insert gets a recent run of its own
// (appended, cheap) only with at least M / kMaxRecentRuns items, and a
// smaller one joins the newest run and rewrites its pages. The scale keeps M
// at or under 32 tokenize-file batches of 50,000 up to 10^7 cards: 506,000 at
// 1 M cards, 1,600,000 at 10 M. Against a scale of 100,000, a 3 M-row
// tokenize-file wrote 9 % fewer bytes and took 6.5 % less time (5 alternating
// pairs; docs/benchmarks.md, bridge run Q).
inline constexpr int64_t kDefaultRecentSlotsMergeScale = 256'000;

// Version of the schema this code writes. Open() refuses a database created
// by a newer version (kFailedPrecondition).
inline constexpr int kCardStoreSchemaVersion = 6;

struct SqliteCardStoreOptions {
  // Database file; its directory must exist.
  std::string path;
  // Most operations committed in one transaction.
  size_t max_batch = kDefaultMaxBatch;
  // How long the writer waits for more operations before committing, when
  // the previous commit held more than one (concurrent load). Zero disables.
  std::chrono::microseconds commit_delay = kDefaultCommitDelay;
  // Most concurrently open read connections; readers beyond wait.
  size_t max_readers = kDefaultMaxReaders;
  // How long a connection waits for a lock held by another process.
  int busy_timeout_ms = kDefaultBusyTimeoutMs;
  // WAL bytes after a commit that wake the checkpoint thread: the window is
  // this many bytes' worth of the database's pages, at least one page.
  int64_t checkpoint_bytes = kDefaultCheckpointBytes;
  // New fingerprint slots gathered before they are merged into the large
  // slot table (sqlite_card_index.h): at least recent_slots_merge_at, and
  // sqrt(recent_slots_merge_scale × cards) if larger (cards estimated by the
  // ids reserved so far); scale 0 keeps the threshold fixed. Tests make
  // them small.
  int64_t recent_slots_merge_at = kDefaultRecentSlotsMergeAt;
  int64_t recent_slots_merge_scale = kDefaultRecentSlotsMergeScale;
  // Records Get() keeps in memory (see the header comment); 0 turns the
  // cache off.
  size_t card_cache_entries = kDefaultCardCacheEntries;
};

class SqliteCardStore final : public CardStore {
 public:
  // Counters for observing group commit.
  struct Stats {
    uint64_t commits = 0;  // successful transactions of operations (merges not counted)
    uint64_t ops = 0;      // mutating operations executed (ok or not)
    uint64_t checkpoints = 0;  // background checkpoints run
    uint64_t cache_hits = 0;   // Get() calls answered from the card cache
    // Bulk-insert look-ups of fingerprint_slots and fingerprint_recent the
    // slot filters spared.
    uint64_t slots_skipped = 0;
    uint64_t recent_skipped = 0;
  };

  // Creates the file (mode 0600) if needed, sets the pragmas above, creates
  // or checks the schema and starts the writer thread.
  // Errors: kInvalidArgument for empty path / zero max_batch or max_readers;
  // kNotFound if the directory does not exist; kPermissionDenied if the file
  // cannot be created or chmod'ed; kFailedPrecondition if the schema is newer
  // than kCardStoreSchemaVersion or WAL cannot be enabled; kDataLoss if the
  // file is not a database or "<db>-gen" is not a change counter;
  // kResourceExhausted on a full disk or out of memory; kUnavailable /
  // kInternal otherwise.
  static Result<std::unique_ptr<SqliteCardStore>> Open(const SqliteCardStoreOptions& options);

  // Drains queued writes, stops the writer and closes every connection.
  ~SqliteCardStore() override;
  SqliteCardStore(const SqliteCardStore&) = delete;
  SqliteCardStore& operator=(const SqliteCardStore&) = delete;

  Status Insert(const CardRecord& record) override;
  Result<InsertOutcome> InsertOrGetByFingerprint(const CardRecord& record) override;
  // Queued like the calls above; `done` runs on the completion thread after
  // the batch's commit (a bad record or a closing store: at once, on the
  // calling thread).
  void InsertAsync(const CardRecord& record, bool dedup, InsertDone done) override;
  // All items in ONE write operation of the writer (one transaction, one
  // fsync, shared with whatever else is queued), with the cached prepared
  // statements. An item that fails on its own (taken token, constraint) is
  // undone alone, like a failing statement; a storage failure fails the
  // call and nothing of the batch is stored.
  Result<std::vector<Result<InsertOutcome>>> InsertBatch(
      std::vector<BatchInsertItem> items) override;
  // One write operation of its own (committed, fsynced) per call.
  Result<int64_t> ReserveIds(int64_t count) override;
  // Queued like ReserveIds; `done` runs on the completion thread after the
  // commit.
  void ReserveIdsAsync(int64_t count, ReserveDone done) override;
  Result<CardRecord> Get(std::string_view token, int64_t id) override;
  Result<CardRecord> GetByFingerprint(std::string_view fingerprint) override;
  Status Delete(std::string_view token, int64_t id) override;
  Result<std::vector<CardRecord>> ListExpired(TimePoint before, size_t limit,
                                              int64_t after_id) override;
  Result<std::vector<CardRecord>> ListByDekVersion(int version, size_t limit,
                                                   int64_t after_id) override;
  Status UpdateSealed(int64_t id, int dek_version, std::string_view sealed) override;
  Result<int64_t> CountByDekVersion(int version) override;
  Result<int64_t> Count() override;
  Status ConsumeNonce(std::string_view jti, int64_t expires_ms) override;
  Result<int64_t> PurgeNonces(int64_t now_ms) override;

  // A snapshot of the counters. Thread-safe.
  Stats GetStats() const;

 private:
  struct PendingOp;
  struct CompletedBatch;
  // Runs each op's `done` with its result, then deletes the op.
  static void CompleteOps(const std::vector<PendingOp*>& ops, std::vector<Status>& results);
  using WriteFn = std::function<Status(sqlite::Connection&)>;

  SqliteCardStore(SqliteCardStoreOptions options, std::unique_ptr<sqlite::Connection> writer);

  // The writer's page cache an op runs with (RunBatch): the normal one, the
  // larger one of InsertBatch, or whichever is set (id reservations).
  enum class PageCacheUse { kNormal, kBatch, kEither };
  // Queues `fn` for the writer thread and blocks until its batch committed.
  // `scrub` asks for a TRUNCATE checkpoint after the commit.
  Status Submit(WriteFn fn, bool scrub, PageCacheUse cache = PageCacheUse::kNormal);
  // Queues `fn` and returns; the completion thread calls `done` with its
  // result after the batch's commit (at once if the store is closing). Submit is this
  // plus a wait.
  void SubmitAsync(WriteFn fn, bool scrub, std::function<void(Status)> done,
                   PageCacheUse cache = PageCacheUse::kNormal);
  void WriterLoop();
  void CheckpointLoop();
  // sqlite3_wal_hook callback of the writer connection: after each commit,
  // wakes the checkpoint thread if the WAL holds `frames` >= checkpoint_pages_.
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int frames);
  void RunBatch(const std::vector<PendingOp*>& batch);
  void TryScrubWal();
  // A checkpoint of `mode` on the writer's connection, between transactions;
  // returns SQLite's result code.
  int CheckpointOnWriter(int mode);
  // InsertBatch's work on the writer: items[order[k]] for each k, results in
  // `out`, except for the new cards stored with their reserved ids: fresh_stored[i] is set to 1
  // for those and out[i] is left to the caller (their outcome is the item's
  // own record, inserted; building it is kept off the writer). Errors: a
  // storage failure (the whole operation fails).
  Status InsertItems(sqlite::Connection& c, const std::vector<BatchInsertItem>& items,
                     const std::vector<size_t>& order, std::vector<Result<InsertOutcome>>& out,
                     std::vector<uint8_t>& fresh_stored);
  // InsertItems' loop over the items, in order: new cards with reserved ids
  // kCardsPerInsert at a time (InsertFreshCards), any other item on its own
  // (InsertOrFindCard).
  Status InsertEachItem(sqlite::Connection& c, const std::vector<BatchInsertItem>& items,
                        const std::vector<size_t>& order,
                        std::vector<Result<InsertOutcome>>& out,
                        std::vector<uint8_t>& fresh_stored);
  // Writer thread, at the start of a bulk insert of `items` cards: keeps
  // index_.slots and index_.recent where still valid, else drops them and
  // builds new ones when worth it (sqlite_card_store_batch.cc).
  Status RefreshSlotFilters(sqlite::Connection& c, size_t items);
  // Drops both slot filters (after a rolled-back merge).
  void ForgetSlotFilters();
  // Writer thread, in MergeDueRecentSlots' transaction (no savepoint open;
  // a failure must roll the transaction back): merges fingerprint_recent
  // into the slot table once it holds RecentSlotsMergeThreshold entries
  // (adding its prefixes to index_.slots if that is valid, else dropping
  // it, and emptying index_.recent).
  Status MaybeMergeRecentSlots(sqlite::Connection& c);
  // Whether index_.recent_slots has reached the merge threshold (read only
  // past recent_slots_merge_at). Errors: storage errors.
  Result<bool> RecentSlotsAtThreshold(sqlite::Connection& c);
  // Writer thread, at the end of a transaction's operations (RunBatch):
  // sets merge_due_ to RecentSlotsAtThreshold. Errors: as that.
  Status NoteMergeDue(sqlite::Connection& c);
  // Writer thread, between transactions: MaybeMergeRecentSlots in a
  // transaction of its own, committed; clears merge_due_ on success. On
  // failure nothing of it stays (and both slot filters are dropped if it
  // had touched them) and merge_due_ stays set: RunBatch fails the
  // operations it was about to run, and tries again before the next ones.
  // The merge is not part of the transaction that made it due, so that
  // transaction's callers are woken without waiting for it (a bulk job
  // seals its next batches meanwhile: docs/benchmarks.md, bridge run S).
  Status MergeDueRecentSlots(sqlite::Connection& c);
  // Writer thread: BEGIN IMMEDIATE, with the per-transaction state of
  // index_ reset; and the way out of a failed transaction (rolled back if
  // SQLite has not already, both slot filters dropped if a merge touched
  // them).
  Status BeginWrite(sqlite::Connection& c);
  void AbandonWrite(sqlite::Connection& c);
  // The current merge threshold (see SqliteCardStoreOptions).
  Result<int64_t> RecentSlotsMergeThreshold(sqlite::Connection& c);

  Result<std::unique_ptr<sqlite::Connection>> AcquireReader();
  void ReleaseReader(std::unique_ptr<sqlite::Connection> conn);
  // Runs `fn` on a pooled read connection.
  template <typename T>
  Result<T> WithReader(const std::function<Result<T>(sqlite::Connection&)>& fn);

  const SqliteCardStoreOptions options_;
  // The database's shared change counter, and this process's card cache
  // (null when card_cache_entries is 0).
  std::unique_ptr<ChangeGeneration> generation_;
  std::unique_ptr<CardCache> cache_;
  // Wakes the callers of committed batches.
  std::unique_ptr<CompletionThread> completer_;

  // Used only by the writer thread after construction.
  const std::unique_ptr<sqlite::Connection> writer_;
  bool scrub_pending_ = false;
  // The writer's page cache is kBatchPageCacheKib (else kPageCacheKib).
  bool batch_page_cache_ = false;
  // Pages in the WAL after the last commit (set by OnWalCommit).
  int64_t wal_frames_ = 0;
  // options_.checkpoint_bytes in the database's pages (set by Open).
  int64_t checkpoint_pages_ = 1;

  // What the writer knows of the look-up tables (sqlite_card_rows.h).
  IndexState index_;
  // A merge was counted in the slot filters (index_) since the transaction
  // began: RunBatch drops both filters if an operation or the transaction is
  // then rolled back (the merge may be undone).
  bool slots_merge_uncommitted_ = false;
  // The last committed transaction left fingerprint_recent at the merge
  // threshold: the next RunBatch merges first (MergeDueRecentSlots).
  bool merge_due_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<PendingOp*> queue_;  // guarded by mu_
  size_t last_batch_size_ = 0;    // writer thread only
  bool stopping_ = false;         // guarded by mu_

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<sqlite::Connection>> idle_readers_;  // guarded by pool_mu_
  size_t open_readers_ = 0;                                        // guarded by pool_mu_

  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> ops_{0};
  std::atomic<uint64_t> checkpoints_{0};
  std::atomic<uint64_t> cache_hits_{0};
  std::atomic<uint64_t> slots_skipped_{0};
  std::atomic<uint64_t> recent_skipped_{0};

  // The checkpoint thread's connection and wake-up.
  std::unique_ptr<sqlite::Connection> checkpointer_;
  std::mutex checkpoint_mu_;
  // Held while any checkpoint runs, so the writer's own checkpoints (scrub,
  // WAL restart) never find the checkpoint thread's in their way.
  std::mutex checkpoint_run_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_due_ = false;        // guarded by checkpoint_mu_
  bool checkpoint_stopping_ = false;   // guarded by checkpoint_mu_

  std::thread checkpoint_thread_;
  std::thread writer_thread_;  // last: started after everything above exists
};

}  // namespace kura::vault

#endif  // KURA_VAULT_SQLITE_CARD_STORE_H_
