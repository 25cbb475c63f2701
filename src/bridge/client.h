// The out-of-scope side of the bridge: building and dropping a signed
// request, and waiting for / verifying its result (`kura bridge submit`,
// `status`, `result`).
//
// Exit codes of `kura bridge submit --wait` and `kura bridge result`
// (stable, documented in docs/bridge.md) so a scheduler's own retry logic
// works unchanged:
//   0 succeeded, 1 usage/config/IO error, 3 job failed, 4 rejected,
//   5 expired, 6 timed out waiting, 7 no result yet (`result` only).
//
// Thread safety: functions are reentrant; the DropZone/Clock must be safe
// for concurrent use (they are).
#ifndef KURA_BRIDGE_CLIENT_H_
#define KURA_BRIDGE_CLIENT_H_

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "bridge/drop_zone.h"
#include "bridge/request.h"
#include "bridge/result.h"
#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/crypto/ed25519.h"

namespace kura::bridge {

inline constexpr int kExitJobFailed = 3;
inline constexpr int kExitRejected = 4;
inline constexpr int kExitExpired = 5;
inline constexpr int kExitWaitTimeout = 6;
inline constexpr int kExitNoResultYet = 7;
inline constexpr std::chrono::milliseconds kDefaultWaitPoll{500};

// The exit code for a result status (kExitJobFailed for an unknown one).
int ExitCodeForStatus(std::string_view status);

struct SubmitOptions {
  std::string job;
  std::map<std::string, std::string> params;
  std::string idempotency_key;  // "" = the new request id
  std::chrono::seconds ttl{3600};
};

// Builds, signs and drops a request; returns its id. Errors: kInvalidArgument
// for a bad job name, param or key (RequestPayloadJson's limits); drop zone
// errors.
Result<std::string> SubmitRequest(DropZone& zone, const std::string& submitter,
                                  const crypto::Ed25519PrivateKey& key,
                                  const SubmitOptions& options, const Clock& clock, Random& random);

// Reads and verifies the result of `id`. kNotFound while there is none;
// kUnauthenticated if its signature does not verify (a forged result);
// kInvalidArgument if malformed or addressed to another request.
Result<BridgeResult> FetchResult(DropZone& zone, const std::string& id,
                                 const crypto::Ed25519PublicKey& cde_key);

struct WaitOptions {
  std::chrono::milliseconds timeout{std::chrono::hours(1)};
  std::chrono::milliseconds poll = kDefaultWaitPoll;
  // Called between polls (progress output); may be empty.
  std::function<void(std::chrono::milliseconds waited)> on_poll;
  // Sleeps between polls (injected so tests do not sleep).
  std::function<void(std::chrono::milliseconds)> sleep;
};

// Polls FetchResult until a verified result arrives. kDeadlineExceeded once
// `timeout` has passed on `clock`; other errors of FetchResult except
// kNotFound end the wait at once.
Result<BridgeResult> WaitForResult(DropZone& zone, const std::string& id,
                                   const crypto::Ed25519PublicKey& cde_key, const Clock& clock,
                                   const WaitOptions& options);

// `result` as pretty single-line JSON for stdout.
std::string ResultToJson(const BridgeResult& result);

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_CLIENT_H_
