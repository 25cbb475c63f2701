#include "vault/sqlite_connection.h"

#include <sqlite3.h>

#include <climits>

namespace kura::vault::sqlite {

Status ErrorFromCode(int rc, std::string_view operation) {
  std::string message = "card store: ";
  message.append(operation);
  message.append(": ");
  message.append(sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return UnavailableError(std::move(message));
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_TOOBIG:
      return ResourceExhaustedError(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLossError(std::move(message));
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return PermissionDeniedError(std::move(message));
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
        return AlreadyExistsError(std::move(message));
      }
      return InvalidArgumentError(std::move(message));
    default:
      return InternalError(std::move(message));
  }
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Statement& Statement::Bind(int index, std::string_view value, bool blob, Destructor destructor) {
  if (bind_error_ != SQLITE_OK) return *this;
  if (value.size() > INT_MAX) {
    bind_error_ = SQLITE_TOOBIG;
    return *this;
  }
  if (!blob) {
    bind_error_ = sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                                    destructor);
  } else if (value.empty()) {
    // A zero-length blob must still bind as a blob, not as NULL.
    bind_error_ = sqlite3_bind_zeroblob(stmt_, index, 0);
  } else {
    bind_error_ = sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()),
                                    destructor);
  }
  return *this;
}

Statement& Statement::BindText(int index, std::string_view value) {
  return Bind(index, value, /*blob=*/false, SQLITE_TRANSIENT);
}
Statement& Statement::BindBlob(int index, std::string_view value) {
  return Bind(index, value, /*blob=*/true, SQLITE_TRANSIENT);
}
Statement& Statement::BindTextRef(int index, std::string_view value) {
  return Bind(index, value, /*blob=*/false, SQLITE_STATIC);
}
Statement& Statement::BindBlobRef(int index, std::string_view value) {
  return Bind(index, value, /*blob=*/true, SQLITE_STATIC);
}

Statement& Statement::BindInt64(int index, int64_t value) {
  if (bind_error_ != SQLITE_OK) return *this;
  bind_error_ = sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Result<bool> Statement::Step() {
  if (bind_error_ != SQLITE_OK) return ErrorFromCode(bind_error_, operation_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return ErrorFromCode(rc, operation_);
}

Status Statement::StepInsertUnique(std::string_view taken_message) {
  Result<bool> step = Step();
  if (!step.ok() && step.status().code() == StatusCode::kAlreadyExists) {
    return AlreadyExistsError(std::string(taken_message));
  }
  return step.status();
}

int64_t Statement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr || n <= 0) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(n));
}

std::string Statement::ColumnBlob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  if (blob == nullptr || n <= 0) return {};
  return std::string(static_cast<const char*>(blob), static_cast<size_t>(n));
}

std::string_view Statement::ColumnBlobView(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  if (blob == nullptr || n <= 0) return {};
  return std::string_view(static_cast<const char*>(blob), static_cast<size_t>(n));
}

void ConfigureSqliteOnce() {
  // Library configuration, valid only before SQLite initialises (see the
  // header); a later call is refused with SQLITE_MISUSE and changes nothing.
  static const int rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)rc;
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                     int busy_timeout_ms) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    // sqlite3_open_v2 allocates a handle even on failure (unless out of memory).
    sqlite3_close_v2(db);
    return ErrorFromCode(rc, "open database");
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<Statement> Connection::Prepare(std::string_view sql, std::string_view operation) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return ErrorFromCode(rc, operation);
    }
    it = cache_.emplace(std::string(sql), stmt).first;
  }
  return Statement(it->second, operation);
}

Status Connection::Exec(const char* sql, std::string_view operation) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return ErrorFromCode(rc, operation);
  return OkStatus();
}

int64_t Connection::Changes() const { return sqlite3_changes64(db_); }

bool Connection::InAutocommit() const { return sqlite3_get_autocommit(db_) != 0; }

}  // namespace kura::vault::sqlite
