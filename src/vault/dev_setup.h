// DevSetup: a complete throwaway vault installation in one directory — a
// self-signed CA and server certificate, a 2-of-2 master key with both
// components, a reveal-grant issuer key pair, an API key with every scope,
// and a config file pointing at all of it.
//
// Used by `kura dev`, the demo and the integration tests. Never for
// production: the components sit next to the keyring they protect.
#ifndef KURA_VAULT_DEV_SETUP_H_
#define KURA_VAULT_DEV_SETUP_H_

#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/base/secret.h"
#include "core/fs/file_system.h"
#include "vault/vault_config.h"

namespace kura::vault {

struct DevSetup {
  std::string dir;
  std::string config_path;
  VaultConfig config;
  std::vector<std::string> component_paths;
  std::string ca_cert_path;          // trust anchor for clients (curl --cacert)
  std::string grant_issuer;          // "dev-backend"
  std::string grant_private_key_path;
  SecretBytes api_key;               // every cards:* scope
};

struct DevSetupOptions {
  std::string listen = "127.0.0.1";
  uint16_t port = 0;
  int custodians = 2;
  int threshold = 2;
  bool audit_stdout = false;
  // Extra IP SANs for the server certificate (e.g. a namespace address).
  std::vector<std::string> extra_ips;
};

// `dir` must exist and be empty-ish (files are created exclusively where it
// matters). Errors name the step that failed.
Result<DevSetup> CreateDevSetup(FileSystem& fs, const std::string& dir,
                                const DevSetupOptions& options, const Clock& clock, Random& random);

}  // namespace kura::vault

#endif  // KURA_VAULT_DEV_SETUP_H_
