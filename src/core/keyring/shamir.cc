#include "core/keyring/shamir.h"

#include <string>

namespace kura::keyring {
namespace {

// Multiplication in GF(2^8) modulo x^8+x^4+x^3+x+1. Branch-free and
// table-free: lookup tables indexed by secret bytes leak through the cache.
uint8_t GfMul(uint8_t a, uint8_t b) {
  unsigned r = 0;
  unsigned aa = a;
  unsigned bb = b;
  for (int i = 0; i < 8; ++i) {
    r ^= aa & (0u - (bb & 1u));
    const unsigned carry = 0u - ((aa >> 7) & 1u);
    aa = ((aa << 1) ^ (carry & 0x1bu)) & 0xffu;
    bb >>= 1;
  }
  return static_cast<uint8_t>(r);
}

// a^254 = a^-1 for a != 0 (the multiplicative group has order 255). The
// exponent is a public constant, so the square-and-multiply sequence is fixed.
uint8_t GfInv(uint8_t a) {
  uint8_t result = 1;
  for (int bit = 7; bit >= 0; --bit) {
    result = GfMul(result, result);
    if ((254 >> bit) & 1) result = GfMul(result, a);
  }
  return result;
}

}  // namespace

Result<std::vector<Share>> SplitSecret(const SecretBytes& secret, int shares, int threshold,
                                       Random& random) {
  if (threshold < kMinThreshold || threshold > shares || shares > kMaxShares) {
    return InvalidArgumentError("shamir: need 2 <= threshold <= shares <= " +
                                std::to_string(kMaxShares));
  }
  if (secret.empty() || secret.size() > kMaxSecretSize) {
    return InvalidArgumentError("shamir: secret must be 1.." + std::to_string(kMaxSecretSize) +
                                " bytes");
  }
  const size_t degree = static_cast<size_t>(threshold) - 1;
  // coeffs[b * degree + (k - 1)] is the x^k coefficient of byte b's
  // polynomial; the constant term is the secret byte itself.
  SecretBytes coeffs(secret.size() * degree);
  RETURN_IF_ERROR(random.Fill(coeffs.mutable_span()));

  std::vector<Share> out;
  out.reserve(static_cast<size_t>(shares));
  for (int i = 1; i <= shares; ++i) {
    Share share;
    share.x = static_cast<uint8_t>(i);
    share.y = SecretBytes(secret.size());
    for (size_t b = 0; b < secret.size(); ++b) {
      // Horner's rule from the highest coefficient down.
      uint8_t v = coeffs[b * degree + degree - 1];
      for (size_t k = degree - 1; k >= 1; --k) {
        v = static_cast<uint8_t>(GfMul(v, share.x) ^ coeffs[b * degree + k - 1]);
      }
      share.y[b] = static_cast<uint8_t>(GfMul(v, share.x) ^ secret[b]);
    }
    out.push_back(std::move(share));
  }
  return out;
}

Result<SecretBytes> CombineShares(const std::vector<const Share*>& shares) {
  if (shares.size() < 2) return InvalidArgumentError("shamir: need at least 2 shares");
  if (shares.size() > 255) return InvalidArgumentError("shamir: too many shares");
  const size_t len = shares[0]->y.size();
  bool seen[256] = {};
  for (const Share* s : shares) {
    if (s->x == 0) return InvalidArgumentError("shamir: share x must be 1..255");
    if (seen[s->x]) {
      return InvalidArgumentError("shamir: duplicate share x=" + std::to_string(s->x));
    }
    seen[s->x] = true;
    if (s->y.empty()) return InvalidArgumentError("shamir: empty share");
    if (s->y.size() != len) return InvalidArgumentError("shamir: share lengths differ");
  }

  SecretBytes secret(len);
  for (size_t i = 0; i < shares.size(); ++i) {
    // Lagrange basis polynomial i evaluated at 0: prod x_j / (x_j - x_i);
    // subtraction is XOR in characteristic 2. The x values are public.
    uint8_t num = 1;
    uint8_t den = 1;
    for (size_t j = 0; j < shares.size(); ++j) {
      if (j == i) continue;
      num = GfMul(num, shares[j]->x);
      den = GfMul(den, static_cast<uint8_t>(shares[j]->x ^ shares[i]->x));
    }
    const uint8_t basis = GfMul(num, GfInv(den));
    const SecretBytes& y = shares[i]->y;
    for (size_t b = 0; b < len; ++b) secret[b] ^= GfMul(basis, y[b]);
  }
  return secret;
}

}  // namespace kura::keyring
