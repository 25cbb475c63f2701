#include "bridge/runner.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "bridge/exec_job.h"
#include "bridge/pan_guard.h"
#include "core/crypto/encoding.h"
#include "core/crypto/hash.h"
#include "core/crypto/jws.h"
#include "core/pan/pan_scanner.h"

namespace kura::bridge {

namespace {

// Removes `dir` and everything below it, best effort.
void RemoveTree(FileSystem& fs, const std::string& dir) {
  Result<std::vector<std::string>> names = fs.ListDir(dir);
  if (names.ok()) {
    for (const std::string& name : *names) {
      const std::string path = JoinPath(dir, name);
      Result<bool> is_dir = fs.IsDirectory(path);
      if (is_dir.ok() && *is_dir) {
        RemoveTree(fs, path);
      } else {
        fs.RemoveFile(path).IgnoreError();
      }
    }
  }
  fs.RemoveDir(dir).IgnoreError();
}

// Replaces control bytes other than newline and tab, so a job's output
// cannot forge lines or bloat the JSON with escapes.
std::string CleanText(std::string_view s) {
  std::string out = SanitizeUtf8(s);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) c = '?';
  }
  return out;
}

bool IsSafeArtifactName(std::string_view name) {
  return IsValidIdentifier(name) && name != "." && name != "..";
}

}  // namespace

Runner::Runner(FileSystem& fs, DropZone& zone, JobStore& store, const JobCatalog& catalog,
               std::map<std::string, crypto::Ed25519PublicKey> submitter_keys,
               const crypto::Ed25519PrivateKey& signing_key,
               std::map<std::string, BuiltinJob> builtins, AuditLog& audit, const Clock& clock,
               RunnerOptions options)
    : fs_(fs),
      zone_(zone),
      store_(store),
      catalog_(catalog),
      submitter_keys_(std::move(submitter_keys)),
      signing_key_(signing_key),
      builtins_(std::move(builtins)),
      audit_(audit),
      clock_(clock),
      options_(std::move(options)) {}

Status Runner::Audit(std::string type, bool success, const std::string& principal,
                     const std::string& resource, std::string reason) {
  AuditEvent ev;
  ev.type = std::move(type);
  ev.outcome = std::string(success ? kAuditSuccess : kAuditFailure);
  ev.principal = principal;
  ev.origin = "bridge:" + options_.runner_id;
  ev.resource = resource;
  ev.reason = std::move(reason);
  return audit_.Emit(ev);
}

Status Runner::Publish(const std::string& id, BridgeResult result) {
  result.runner = options_.runner_id;
  result.summary = CleanText(result.summary);
  result.reason = CleanText(result.reason);
  Result<std::string> signed_result = SignResult(result, signing_key_);
  if (!signed_result.ok() && signed_result.status().code() == StatusCode::kInvalidArgument) {
    // Too large for one JWS: drop the summary rather than publish nothing.
    result.summary = "(summary omitted: result too large)";
    signed_result = SignResult(result, signing_key_);
  }
  if (!signed_result.ok()) return signed_result.status();
  Status put = zone_.PutResult(id, *signed_result);
  if (!put.ok() && put.code() != StatusCode::kAlreadyExists) return put;
  Status del = zone_.DeleteRequest(id);
  if (!del.ok() && del.code() != StatusCode::kNotFound) return del;
  return OkStatus();
}

Status Runner::Reject(const std::string& id, const std::string& job, std::string_view status,
                      const std::string& reason, int64_t received_ms) {
  BridgeResult r;
  r.request_id = id;
  r.job = job;
  r.status = std::string(status);
  r.reason = reason;
  r.received_ms = received_ms;
  r.finished_ms = clock_.NowUnixMillis();
  Audit("bridge.request.rejected", false, "", id, reason).IgnoreError();
  return Publish(id, std::move(r));
}

Status Runner::Finish(const JobRow& row, BridgeResult result) {
  result.runner = options_.runner_id;
  RETURN_IF_ERROR(store_.Finish(row.submitter, row.idempotency_key, ResultPayloadJson(result)));
  const std::string id = row.request_id;
  return Publish(id, std::move(result));
}

