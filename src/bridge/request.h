// BridgeRequest: what an out-of-scope scheduler drops into requests/ to ask
// the CDE to run a catalogued job (docs/bridge.md, "Request format").
//
// On the wire a request is a compact JWS (alg EdDSA, core/crypto/jws.h)
// whose "kid" header is the submitter id and whose payload is
//   {"v":1,"id":"<32 hex>","job":"tokenize-file","params":{"k":"v",...},
//    "submitter":"airflow","created_ms":...,"expires_ms":...,
//    "idempotency_key":"..."}
// The signature covers the exact payload bytes, so no JSON canonicalisation
// is needed and any JOSE library can produce or check one.
//
// Parsing is split from verification on purpose: the runner must read the
// (untrusted) submitter id to pick the key, then verify, then trust the rest.
//
// Thread safety: plain values and pure functions.
#ifndef KURA_BRIDGE_REQUEST_H_
#define KURA_BRIDGE_REQUEST_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/base/random.h"
#include "core/base/status.h"
#include "core/crypto/ed25519.h"

namespace kura::bridge {

// A request file larger than this is rejected before any parsing (and read
// no further than one byte past it: DropZone::GetRequest).
inline constexpr size_t kMaxRequestBytes = 8 * 1024;
// The reason such a request is rejected with.
inline constexpr std::string_view kRequestTooLarge = "request: larger than the limit";
// Limits on the parts of a request (the catalog may be stricter).
inline constexpr size_t kMaxParams = 32;
inline constexpr size_t kMaxParamNameBytes = 64;
inline constexpr size_t kMaxParamValueBytes = 1024;
inline constexpr size_t kMaxIdentifierBytes = 128;  // job, submitter, key
inline constexpr int kRequestFormatVersion = 1;

struct BridgeRequest {
  std::string id;  // 32 lower-case hex characters (16 random bytes)
  std::string job;
  std::map<std::string, std::string> params;
  std::string submitter;
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
  std::string idempotency_key;
};

// True for 32 lower-case hex characters: the only ids the drop zone accepts.
bool IsValidRequestId(std::string_view id);
// True for 1..kMaxIdentifierBytes of [A-Za-z0-9._:-] (job names, submitter
// ids, idempotency keys).
bool IsValidIdentifier(std::string_view s);
// A fresh request id from `random`. Errors: those of Random::Fill.
Result<std::string> NewRequestId(Random& random);

// The payload JSON of `request`. kInvalidArgument if a field breaks the
// limits above (so a submitter never writes a request the runner refuses
// for its shape).
Result<std::string> RequestPayloadJson(const BridgeRequest& request);
// RequestPayloadJson signed with `key` (kid = request.submitter).
Result<std::string> SignRequest(const BridgeRequest& request, const crypto::Ed25519PrivateKey& key);

// An unverified, parsed request: `request` is untrusted until
// VerifyParsedRequest succeeds.
struct ParsedRequest {
  BridgeRequest request;
  std::string signing_input;
  std::string signature;
};
// Splits and parses a request file. Errors: kInvalidArgument for anything
// malformed (too large, not a JWS, not JSON, wrong types, limits, kid !=
// submitter); messages never echo the input.
Result<ParsedRequest> ParseRequest(std::string_view file_bytes);
// kUnauthenticated unless the signature verifies under `key`.
Status VerifyParsedRequest(const ParsedRequest& parsed, const crypto::Ed25519PublicKey& key);

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_REQUEST_H_
