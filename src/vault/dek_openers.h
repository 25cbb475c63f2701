// DekOpeners: AES-GCM openers keyed with the vault's data keys (DEKs), kept
// per DEK version and reused across reveals, so a reveal does not copy its
// DEK, allocate an OpenSSL context and set the key up each time.
//
// An opener holds its DEK's key schedule (inside OpenSSL, wiped when the
// opener is destroyed). The first Open after a retirement in this process
// (Keyring::retirements() moved) destroys the idle openers of every version
// the keyring no longer has, and an Open of a retired version fails as
// Keyring::DataKey does; an Open during which a version was retired does
// not put its opener back.
// (The vault server never retires keys; the rotate-keys job, which does,
// re-encrypts without this pool.) At most kMaxIdleOpeners per version are
// kept.
//
// Thread safety: Open may be called concurrently; each call uses an opener
// no other call holds. The keyring must outlive this object.
#ifndef KURA_VAULT_DEK_OPENERS_H_
#define KURA_VAULT_DEK_OPENERS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string_view>
#include <vector>

#include "core/base/secret.h"
#include "core/base/status.h"
#include "core/crypto/aead.h"
#include "core/keyring/keyring.h"

namespace kura::vault {

// Idle openers kept per DEK version: enough for the server's io threads.
inline constexpr size_t kMaxIdleOpeners = 8;

class DekOpeners {
 public:
  explicit DekOpeners(const keyring::Keyring& keyring) : keyring_(keyring) {}
  DekOpeners(const DekOpeners&) = delete;
  DekOpeners& operator=(const DekOpeners&) = delete;

  // crypto::AesGcmOpen(<DEK `version`>, sealed, aad). Errors: those of
  // Keyring::DataKey (kNotFound, kFailedPrecondition for a retired version)
  // and of AesGcmOpener (kDataLoss when authentication fails).
  Result<SecretBytes> Open(int version, std::string_view sealed, std::string_view aad);

  // Idle openers kept for `version` (for tests).
  size_t idle(int version) const;

 private:
  const keyring::Keyring& keyring_;
  mutable std::mutex mu_;
  std::map<int, std::vector<crypto::AesGcmOpener>> idle_;  // guarded by mu_
  uint64_t swept_retirements_ = 0;  // guarded by mu_; Keyring::retirements() at the last sweep
};

}  // namespace kura::vault

#endif  // KURA_VAULT_DEK_OPENERS_H_
