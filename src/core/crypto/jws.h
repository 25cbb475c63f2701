// Compact JWS with alg "EdDSA" (RFC 7515, RFC 8037), as produced by any
// standard JOSE library (jose, PyJWT, go-jose, nimbus).
//
// Only EdDSA/Ed25519 is accepted: a header with any other alg (including
// "none") is rejected before any signature work, so algorithm confusion is
// impossible.
//
// Thread safety: thread-safe.
#ifndef KURA_CORE_CRYPTO_JWS_H_
#define KURA_CORE_CRYPTO_JWS_H_

#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/crypto/ed25519.h"

namespace kura::crypto {

// Upper bound on an accepted compact JWS, before any parsing.
inline constexpr size_t kMaxJwsBytes = 8 * 1024;

struct JwsParts {
  std::string header_json;   // decoded protected header
  std::string payload;       // decoded payload (claims JSON for a JWT)
  std::string signing_input; // "b64url(header).b64url(payload)"
  std::string signature;     // decoded, 64 bytes for EdDSA
  std::string kid;           // header "kid", empty if absent
};

// Splits and decodes a compact JWS and checks the header: valid JSON object,
// alg == "EdDSA", typ (if present) "JWT", no "crit". Does NOT verify the
// signature. Also rejects a non-string "kid" and a signature that is not
// 64 bytes. Errors: kInvalidArgument with a message saying which part is bad
// (never echoing token contents). For a duplicated header member the
// lexically last value is used (Boost.JSON), as RFC 7515 section 4 permits.
Result<JwsParts> ParseCompactJws(std::string_view compact);

// Verifies parts.signature over parts.signing_input with `key`.
// Errors: kUnauthenticated when it does not verify.
Status VerifyJws(const JwsParts& parts, const Ed25519PublicKey& key);

// Produces a compact JWS with header {"alg":"EdDSA","typ":"JWT"[,"kid":kid]}.
// payload_json is used verbatim (not validated). Errors: kInvalidArgument if
// the token would exceed kMaxJwsBytes (ParseCompactJws would refuse it);
// kInternal if signing fails.
Result<std::string> SignCompactJws(std::string_view payload_json, const Ed25519PrivateKey& key,
                                   std::string_view kid = {});

}  // namespace kura::crypto

#endif  // KURA_CORE_CRYPTO_JWS_H_
