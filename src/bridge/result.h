// BridgeResult: what the CDE runner publishes in results/ for each request
// (docs/bridge.md, "Result format"), signed with the runner's Ed25519 key as
// a compact JWS (kid = runner id). Every outcome has one, including
// rejections, so a waiting submitter always learns why.
//
// Statuses and the `kura bridge submit --wait` exit codes they map to:
//   succeeded -> 0, failed -> 3, rejected -> 4, expired -> 5.
//
// A result never carries a PAN: the runner passes it through the PAN guard
// before publication (bridge/pan_guard.h).
//
// Thread safety: plain values and pure functions.
#ifndef KURA_BRIDGE_RESULT_H_
#define KURA_BRIDGE_RESULT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/crypto/ed25519.h"

namespace kura::bridge {

inline constexpr std::string_view kStatusSucceeded = "succeeded";
inline constexpr std::string_view kStatusFailed = "failed";
inline constexpr std::string_view kStatusRejected = "rejected";
inline constexpr std::string_view kStatusExpired = "expired";

// Bounds that keep a signed result below crypto::kMaxJwsBytes.
inline constexpr size_t kMaxSummaryBytes = 2048;
inline constexpr size_t kMaxReasonBytes = 256;
inline constexpr size_t kMaxArtifacts = 16;

struct ArtifactRef {
  std::string name;  // file name, e.g. "tokenized.csv"
  std::string key;   // blob key, "artifacts/<id>/<name>"
  int64_t bytes = 0;
  std::string sha256;  // lower-case hex
};

struct BridgeResult {
  std::string request_id;
  std::string job;
  std::string status;      // one of the kStatus* values
  std::string reason;      // why it failed / was rejected ("" on success)
  int64_t exit_code = -1;  // exec jobs; -1 when there is none
  std::string summary;     // short text (or JSON text) from the job
  std::vector<ArtifactRef> artifacts;
  int64_t received_ms = 0;
  int64_t started_ms = 0;  // 0 if never started
  int64_t finished_ms = 0;
  std::string runner;     // runner id (also the JWS kid)
  std::string replay_of;  // request id whose result this repeats ("" if none)
};

// Payload JSON. Truncates over-long summary/reason (never fails for that).
std::string ResultPayloadJson(const BridgeResult& result);
// Signed compact JWS. Errors: kInvalidArgument if too many artifacts; those
// of crypto::SignCompactJws.
Result<std::string> SignResult(const BridgeResult& result, const crypto::Ed25519PrivateKey& key);
// Parses and verifies a result file against the CDE's public key.
// kInvalidArgument if malformed; kUnauthenticated if the signature fails.
Result<BridgeResult> VerifyResult(std::string_view file_bytes, const crypto::Ed25519PublicKey& key);
// Parses the payload JSON only (for the runner's own stored copy).
Result<BridgeResult> ParseResultPayload(std::string_view payload_json);

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_RESULT_H_
