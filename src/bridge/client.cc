#include "bridge/client.h"

#include <thread>

namespace kura::bridge {

int ExitCodeForStatus(std::string_view status) {
  if (status == kStatusSucceeded) return 0;
  if (status == kStatusRejected) return kExitRejected;
  if (status == kStatusExpired) return kExitExpired;
  return kExitJobFailed;
}

Result<std::string> SubmitRequest(DropZone& zone, const std::string& submitter,
                                  const crypto::Ed25519PrivateKey& key,
                                  const SubmitOptions& options, const Clock& clock,
                                  Random& random) {
  BridgeRequest r;
  ASSIGN_OR_RETURN(r.id, NewRequestId(random));
  r.job = options.job;
  r.params = options.params;
  r.submitter = submitter;
  r.created_ms = clock.NowUnixMillis();
  r.expires_ms = r.created_ms + std::chrono::milliseconds(options.ttl).count();
  r.idempotency_key = options.idempotency_key.empty() ? r.id : options.idempotency_key;
  ASSIGN_OR_RETURN(std::string jws, SignRequest(r, key));
  RETURN_IF_ERROR(zone.PutRequest(r.id, jws));
  return r.id;
}

Result<BridgeResult> FetchResult(DropZone& zone, const std::string& id,
                                 const crypto::Ed25519PublicKey& cde_key) {
  if (!IsValidRequestId(id)) return InvalidArgumentError("bad request id");
  ASSIGN_OR_RETURN(std::string bytes, zone.GetResult(id));
  ASSIGN_OR_RETURN(BridgeResult r, VerifyResult(bytes, cde_key));
  // A validly signed result for another request, copied here, is refused.
  if (r.request_id != id) return InvalidArgumentError("result is for another request");
  return r;
}

Result<BridgeResult> WaitForResult(DropZone& zone, const std::string& id,
                                   const crypto::Ed25519PublicKey& cde_key, const Clock& clock,
                                   const WaitOptions& options) {
  const TimePoint start = clock.Now();
  for (;;) {
    Result<BridgeResult> r = FetchResult(zone, id, cde_key);
    if (r.ok() || r.status().code() != StatusCode::kNotFound) return r;
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now() - start);
    if (waited >= options.timeout) {
      return DeadlineExceededError("no result within the timeout");
    }
    if (options.on_poll) options.on_poll(waited);
    if (options.sleep) {
      options.sleep(options.poll);
    } else {
      std::this_thread::sleep_for(options.poll);
    }
  }
}

std::string ResultToJson(const BridgeResult& result) { return ResultPayloadJson(result); }

}  // namespace kura::bridge
