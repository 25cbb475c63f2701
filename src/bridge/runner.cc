#include "bridge/runner.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "bridge/artifact_source.h"
#include "bridge/exec_job.h"
#include "bridge/pan_guard.h"
#include "core/crypto/jws.h"

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
  // Only while this runner still owns the row: after a lease takeover the
  // new owner's outcome stands and nothing is published from here.
  RETURN_IF_ERROR(store_.FinishOwned(row.submitter, row.idempotency_key, options_.runner_id,
                                     ResultPayloadJson(result)));
  const std::string id = row.request_id;
  return Publish(id, std::move(result));
}

int64_t Runner::LeaseExpiry() const {
  if (options_.lease.count() <= 0) return 0;
  return clock_.NowUnixMillis() + options_.lease.count();
}

Status Runner::RecoverRow(const JobRow& row, const std::string& who) {
  const JobSpec* spec = catalog_.Find(row.job);
  if (spec != nullptr && spec->idempotent) {
    RETURN_IF_ERROR(store_.Release(row.submitter, row.idempotency_key));
    Audit("bridge.job.released", true, row.submitter, row.request_id,
          who + " stopped mid-job; idempotent job will run again")
        .IgnoreError();
    return OkStatus();
  }
  BridgeResult r;
  r.request_id = row.request_id;
  r.job = row.job;
  r.status = std::string(kStatusFailed);
  r.reason = who + " stopped while the job was running; not re-run (job is not idempotent)";
  r.received_ms = row.claimed_ms;
  r.started_ms = row.claimed_ms;
  r.finished_ms = clock_.NowUnixMillis();
  Audit("bridge.job.finished", false, row.submitter, row.request_id, r.reason).IgnoreError();
  return Finish(row, std::move(r));
}

Status Runner::Recover() {
  ASSIGN_OR_RETURN(std::vector<JobRow> rows, store_.RunningFor(options_.runner_id));
  for (const JobRow& row : rows) RETURN_IF_ERROR(RecoverRow(row, "runner"));
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
  if (bytes.status().code() == StatusCode::kOutOfRange) {
    return Reject(id, "", kStatusRejected, "malformed request: " + std::string(kRequestTooLarge),
                  received_ms);
  }
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
                                                   options_.runner_id, received_ms, LeaseExpiry()));
  if (claim.outcome == ClaimOutcome::kRunning) {
    const JobRow& held = claim.row;
    // A lease that expired under another runner: that runner died (or
    // stalled). Take the row over (one winner) and recover it as a restart
    // would, except that an idempotent job runs again right here. Only
    // through the request that made the claim (a repeat with the same
    // idempotency key waits and later gets that request's result).
    const bool lease_expired = options_.lease.count() > 0 && held.lease_expires_ms > 0 &&
                               held.lease_expires_ms <= received_ms;
    if (lease_expired && held.runner != options_.runner_id && held.request_id == id) {
      ASSIGN_OR_RETURN(std::optional<JobRow> taken,
                       store_.TakeOver(held, options_.runner_id, received_ms, LeaseExpiry()));
      if (!taken.has_value()) return OkStatus();  // another runner was faster
      const JobSpec* taken_spec = catalog_.Find(taken->job);
      const std::string who = "runner " + held.runner + " (lease expired)";
      if (taken_spec == nullptr || !taken_spec->idempotent) return RecoverRow(*taken, who);
      // Idempotent: run it again here under the taken-over claim (releasing
      // it would let a request accepted in time expire now).
      Audit("bridge.job.released", true, taken->submitter, id,
            who + " stopped mid-job; idempotent job runs again on this runner")
          .IgnoreError();
      claim.outcome = ClaimOutcome::kClaimed;
      claim.row = *taken;
    } else {
      return OkStatus();  // the first request is still running; look again later
    }
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
  LeaseKeeper lease(store_, row, clock_, options_.lease);
  r = Execute(req, *spec, received_ms, lease);
  if (lease.lost()) {
    // Another runner owns the job now; its outcome is the one published.
    Audit("bridge.job.finished", false, req.submitter, id, "lease lost; result discarded")
        .IgnoreError();
    return AbortedError("lease lost: another runner took the job over");
  }
  Audit("bridge.job.finished", r.status == kStatusSucceeded, req.submitter, id,
        r.status == kStatusSucceeded ? std::string() : r.reason)
      .IgnoreError();
  return Finish(row, std::move(r));
}

