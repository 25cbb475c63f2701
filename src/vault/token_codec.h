// TokenCodec: random-format vault tokens that carry their card's row id.
//
//   token = "tok_" + base32( AES-256_k( be64(id) || 8 random bytes ) )
//
// The token has exactly the shape of GenerateRandomToken's (token.h) and,
// without the key, is indistinguishable from 128 random bits: it reveals
// neither the id (so not how many cards exist or when one was stored) nor
// anything about the PAN. With the key, IdOf() recovers the row id, so the
// store finds a card by its primary key instead of through an index of all
// tokens — the index whose random inserts bounded bulk tokenization. The 64
// random bits make tokens unguessable even to someone who knows ids: the
// store only answers when the whole token equals the one it stored for that
// row. Distinct ids give distinct tokens (AES is a permutation), so minted
// tokens never clash.
//
// The key comes from the keyring (Keyring::LookupKey(kTokenIdKeyPurpose)),
// which derives it from the fingerprint key: stable for the life of the
// vault, independent of DEK rotation. Changing it would orphan every minted
// token, so the purpose string is versioned and fixed.
//
// Thread safety: Mint and IdOf may be called concurrently.
#ifndef KURA_VAULT_TOKEN_CODEC_H_
#define KURA_VAULT_TOKEN_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/random.h"
#include "core/base/secret.h"
#include "core/base/status.h"
#include "core/crypto/block_cipher.h"

namespace kura::vault {

inline constexpr std::string_view kTokenIdKeyPurpose = "vault.token-id.v1";

class TokenCodec {
 public:
  // Errors: kInvalidArgument unless `key` is 32 bytes; kInternal (OpenSSL).
  static Result<TokenCodec> Create(const SecretBytes& key);

  // A token carrying `id`. Errors: kInvalidArgument if id <= 0; errors of
  // `random` (no token from a failed generator); kInternal (OpenSSL).
  Result<std::string> Mint(int64_t id, Random& random) const;

  // The id `token` carries, or 0 if it is not random-shaped
  // (LooksLikeRandomToken) or decrypts to no valid id. Any random-shaped
  // string decrypts to some id — e.g. a token drawn by GenerateRandomToken
  // before ids were minted — so the caller must check that the row with this
  // id stored exactly this token.
  int64_t IdOf(std::string_view token) const;

 private:
  explicit TokenCodec(crypto::Aes256Block block) : block_(std::move(block)) {}
  crypto::Aes256Block block_;
};

}  // namespace kura::vault

#endif  // KURA_VAULT_TOKEN_CODEC_H_
