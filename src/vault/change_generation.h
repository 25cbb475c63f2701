// ChangeGeneration: a 64-bit counter shared by every process that opens one
// card database, bumped around each transaction that changes or deletes
// stored cards, so that a process can keep cards in memory (CardCache) and
// still see another process's delete or re-encryption at once.
//
// The counter lives in a small file beside the database ("<db>-gen", mode
// 0600), mapped shared into each process. It is never fsynced and need not
// be (after a reboot every cache is empty). Deleting, replacing or
// truncating it while processes run splits them onto different counters
// (or, truncated, kills them with SIGBUS): treat it like SQLite's -shm.
//
// Protocol (the SQLite write lock serialises writers across processes):
//   writer: BEGIN IMMEDIATE; g = Begin(); ...changes...; COMMIT; End(g);
//   reader: g = Load(); if IsStable(g): read the database in a fresh
//           transaction, and cache what it read only if Load() == g after.
// Begin() makes the value odd ("a change may be in flight") and larger than
// any value seen before; End() makes it even again unless a later Begin()
// or a Heal() superseded it. A stable (even) value therefore means no change is between
// its Begin() and its commit, and any change after a reader's Load() makes
// the value differ from what the reader saw. A writer that dies between
// Begin() and End() leaves the value odd (caching off, reads still correct)
// until Heal(), which a writer calls while it holds the write lock: no other
// change can then be in flight, its transaction either committed or was
// rolled back by SQLite.
//
// Every process writing stored cards must follow the protocol: another tool
// changing the card rows while Kura runs (the sqlite3 shell, say) would not
// be seen by the caches. Kura's own writers all go through SqliteCardStore.
//
// Thread safety: all methods may be called concurrently, from any number of
// threads and processes (the counter is a lock-free atomic in shared memory).
#ifndef KURA_VAULT_CHANGE_GENERATION_H_
#define KURA_VAULT_CHANGE_GENERATION_H_

#include <cstdint>
#include <memory>
#include <string>

#include "core/base/status.h"

namespace kura::vault {

class ChangeGeneration {
 public:
  // Opens (creating it with mode 0600 if missing) the counter file `path`.
  // Its block is allocated on open (a first store into a sparse mapping on
  // a full disk would kill the process with SIGBUS). Run as root, the file
  // is given the owner of `database_path` where chown is allowed, as SQLite
  // does for -wal/-shm, so a root CLI run does not lock the service user out.
  // Errors: kNotFound if the directory is missing; kPermissionDenied;
  // kDataLoss if the file exists with a size other than the counter's;
  // kResourceExhausted on a full disk; kUnavailable otherwise.
  static Result<std::unique_ptr<ChangeGeneration>> Open(const std::string& path,
                                                        const std::string& database_path);

  ~ChangeGeneration();
  ChangeGeneration(const ChangeGeneration&) = delete;
  ChangeGeneration& operator=(const ChangeGeneration&) = delete;

  // The current value.
  uint64_t Load() const;
  // True for a value with no change in flight (even).
  static bool IsStable(uint64_t value) { return (value & 1) == 0; }

  // Marks a change in flight; call holding the database's write lock.
  // Returns the value to pass to End().
  uint64_t Begin();
  // Ends the change begun with `begun` (after its commit or rollback).
  void End(uint64_t begun);
  // Writer holding the write lock, no change of its own in flight: ends a
  // change left in flight by a writer that died.
  void Heal();

 private:
  explicit ChangeGeneration(void* map) : map_(map) {}
  uint64_t* counter() const { return static_cast<uint64_t*>(map_); }

  void* const map_;
};

}  // namespace kura::vault

#endif  // KURA_VAULT_CHANGE_GENERATION_H_
