#include "bridge/job_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vault/sqlite_connection.h"

namespace kura::bridge {

namespace {

Status SqlError(int rc, std::string_view op) {
  std::string msg = "job store: " + std::string(op) + ": " + sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return UnavailableError(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLossError(std::move(msg));
    case SQLITE_FULL:
      return ResourceExhaustedError(std::move(msg));
    default:
      return InternalError(std::move(msg));
  }
}

// A prepared statement finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  int rc() const { return rc_; }
  void Text(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void Int(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  int Step() { return sqlite3_step(stmt_); }
  std::string Col(int i) const {
    const unsigned char* t = sqlite3_column_text(stmt_, i);
    return t == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(t),
                                      static_cast<size_t>(sqlite3_column_bytes(stmt_, i)));
  }
  int64_t ColInt(int i) const { return sqlite3_column_int64(stmt_, i); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

constexpr const char* kColumns =
    "SELECT submitter, idem_key, request_id, job, state, runner, claimed_ms, result_payload, "
    "lease_expires_ms FROM bridge_jobs WHERE ";

JobRow ReadRow(const Stmt& s) {
  return JobRow{s.Col(0), s.Col(1),    s.Col(2), s.Col(3),   s.Col(4),
                s.Col(5), s.ColInt(6), s.Col(7), s.ColInt(8)};
}

Status LeaseLost() { return AbortedError("job store: lease lost: another runner owns the job"); }

}  // namespace

Result<std::unique_ptr<JobStore>> JobStore::Open(const std::string& path, int busy_timeout_ms) {
  if (path.empty()) return InvalidArgumentError("job store: empty path");
  // Create the file 0600 ourselves: SQLite would use the umask.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return PermissionDeniedError("job store: cannot create or open the database file");
  ::close(fd);
  vault::sqlite::ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close(db);
    return SqlError(rc, "open");
  }
  std::unique_ptr<JobStore> store(new JobStore(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  std::lock_guard<std::mutex> lock(store->mu_);
  RETURN_IF_ERROR(store->ExecLocked("PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(store->ExecLocked("PRAGMA synchronous=FULL"));
  RETURN_IF_ERROR(
      store->ExecLocked("CREATE TABLE IF NOT EXISTS bridge_jobs ("
                        " submitter TEXT NOT NULL, idem_key TEXT NOT NULL,"
                        " request_id TEXT NOT NULL, job TEXT NOT NULL,"
                        " state TEXT NOT NULL CHECK (state IN ('running','done')),"
                        " runner TEXT NOT NULL, claimed_ms INTEGER NOT NULL, result_payload TEXT,"
                        " lease_expires_ms INTEGER NOT NULL DEFAULT 0,"
                        " PRIMARY KEY (submitter, idem_key))"));
  RETURN_IF_ERROR(store->MigrateLocked());
  RETURN_IF_ERROR(store->ExecLocked(
      "CREATE INDEX IF NOT EXISTS bridge_jobs_request ON bridge_jobs(request_id)"));
  return store;
}

JobStore::~JobStore() { sqlite3_close(db_); }

Status JobStore::MigrateLocked() {
  // Databases from before leases lack the column; their rows get "no lease".
  Stmt s(db_, "SELECT 1 FROM pragma_table_info('bridge_jobs') WHERE name = 'lease_expires_ms'");
  if (s.rc() != SQLITE_OK) return SqlError(s.rc(), "prepare migrate");
  const int rc = s.Step();
  if (rc == SQLITE_ROW) return OkStatus();
  if (rc != SQLITE_DONE) return SqlError(rc, "migrate");
  return ExecLocked(
      "ALTER TABLE bridge_jobs ADD COLUMN lease_expires_ms INTEGER NOT NULL DEFAULT 0");
}

Status JobStore::ExecLocked(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? OkStatus() : SqlError(rc, "exec");
}

Result<std::optional<JobRow>> JobStore::SelectLocked(const char* where, const std::string& a,
                                                     const std::string& b) {
  const std::string sql = std::string(kColumns) + where;
  Stmt s(db_, sql.c_str());
  if (s.rc() != SQLITE_OK) return SqlError(s.rc(), "prepare select");
  s.Text(1, a);
  if (!b.empty()) s.Text(2, b);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<JobRow>();
  if (rc != SQLITE_ROW) return SqlError(rc, "select");
  return std::optional<JobRow>(ReadRow(s));
}

Result<ClaimResult> JobStore::Claim(const std::string& submitter,
                                    const std::string& idempotency_key,
                                    const std::string& request_id, const std::string& job,
                                    const std::string& runner, int64_t now_ms,
                                    int64_t lease_expires_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  // IMMEDIATE takes the write lock up front, so select-then-insert is atomic
  // across processes.
  RETURN_IF_ERROR(ExecLocked("BEGIN IMMEDIATE"));
  auto rollback = [this] { (void)sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); };
  Result<std::optional<JobRow>> existing =
      SelectLocked("submitter = ?1 AND idem_key = ?2", submitter, idempotency_key);
  if (!existing.ok()) {
    rollback();
    return existing.status();
  }
  if (existing->has_value()) {
    rollback();
    JobRow row = **existing;
    ClaimOutcome outcome = row.state == "done" ? ClaimOutcome::kDone : ClaimOutcome::kRunning;
    return ClaimResult{outcome, std::move(row)};
  }
  JobRow row{submitter, idempotency_key, request_id, job, "running", runner, now_ms,
             "",        lease_expires_ms};
  {
    Stmt s(db_,
           "INSERT INTO bridge_jobs (submitter, idem_key, request_id, job, state, runner,"
           " claimed_ms, lease_expires_ms) VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, ?7)");
    if (s.rc() != SQLITE_OK) {
      rollback();
      return SqlError(s.rc(), "prepare insert");
    }
    s.Text(1, submitter);
    s.Text(2, idempotency_key);
    s.Text(3, request_id);
    s.Text(4, job);
    s.Text(5, runner);
    s.Int(6, now_ms);
    s.Int(7, lease_expires_ms);
    int rc = s.Step();
    if (rc != SQLITE_DONE) {
      rollback();
      return SqlError(rc, "insert");
    }
  }
  Status commit = ExecLocked("COMMIT");
  if (!commit.ok()) {
    rollback();
    return commit;
  }
  return ClaimResult{ClaimOutcome::kClaimed, std::move(row)};
}

Status JobStore::Finish(const std::string& submitter, const std::string& idempotency_key,
                        const std::string& result_payload) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_,
         "UPDATE bridge_jobs SET state = 'done', result_payload = ?3"
         " WHERE submitter = ?1 AND idem_key = ?2");
  if (s.rc() != SQLITE_OK) return SqlError(s.rc(), "prepare finish");
  s.Text(1, submitter);
  s.Text(2, idempotency_key);
  s.Text(3, result_payload);
  int rc = s.Step();
  if (rc != SQLITE_DONE) return SqlError(rc, "finish");
  if (sqlite3_changes(db_) == 0) return NotFoundError("job store: no such job");
  return OkStatus();
}

Status JobStore::FinishOwned(const std::string& submitter, const std::string& idempotency_key,
                             const std::string& runner, const std::string& result_payload) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_,
         "UPDATE bridge_jobs SET state = 'done', result_payload = ?4"
         " WHERE submitter = ?1 AND idem_key = ?2 AND runner = ?3 AND state = 'running'");
  if (s.rc() != SQLITE_OK) return SqlError(s.rc(), "prepare finish");
  s.Text(1, submitter);
  s.Text(2, idempotency_key);
  s.Text(3, runner);
  s.Text(4, result_payload);
  int rc = s.Step();
  if (rc != SQLITE_DONE) return SqlError(rc, "finish");
  if (sqlite3_changes(db_) == 0) return LeaseLost();
  return OkStatus();
}

Status JobStore::RenewLease(const std::string& submitter, const std::string& idempotency_key,
                            const std::string& runner, int64_t lease_expires_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_,
         "UPDATE bridge_jobs SET lease_expires_ms = ?4"
         " WHERE submitter = ?1 AND idem_key = ?2 AND runner = ?3 AND state = 'running'");
  if (s.rc() != SQLITE_OK) return SqlError(s.rc(), "prepare renew");
  s.Text(1, submitter);
  s.Text(2, idempotency_key);
  s.Text(3, runner);
  s.Int(4, lease_expires_ms);
  int rc = s.Step();
  if (rc != SQLITE_DONE) return SqlError(rc, "renew");
  if (sqlite3_changes(db_) == 0) return LeaseLost();
  return OkStatus();
}