Status Runner::Recover() {
  ASSIGN_OR_RETURN(std::vector<JobRow> rows, store_.RunningFor(options_.runner_id));
  for (const JobRow& row : rows) {
    const JobSpec* spec = catalog_.Find(row.job);
    if (spec != nullptr && spec->idempotent) {
      RETURN_IF_ERROR(store_.Release(row.submitter, row.idempotency_key));
      Audit("bridge.job.released", true, row.submitter, row.request_id,
            "runner stopped mid-job; idempotent job will run again")
          .IgnoreError();
      continue;
    }
    BridgeResult r;
    r.request_id = row.request_id;
    r.job = row.job;
    r.status = std::string(kStatusFailed);
    r.reason = "runner stopped while the job was running; not re-run (job is not idempotent)";
    r.received_ms = row.claimed_ms;
    r.started_ms = row.claimed_ms;
    r.finished_ms = clock_.NowUnixMillis();
    Audit("bridge.job.finished", false, row.submitter, row.request_id, r.reason).IgnoreError();
    RETURN_IF_ERROR(Finish(row, std::move(r)));
  }
  return OkStatus();
}

Result<int> Runner::ProcessPending() {
  std::vector<std::string> junk;
  ASSIGN_OR_RETURN(std::vector<std::string> ids, zone_.PendingRequestIds(&junk));
  for (const std::string& key : junk) {
    // No valid id, so no result can be addressed to it: remove and audit.
    Audit("bridge.request.rejected", false, "", "", "request file with an invalid name removed")
        .IgnoreError();
    zone_.store().Delete(key).IgnoreError();
  }
  std::atomic<int> handled{0};
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < ids.size(); i = next++) {
      Status s = ProcessRequest(ids[i]);
      if (s.ok()) {
        ++handled;
      } else {
        Audit("bridge.runner.error", false, "", ids[i], s.ToString()).IgnoreError();
      }
    }
  };
  // The concurrency limit: at most max_concurrent_jobs requests (and so
  // jobs) of this runner are in progress at once.
  const size_t workers = std::min(options_.max_concurrent_jobs, ids.size());
  if (workers <= 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (size_t i = 0; i < workers; ++i) threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
  }
  return handled.load();
}

