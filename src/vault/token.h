// Vault token generation: the surrogate values handed out in place of a PAN.
//
// Two formats:
//  * random: "tok_" + 26 lower-case base32 characters encoding 128 bits that
//    look random: either random bits (GenerateRandomToken) or, for cards
//    the vault stores, its row id and 64 random bits encrypted together
//    (TokenCodec, token_codec.h), so a token finds its row without an index.
//    Unrelated to the PAN; cannot be mistaken for a card number.
//  * format-preserving (FPT): a digit string of the PAN's length that keeps
//    the last four digits (and optionally the BIN) so legacy systems can store
//    it in a PAN column, but always FAILS the Luhn check. That makes it
//    distinguishable from any real PAN (every issued PAN passes Luhn) and
//    guarantees a token never equals the PAN it stands for.
//
// Tokens are not derived from the PAN cryptographically: the hidden digits are
// fresh randomness, so a token reveals nothing beyond what it keeps in the
// clear. Uniqueness is the store's job: CardStore::Insert returns
// kAlreadyExists on a collision and callers generate a new token (collisions
// are realistic for FPT tokens with few random digits).
//
// Only the injected Random is used. Error messages never contain the PAN.
//
// Thread safety: functions are safe to call concurrently if the Random is
// (all Kura Random implementations are).
#ifndef KURA_VAULT_TOKEN_H_
#define KURA_VAULT_TOKEN_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/random.h"
#include "core/base/status.h"

namespace kura::vault {

inline constexpr std::string_view kRandomTokenPrefix = "tok_";
// 16 random bytes = 128 bits -> ceil(128 / 5) = 26 base32 characters.
inline constexpr size_t kRandomTokenBytes = 16;
inline constexpr size_t kRandomTokenChars = 26;

// An FPT token must have at least this many freshly random digits; fewer would
// make tokens guessable from the kept digits and collide constantly.
inline constexpr size_t kMinFptRandomDigits = 3;

using RandomTokenBytes = std::array<uint8_t, kRandomTokenBytes>;

// "tok_" + the base32 form (below) of `bytes`.
std::string EncodeRandomToken(const RandomTokenBytes& bytes);

// The 16 bytes a random token encodes; nullopt unless LooksLikeRandomToken.
std::optional<RandomTokenBytes> DecodeRandomToken(std::string_view s);

// Returns "tok_" followed by the RFC 4648 base32 encoding (lower-case
// alphabet "abcdefghijklmnopqrstuvwxyz234567", no padding) of 16 bytes from
// `random`. Errors: whatever `random` returns if it fails (kInternal for
// OsRandom); a token is never produced from a failed generator.
Result<std::string> GenerateRandomToken(Random& random);

// True iff `s` has exactly the shape GenerateRandomToken produces: the prefix,
// 26 characters of the lower-case alphabet, and a canonical last character
// (its two padding bits zero).
bool LooksLikeRandomToken(std::string_view s);

// Returns a format-preserving token for `pan`:
//  * same length as `pan`, ASCII digits only;
//  * the last 4 digits equal the PAN's;
//  * when `keep_bin`, the first `bin_length` digits equal the PAN's;
//  * every other digit is uniformly random, subject to the whole token failing
//    the Luhn check (the token is uniform over all Luhn-invalid strings with
//    the kept digits fixed);
//  * never equal to `pan` (which passes Luhn).
// `pan` must already be checked (CheckPan). `bin_length` must be 6 or 8
// and is ignored when `keep_bin` is false.
// Errors (kInvalidArgument, no PAN digits in the message): `pan` not 13-19
// digits; bad `bin_length`; fewer than kMinFptRandomDigits digits left to
// randomise (e.g. a 13-digit PAN with an 8-digit BIN kept). We refuse rather
// than silently dropping the BIN, because callers may rely on the BIN being
// present; they can retry with keep_bin = false. Errors from `random` are
// passed through.
Result<std::string> GenerateFptToken(std::string_view pan, bool keep_bin, int bin_length,
                                     Random& random);

// True iff `s` is 13-19 ASCII digits that fail the Luhn check, i.e. could be
// an FPT token and cannot be a PAN.
bool LooksLikeFptToken(std::string_view s);

}  // namespace kura::vault

#endif  // KURA_VAULT_TOKEN_H_