BridgeResult Runner::Execute(const BridgeRequest& request, const JobSpec& spec, int64_t received_ms,
                             LeaseKeeper& lease) {
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
    // A runner that lost the job's lease kills the job at once: another
    // runner has taken it over (and failed or re-run it).
    Result<ExecOutcome> e =
        RunExecutable(JobCatalog::BuildArgv(spec, request.params), workdir, spec.timeout,
                      spec.max_output_bytes, [&lease] { return lease.lost(); });
    if (!e.ok()) {
      RemoveTree(fs_, workdir);
      return fail("cannot start the job: " + e.status().message());
    }
    out.exit_code = e->exit_code;
    out.summary = e->output;
    out.ok = !e->timed_out && e->exit_code == 0;
    if (e->stopped) {
      out.ok = false;
      out.reason = "lease lost";
    } else if (e->timed_out) {
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
    const TimePoint deadline = clock_.Now() + spec.timeout;
    JobContext ctx{request, spec, workdir, [this, deadline, &lease]() -> Status {
                     if (clock_.Now() >= deadline) return DeadlineExceededError("timed out");
                     return lease.Check();
                   }};
    Result<JobOutput> o = it->second(ctx);
    // Past the limit nothing is published, even if the job got to its end.
    if (o.status().code() == StatusCode::kDeadlineExceeded || clock_.Now() >= deadline) {
      RemoveTree(fs_, workdir);
      return fail("timed out");
    }
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
  // Every artifact is scanned before any is published...
  for (const std::string& name : out.artifacts) {
    if (!IsSafeArtifactName(name)) {
      RemoveTree(fs_, workdir);
      return fail("artifact with an invalid name");
    }
    Result<PanGuardReport> scan = ScanFileForPans(JoinPath(workdir, name));
    if (!scan.ok()) {
      RemoveTree(fs_, workdir);
      return fail("artifact could not be scanned: " + name);
    }
    if (!scan->clean()) return blocked("artifact " + name, scan->matches);
    if (scan->bytes_scanned > options_.max_artifact_bytes) {
      RemoveTree(fs_, workdir);
      return fail("artifact larger than the limit: " + name);
    }
  }
  // ...and streamed to the drop zone through the guard once more, so the
  // bytes published are exactly bytes that were checked (the file could
  // change in between). Nothing of an artifact is visible before its copy
  // completed; on any failure the artifacts already published go again.
  std::vector<std::string> published;
  auto unpublish = [&] {
    for (const std::string& name : published) zone_.DeleteArtifact(request.id, name).IgnoreError();
  };
  for (const std::string& name : out.artifacts) {
    if (Status s = lease.Check(); !s.ok()) {
      unpublish();
      RemoveTree(fs_, workdir);
      return fail("lease lost");
    }
    Result<std::unique_ptr<GuardedArtifactSource>> source =
        GuardedArtifactSource::Open(JoinPath(workdir, name));
    if (!source.ok()) {
      unpublish();
      RemoveTree(fs_, workdir);
      return fail("artifact could not be read: " + name);
    }
    Status put = zone_.PutArtifactStream(request.id, name, **source);
    if (!(*source)->report().clean()) {
      unpublish();
      return blocked("artifact " + name, (*source)->report().matches);
    }
    if (!put.ok()) {
      unpublish();
      RemoveTree(fs_, workdir);
      return fail("artifact could not be published: " + name);
    }
    published.push_back(name);
    r.artifacts.push_back({name, ArtifactKey(request.id, name),
                           static_cast<int64_t>((*source)->bytes()), (*source)->sha256_hex()});
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
