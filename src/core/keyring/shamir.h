// Shamir K-of-N secret sharing over GF(2^8), used to split the master key
// (KEK) among custodians so that no single person ever holds it (PCI DSS
// 3.6.1.2 split knowledge / dual control).
//
// This is the scheme HashiCorp Vault uses for its unseal keys: every byte of
// the secret is the constant term of its own random polynomial of degree
// threshold-1 over GF(2^8) (AES field polynomial x^8+x^4+x^3+x+1); share i is
// the polynomial evaluated at x = i. Any `threshold` shares recover the
// secret by Lagrange interpolation at x = 0; fewer reveal nothing about it.
//
// It is NOT an encryption primitive and gives no integrity: a corrupted share
// silently combines to a wrong secret. Callers verify the result against a
// key check value (see key_component.h / key_provider.h). OpenSSL offers no
// secret sharing, so this field arithmetic is ours; it is branch-free and
// table-free so timing does not depend on secret bytes.
//
// Thread safety: the functions are thread-safe (no shared state); the Random
// passed in must be safe for the caller's use.
#ifndef KURA_CORE_KEYRING_SHAMIR_H_
#define KURA_CORE_KEYRING_SHAMIR_H_

#include <cstdint>
#include <vector>

#include "core/base/random.h"
#include "core/base/secret.h"
#include "core/base/status.h"

namespace kura::keyring {

// Limits on a split. More than 16 custodians is an organisational smell, and
// the bound keeps component files and prompts small.
inline constexpr int kMinThreshold = 2;
inline constexpr int kMaxShares = 16;
// Shares are for keys; anything larger is a misuse.
inline constexpr size_t kMaxSecretSize = 1024;

// One share: the evaluation point x (1..255, distinct within a split) and
// the polynomial values y, one byte per secret byte (so y.size() equals the
// secret's size). Move-only because y is key material.
struct Share {
  uint8_t x = 0;
  SecretBytes y;
};

// Splits `secret` into `shares` shares with x = 1..shares, any `threshold` of
// which recombine to it. Coefficients come from `random` (OsRandom in
// production).
//
// Errors: kInvalidArgument unless 2 <= threshold <= shares <= kMaxShares, or
// if the secret is empty or larger than kMaxSecretSize; the error of
// `random.Fill` if the generator fails (no shares are returned then).
Result<std::vector<Share>> SplitSecret(const SecretBytes& secret, int shares, int threshold,
                                       Random& random);

// Recombines shares by interpolation at x = 0. Passing fewer shares than the
// split's threshold does not fail: it yields an unrelated value, which is why
// callers must check the result against a key check value. Extra shares
// beyond the threshold are harmless.
//
// The pointers are borrowed for the duration of the call and must be non-null.
// Errors: kInvalidArgument if fewer than 2 shares, any x is 0, two shares
// have the same x, a share is empty, or the shares' lengths differ. Messages
// name x values only, never share bytes.
Result<SecretBytes> CombineShares(const std::vector<const Share*>& shares);

}  // namespace kura::keyring

#endif  // KURA_CORE_KEYRING_SHAMIR_H_
