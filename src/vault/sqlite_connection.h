// Thin RAII layer over the SQLite C API used by SqliteCardStore: one
// connection with a cache of prepared statements, a statement handle that
// resets itself, and the mapping from SQLite result codes to kura::Status.
//
// Internal to src/vault: the vault service talks to CardStore, never to this.
//
// Error messages have the form "card store: <operation>: <sqlite3_errstr>":
// the generic SQLite text for the result code, never sqlite3_errmsg (which
// can quote SQL) and never a bound value.
//
// Thread safety: a Connection (and its Statements) must be used by one thread
// at a time. Distinct connections may be used concurrently (the library is
// opened in multi-thread mode, SQLITE_OPEN_NOMUTEX).
#ifndef KURA_VAULT_SQLITE_CONNECTION_H_
#define KURA_VAULT_SQLITE_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kura::vault::sqlite {

// Maps an (extended) SQLite result code to a Status naming `operation`:
// BUSY/LOCKED/IOERR/CANTOPEN -> kUnavailable, FULL/NOMEM -> kResourceExhausted,
// CORRUPT/NOTADB -> kDataLoss, READONLY/PERM/AUTH -> kPermissionDenied,
// CONSTRAINT_PRIMARYKEY/UNIQUE -> kAlreadyExists, other CONSTRAINT ->
// kInvalidArgument, anything else -> kInternal. Precondition: rc is an error.
Status ErrorFromCode(int rc, std::string_view operation);

// A prepared statement borrowed from a Connection's cache. On destruction it
// is reset and its bindings cleared, so it never pins a read snapshot or a
// copy of bound data. Move-only; must not outlive its Connection.
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, std::string_view operation)
      : stmt_(stmt), operation_(operation) {}
  ~Statement();
  Statement(Statement&& other) noexcept
      : stmt_(other.stmt_), operation_(other.operation_), bind_error_(other.bind_error_) {
    other.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  // Bind parameter `index` (1-based). Values are copied. A failed bind is
  // remembered and reported by the next Step().
  Statement& BindText(int index, std::string_view value);
  Statement& BindBlob(int index, std::string_view value);
  Statement& BindInt64(int index, int64_t value);
  // As above but without the copy: `value` must stay valid until this
  // Statement is destroyed (the destructor resets it and clears bindings).
  Statement& BindTextRef(int index, std::string_view value);
  Statement& BindBlobRef(int index, std::string_view value);

  // Runs one step: true if a row is available, false when done. Errors: a
  // remembered bind error, or ErrorFromCode of the step result.
  Result<bool> Step();
  // Step for an INSERT into a unique key: a constraint violation becomes
  // kAlreadyExists with `taken_message` (which must not name the value).
  Status StepInsertUnique(std::string_view taken_message);

  // Column accessors for the current row (0-based). NULL reads as 0 / "".
  int64_t ColumnInt64(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;
  // The blob without a copy; valid until the next Step or the destructor.
  std::string_view ColumnBlobView(int column) const;

 private:
  using Destructor = void (*)(void*);
  Statement& Bind(int index, std::string_view value, bool blob, Destructor destructor);

  sqlite3_stmt* stmt_;
  std::string_view operation_;  // a string literal at every call site
  int bind_error_ = 0;
};

// Turns SQLite's memory statistics off, once per process: on by default in
// Debian's build (which also omits the lookaside allocator), they take a
// process-wide mutex around every SQLite allocation, for which the vault's
// I/O threads and its writer contend on every statement; Kura reads no
// statistics and sets no soft heap limit. SQLite accepts this only before it
// initialises, i.e. before the process's first connection: every Kura
// opener of a database (Connection::Open, the bridge's JobStore::Open) calls
// it first, at start-up, before other threads use SQLite. If SQLite was
// initialised anyway, it refuses and the statistics merely stay on.
void ConfigureSqliteOnce();

class Connection {
 public:
  // Opens an existing database file read-write (it never creates the file:
  // the store creates it with mode 0600 first), enables extended result codes
  // and sets the busy timeout. SQLITE_OPEN_NOFOLLOW refuses symlinks. Calls
  // ConfigureSqliteOnce first.
  // Errors: ErrorFromCode of the open result.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, int busy_timeout_ms);

  // Finalizes cached statements and closes the database.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // A statement for `sql`, prepared once per connection and cached (keyed by
  // the SQL text). `operation` (a string literal) names it in errors.
  Result<Statement> Prepare(std::string_view sql, std::string_view operation);

  // Runs `sql` (one or more statements, no results expected) uncached.
  Status Exec(const char* sql, std::string_view operation);

  // Rows changed by the most recent INSERT/UPDATE/DELETE on this connection.
  int64_t Changes() const;

  // True when no transaction is open (SQLite rolls a transaction back on its
  // own after some errors; the writer checks this).
  bool InAutocommit() const;

  sqlite3* raw() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  // Transparent hashing: looking a statement up does not copy its SQL. Only
  // the length and up to kSqlHashEnds bytes at each end are hashed: a
  // multi-row INSERT's SQL is kilobytes, looked up per statement run, and
  // statements that share both ends and the length still compare unequal.
  static constexpr size_t kSqlHashEnds = 64;
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const {
      const std::hash<std::string_view> h;
      if (sql.size() <= 2 * kSqlHashEnds) return h(sql);
      return h(sql.substr(0, kSqlHashEnds)) ^ (h(sql.substr(sql.size() - kSqlHashEnds)) * 31) ^
             (sql.size() * 0x9e3779b97f4a7c15ULL);
    }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
};

}  // namespace kura::vault::sqlite

#endif  // KURA_VAULT_SQLITE_CONNECTION_H_