Result<std::optional<JobRow>> JobStore::TakeOver(const JobRow& row, const std::string& new_runner,
                                                 int64_t now_ms, int64_t lease_expires_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  // One UPDATE is atomic; the WHERE clause is the compare of compare-and-set.
  Stmt s(db_,
         "UPDATE bridge_jobs SET runner = ?5, lease_expires_ms = ?6"
         " WHERE submitter = ?1 AND idem_key = ?2 AND runner = ?3 AND lease_expires_ms = ?4"
         " AND state = 'running' AND lease_expires_ms > 0 AND lease_expires_ms <= ?7");
  if (s.rc() != SQLITE_OK) return SqlError(s.rc(), "prepare take over");
  s.Text(1, row.submitter);
  s.Text(2, row.idempotency_key);
  s.Text(3, row.runner);
  s.Int(4, row.lease_expires_ms);
  s.Text(5, new_runner);
  s.Int(6, lease_expires_ms);
  s.Int(7, now_ms);
  int rc = s.Step();
  if (rc != SQLITE_DONE) return SqlError(rc, "take over");
  if (sqlite3_changes(db_) == 0) return std::optional<JobRow>();
  JobRow taken = row;
  taken.runner = new_runner;
  taken.lease_expires_ms = lease_expires_ms;
  return std::optional<JobRow>(std::move(taken));
}

Status JobStore::Release(const std::string& submitter, const std::string& idempotency_key) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_,
         "DELETE FROM bridge_jobs WHERE submitter = ?1 AND idem_key = ?2 AND state = 'running'");
  if (s.rc() != SQLITE_OK) return SqlError(s.rc(), "prepare release");
  s.Text(1, submitter);
  s.Text(2, idempotency_key);
  int rc = s.Step();
  if (rc != SQLITE_DONE) return SqlError(rc, "release");
  if (sqlite3_changes(db_) == 0) return NotFoundError("job store: no such running job");
  return OkStatus();
}

Result<std::vector<JobRow>> JobStore::RunningFor(const std::string& runner) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string sql = std::string(kColumns) + "state = 'running' AND runner = ?1";
  Stmt s(db_, sql.c_str());
  if (s.rc() != SQLITE_OK) return SqlError(s.rc(), "prepare running");
  s.Text(1, runner);
  std::vector<JobRow> rows;
  for (;;) {
    int rc = s.Step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return SqlError(rc, "running");
    rows.push_back(ReadRow(s));
  }
  return rows;
}

Result<std::optional<JobRow>> JobStore::FindByRequestId(const std::string& request_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return SelectLocked("request_id = ?1", request_id, "");
}

}  // namespace kura::bridge
