// KeyComponent: one custodian's share of the master key (KEK), and the text
// file it is kept in.
//
// `kura keys init` splits a fresh KEK with Shamir (shamir.h) and writes one
// component file per custodian. Each file holds one share plus two key check
// values (KCVs, crypto/key_wrap.h): `share-kcv` catches a mistyped or
// corrupted share on its own, `kek-kcv` checks the recombined KEK. A KCV
// reveals nothing useful about the key it checks.
//
// File format (UTF-8 text, one `field: value` per line; lines starting with
// '#' and blank lines are ignored; CRLF is accepted; fields may appear in any
// order but each exactly once; unknown fields are rejected):
//
//   # Kura key component — custodian 2 of 3 (threshold 2). Keep offline; never share.
//   kura-key-component: v1
//   key-id: kek-20260101-ab12cd
//   index: 2
//   threshold: 2
//   custodians: 3
//   share: <64 hex characters: the 32-byte Shamir share y for x = index>
//   share-kcv: 1a2b3c
//   kek-kcv: 9f8e7d
//
//   key-id      [A-Za-z0-9._-]{1,64}, names the KEK this share belongs to
//   index       the Shamir x coordinate, 1..custodians
//   threshold   components needed to rebuild the KEK, 2..custodians
//   custodians  components that exist, threshold..kMaxShares (16)
//   share-kcv   KeyCheckValue(share), 6 hex characters
//   kek-kcv     KeyCheckValue(KEK), 6 hex characters
//
// Hex is accepted in either case and written in lower case.
//
// Thread safety: the functions are thread-safe (no shared state).
#ifndef KURA_CORE_KEYRING_KEY_COMPONENT_H_
#define KURA_CORE_KEYRING_KEY_COMPONENT_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/secret.h"
#include "core/base/status.h"
#include "core/keyring/shamir.h"

namespace kura::keyring {

// The KEK (and therefore every share of it) is an AES-256 key.
inline constexpr size_t kKekSize = 32;
// Component files are a dozen short lines; refuse to parse anything big.
inline constexpr size_t kMaxComponentTextSize = 4096;
inline constexpr size_t kMaxKeyIdLength = 64;
inline constexpr std::string_view kComponentMagic = "v1";

// Move-only (the share is key material).
struct KeyComponent {
  std::string key_id;
  int index = 0;  // Shamir x coordinate.
  int threshold = 0;
  int custodians = 0;
  SecretBytes share;  // kKekSize bytes.
  std::string share_kcv;
  std::string kek_kcv;
};

// True iff `key_id` matches [A-Za-z0-9._-]{1,kMaxKeyIdLength}. Key ids appear
// in file names, logs and error messages, so their alphabet is restricted.
bool IsValidKeyId(std::string_view key_id);

// Builds the component for custodian `share.x`, computing share_kcv.
// Errors: kInvalidArgument if key_id is invalid, the share is not kKekSize
// bytes, kek_kcv is not 6 hex characters, or the counts violate
// 1 <= x <= custodians, 2 <= threshold <= custodians <= kMaxShares.
Result<KeyComponent> MakeComponent(std::string_view key_id, const Share& share, int threshold,
                                   int custodians, std::string_view kek_kcv);

// The file text for `component`, in the format above. Returned as
// SecretBytes because it contains the share. Does not validate: pass a
// component from MakeComponent or ParseComponent.
SecretBytes FormatComponent(const KeyComponent& component);

// Parses and validates a component file.
// Errors:
//   kInvalidArgument  malformed text: missing, duplicate, unknown or invalid
//                     field (the message names the field, or the line number
//                     for lines that are not `field: value`), wrong version,
//                     text over kMaxComponentTextSize;
//   kDataLoss         the share does not match its share-kcv
//                     ("component 2: check value mismatch (mistyped or
//                     corrupted)").
// No error message ever contains the share or any other field value.
Result<KeyComponent> ParseComponent(std::string_view text);

}  // namespace kura::keyring

#endif  // KURA_CORE_KEYRING_KEY_COMPONENT_H_