Status Runner::ProcessRequest(const std::string& id) {
  const int64_t received_ms = clock_.NowUnixMillis();
  // Duplicate delivery of a request already answered.
  if (zone_.GetResult(id).ok()) {
    Status del = zone_.DeleteRequest(id);
    return del.code() == StatusCode::kNotFound ? OkStatus() : del;
  }
  Result<std::string> bytes = zone_.GetRequest(id);
  if (!bytes.ok()) {
    return bytes.status().code() == StatusCode::kNotFound ? OkStatus() : bytes.status();
  }
  // 1. Well-formed.
  Result<ParsedRequest> parsed = ParseRequest(*bytes);
  if (!parsed.ok()) {
    return Reject(id, "", kStatusRejected, "malformed request: " + parsed.status().message(),
                  received_ms);
  }
  const BridgeRequest& req = parsed->request;
  // 2. Signature of a known submitter.
  auto key = submitter_keys_.find(req.submitter);
  if (key == submitter_keys_.end()) {
    return Reject(id, req.job, kStatusRejected, "unknown submitter", received_ms);
  }
  if (!VerifyParsedRequest(*parsed, key->second).ok()) {
    return Reject(id, req.job, kStatusRejected, "signature does not verify", received_ms);
  }
  if (req.id != id) {
    return Reject(id, req.job, kStatusRejected, "request id does not match its file name",
                  received_ms);
  }
  // 3. Not expired. A request another runner already claimed is past this
  // check: rejecting it now would publish "expired" over a running job.
  ASSIGN_OR_RETURN(std::optional<JobRow> claimed, store_.FindByRequestId(id));
  if (!claimed.has_value() && received_ms >= req.expires_ms) {
    return Reject(id, req.job, kStatusExpired, "request expired before it was picked up",
                  received_ms);
  }
  // 4. Idempotency.
  ASSIGN_OR_RETURN(ClaimResult claim, store_.Claim(req.submitter, req.idempotency_key, id, req.job,
                                                   options_.runner_id, received_ms));
  if (claim.outcome == ClaimOutcome::kRunning) {
    return OkStatus();  // the first request is still running; look again later
  }
  if (claim.outcome == ClaimOutcome::kDone) {
    ASSIGN_OR_RETURN(BridgeResult earlier, ParseResultPayload(claim.row.result_payload));
    if (claim.row.request_id != id) {
      earlier.replay_of = claim.row.request_id;
      earlier.request_id = id;
      Audit("bridge.request.replayed", true, req.submitter, id,
            "idempotency key seen before; earlier result returned")
          .IgnoreError();
    }
    return Publish(id, std::move(earlier));
  }
  const JobRow& row = claim.row;
  // 5. Known job.
  const JobSpec* spec = catalog_.Find(req.job);
  BridgeResult r;
  r.request_id = id;
  r.job = req.job;
  r.received_ms = received_ms;
  if (spec == nullptr) {
    r.status = std::string(kStatusRejected);
    r.reason = "unknown job";
  } else if (Status v = JobCatalog::ValidateParams(*spec, req.params); !v.ok()) {
    // 6. Params.
    r.status = std::string(kStatusRejected);
    r.reason = "bad params: " + v.message();
  }
  if (!r.status.empty()) {
    r.finished_ms = clock_.NowUnixMillis();
    Audit("bridge.request.rejected", false, req.submitter, id, r.reason).IgnoreError();
    return Finish(row, std::move(r));
  }
  // Fail closed: no job runs without an audit trail. The claim is released
  // and the request stays in the drop zone for a later attempt.
  if (Status a = Audit("bridge.job.started", true, req.submitter, id, ""); !a.ok()) {
    store_.Release(req.submitter, req.idempotency_key).IgnoreError();
    return UnavailableError("audit log unavailable; job not started");
  }
  r = Execute(req, *spec, received_ms);
  Audit("bridge.job.finished", r.status == kStatusSucceeded, req.submitter, id,
        r.status == kStatusSucceeded ? std::string() : r.reason)
      .IgnoreError();
  return Finish(row, std::move(r));
}

