// Reveal grants: how an end user sees their own PAN without the out-of-scope
// backend ever touching it.
//
// The out-of-scope backend signs a short-lived compact JWS (alg EdDSA,
// RFC 8037) with claims
//   iss  issuer name, mapped to a configured Ed25519 public key
//   aud  the vault's audience name (string, or array containing it)
//   sub  the card token the grant is for
//   iat  issued-at, seconds since the epoch
//   exp  expiry, at most kMaxGrantLifetime after iat
//   jti  unique id; each grant is accepted once (replay cache in the vault's
//        database, so it survives restarts)
// The client app presents it to POST /v1/reveal; the vault verifies it here.
//
// Thread safety: GrantVerifier is safe for concurrent use.
#ifndef KURA_VAULT_REVEAL_GRANT_H_
#define KURA_VAULT_REVEAL_GRANT_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/base/status.h"
#include "core/crypto/ed25519.h"
#include "vault/card_store.h"

namespace kura::vault {

// A grant may live at most this long (exp - iat).
inline constexpr std::chrono::seconds kMaxGrantLifetime{60};
// Tolerated clock difference between the backend and the vault.
inline constexpr std::chrono::seconds kGrantClockSkew{5};
// Longest accepted jti / iss.
inline constexpr size_t kMaxGrantIdBytes = 128;

struct GrantIssuer {
  std::string name;  // the "iss" value
  crypto::Ed25519PublicKey public_key;
};

struct GrantClaims {
  std::string iss;
  std::string sub;  // card token
  std::string jti;
  int64_t iat = 0;
  int64_t exp = 0;
};

class GrantVerifier {
 public:
  // `nonces` (the card store's replay cache) and `clock` must outlive this.
  GrantVerifier(std::vector<GrantIssuer> issuers, std::string audience, CardStore& nonces,
                const Clock& clock);

  // Verifies a compact JWS and consumes its jti. Checks, in order: size and
  // syntax, alg == EdDSA, known issuer, signature, audience, iat/exp window
  // and lifetime, then the jti (replay). Errors, all kUnauthenticated with a
  // specific message ("grant expired", "grant already used", ...), except
  // kInvalidArgument for input that is not a JWS at all. The jti is consumed
  // only when every other check has passed.
  Result<GrantClaims> Verify(std::string_view compact);

 private:
  const std::vector<GrantIssuer> issuers_;
  const std::string audience_;
  CardStore& nonces_;
  const Clock& clock_;
};

struct GrantMintOptions {
  std::string issuer = "app-backend";
  std::string audience = "kura-vault";
  std::chrono::seconds ttl{60};
};

// Mints a grant (for `kura vault grant`, tests and small deployments; larger
// ones use any JOSE library). jti is 128 random bits.
Result<std::string> MintGrant(const crypto::Ed25519PrivateKey& key, const std::string& token,
                              const GrantMintOptions& options, const Clock& clock,
                              Random& random);

}  // namespace kura::vault

#endif  // KURA_VAULT_REVEAL_GRANT_H_
