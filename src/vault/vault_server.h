// VaultServer: assembles a running vault from its configuration — keyring
// (unlocked with custodian components), card store, API keys, audit log,
// grant verifier and the HTTPS server — and tears it down in order.
//
// Start-up refuses to proceed (returning the error, with an audit event where
// the audit log is already open) when the config is invalid, fewer than the
// threshold of key components are supplied, or any file cannot be opened.
//
// Thread safety: Start/Shutdown from one thread; the server itself serves
// requests concurrently.
#ifndef KURA_VAULT_VAULT_SERVER_H_
#define KURA_VAULT_VAULT_SERVER_H_

#include <memory>

#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/base/status.h"
#include "core/fs/file_system.h"
#include "core/keyring/key_provider.h"
#include "vault/vault_config.h"

namespace kura::vault {

struct VaultEnv {
  FileSystem& fs;
  const Clock& clock;
  Random& random;
};

class VaultServer {
 public:
  // Opens everything and binds the listening socket. `keys` supplies the
  // master key; it is used once and the combined key is wiped afterwards.
  static Result<std::unique_ptr<VaultServer>> Start(const VaultConfig& config, keyring::KeyProvider& keys,
                                                    VaultEnv env);
  ~VaultServer();
  VaultServer(const VaultServer&) = delete;
  VaultServer& operator=(const VaultServer&) = delete;

  // The bound port (useful with port = 0).
  uint16_t port() const;

  // Graceful: stops accepting, lets in-flight requests finish, flushes the
  // audit log and emits service.stop. Idempotent.
  void Shutdown();

  struct Impl;

 private:
  explicit VaultServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kura::vault

#endif  // KURA_VAULT_VAULT_SERVER_H_
