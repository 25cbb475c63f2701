// SqliteCardStore's checkpoints: the checkpoint thread, woken by the WAL
// hook after a commit, and the checkpoints the writer runs itself between
// two transactions (see sqlite_card_store.h).
#include "vault/sqlite_card_store.h"

#include <sqlite3.h>

#include <mutex>

#include "vault/sqlite_connection.h"

namespace kura::vault {

int SqliteCardStore::OnWalCommit(void* self, sqlite3* /*db*/, const char* /*name*/, int frames) {
  auto* store = static_cast<SqliteCardStore*>(self);
  store->wal_frames_ = frames;  // on the writer thread, inside its commit
  if (frames >= store->checkpoint_pages_) {
    {
      std::lock_guard<std::mutex> lock(store->checkpoint_mu_);
      store->checkpoint_due_ = true;
    }
    store->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteCardStore::CheckpointLoop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(checkpoint_mu_);
      checkpoint_cv_.wait(lock, [this] { return checkpoint_due_ || checkpoint_stopping_; });
      if (checkpoint_stopping_) return;
      checkpoint_due_ = false;
    }
    // PASSIVE never waits: frames a reader still needs are copied next time.
    std::lock_guard<std::mutex> run(checkpoint_run_mu_);
    const int rc = sqlite3_wal_checkpoint_v2(checkpointer_->raw(), nullptr,
                                             SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc == SQLITE_OK) checkpoints_.fetch_add(1);
  }
}

void SqliteCardStore::TryScrubWal() {
  // A reader on an old snapshot makes TRUNCATE return BUSY, and we retry
  // after the next batch instead of stalling every writer.
  const int rc = CheckpointOnWriter(SQLITE_CHECKPOINT_TRUNCATE);
  scrub_pending_ = (rc != SQLITE_OK);
  if (rc == SQLITE_OK) wal_frames_ = 0;
}

int SqliteCardStore::CheckpointOnWriter(int mode) {
  // No busy waiting; the checkpoint thread is kept out meanwhile (it would
  // make this one BUSY).
  std::lock_guard<std::mutex> lock(checkpoint_run_mu_);
  sqlite3_busy_timeout(writer_->raw(), 0);
  const int rc = sqlite3_wal_checkpoint_v2(writer_->raw(), nullptr, mode, nullptr, nullptr);
  sqlite3_busy_timeout(writer_->raw(), options_.busy_timeout_ms);
  return rc;
}

}  // namespace kura::vault