BridgeResult Runner::Execute(const BridgeRequest& request, const JobSpec& spec,
                             int64_t received_ms) {
  BridgeResult r;
  r.request_id = request.id;
  r.job = request.job;
  r.received_ms = received_ms;
  r.started_ms = clock_.NowUnixMillis();
  auto fail = [&](std::string reason) {
    r.status = std::string(kStatusFailed);
    r.reason = std::move(reason);
    r.artifacts.clear();
    r.finished_ms = clock_.NowUnixMillis();
    return r;
  };
  const std::string workdir = JoinPath(options_.work_root, request.id);
  RemoveTree(fs_, workdir);  // leftovers of a killed run
  if (Status s = fs_.CreateDirs(workdir); !s.ok()) return fail("cannot create working directory");

  JobOutput out;
  if (spec.kind == JobKind::kExec) {
    Result<ExecOutcome> e = RunExecutable(JobCatalog::BuildArgv(spec, request.params), workdir,
                                          spec.timeout, spec.max_output_bytes);
    if (!e.ok()) {
      RemoveTree(fs_, workdir);
      return fail("cannot start the job: " + e.status().message());
    }
    out.exit_code = e->exit_code;
    out.summary = e->output;
    out.ok = !e->timed_out && e->exit_code == 0;
    if (e->timed_out) {
      out.reason = "time limit exceeded";
    } else if (e->exit_code != 0) {
      out.reason = "exit code " + std::to_string(e->exit_code);
    }
  } else {
    auto it = builtins_.find(spec.builtin);
    if (it == builtins_.end()) {
      RemoveTree(fs_, workdir);
      return fail("built-in job is not available on this runner");
    }
    JobContext ctx{request, spec, workdir};
    Result<JobOutput> o = it->second(ctx);
    if (o.ok()) {
      out = std::move(*o);
    } else {
      out.ok = false;
      out.reason = o.status().message();
    }
  }
  r.exit_code = out.exit_code;
  r.summary = out.summary;
  r.status = std::string(out.ok ? kStatusSucceeded : kStatusFailed);
  r.reason = out.reason;

  // Data-loss guard: the text first, then every artifact, before anything
  // is published.
  auto blocked = [&](const std::string& what, uint64_t matches) {
    const std::string reason =
        "blocked by PAN guard: " + std::to_string(matches) + " PAN-like match(es) in " + what;
    Audit("bridge.pan_blocked", false, request.submitter, request.id, reason).IgnoreError();
    r.summary.clear();
    RemoveTree(fs_, workdir);
    return fail(reason);
  };
  if (PanGuardReport t = ScanTextForPans(r.summary + "\n" + r.reason); !t.clean()) {
    return blocked("the result", t.matches);
  }
  if (out.artifacts.size() > kMaxArtifacts) {
    RemoveTree(fs_, workdir);
    return fail("too many artifacts");
  }
  std::vector<std::pair<std::string, std::string>> files;  // name, data
  for (const std::string& name : out.artifacts) {
    if (!IsSafeArtifactName(name)) {
      RemoveTree(fs_, workdir);
      return fail("artifact with an invalid name");
    }
    const std::string path = JoinPath(workdir, name);
    Result<PanGuardReport> scan = ScanFileForPans(path);
    if (!scan.ok()) {
      RemoveTree(fs_, workdir);
      return fail("artifact could not be scanned: " + name);
    }
    if (!scan->clean()) return blocked("artifact " + name, scan->matches);
    if (scan->bytes_scanned > options_.max_artifact_bytes) {
      RemoveTree(fs_, workdir);
      return fail("artifact larger than the limit: " + name);
    }
    Result<std::string> data = fs_.ReadFile(path);
    if (!data.ok()) {
      RemoveTree(fs_, workdir);
      return fail("artifact could not be read: " + name);
    }
    files.emplace_back(name, std::move(*data));
  }
  for (auto& [name, data] : files) {
    // Scanned above; re-check the bytes actually published (the file could
    // have changed in between).
    if (pan::ContainsPan(data)) return blocked("artifact " + name, 1);
    if (Status s = zone_.PutArtifact(request.id, name, data); !s.ok()) {
      RemoveTree(fs_, workdir);
      return fail("artifact could not be published: " + name);
    }
    r.artifacts.push_back({name, ArtifactKey(request.id, name), static_cast<int64_t>(data.size()),
                           crypto::HexEncode(crypto::Sha256(data))});
  }
  RemoveTree(fs_, workdir);
  r.finished_ms = clock_.NowUnixMillis();
  return r;
}

Status Runner::Run(const std::atomic<bool>& stop) {
  RETURN_IF_ERROR(Recover());
  int inotify_fd = -1;
  if (!options_.watch_dir.empty()) inotify_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  const std::string requests_dir = JoinPath(options_.watch_dir, "requests");
  int requests_wd = -1;
  while (!stop.load()) {
    Result<int> n = ProcessPending();
    if (!n.ok()) {
      Audit("bridge.runner.error", false, "", "", n.status().ToString()).IgnoreError();
    }
    if (inotify_fd >= 0) {
      // requests/ may be removed when it empties, so (re-)add both watches.
      (void)::inotify_add_watch(inotify_fd, options_.watch_dir.c_str(), IN_CREATE | IN_MOVED_TO);
      const int wd = ::inotify_add_watch(inotify_fd, requests_dir.c_str(),
                                         IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE);
      if (wd >= 0 && wd != requests_wd) {
        // A new watch: a request may have landed before it existed.
        requests_wd = wd;
        continue;
      }
      struct pollfd p = {inotify_fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(options_.poll_interval.count())) > 0) {
        char buf[4096];
        while (::read(inotify_fd, buf, sizeof buf) > 0) {
        }
      }
    } else {
      ::usleep(static_cast<useconds_t>(options_.poll_interval.count() * 1000));
    }
  }
  if (inotify_fd >= 0) ::close(inotify_fd);
  return OkStatus();
}

}  // namespace kura::bridge
