// VaultConfig: everything `kura vault serve` reads from its TOML file
// (docs/configuration.md has an annotated example).
//
// Loading is strict: every key is type- and range-checked, unknown keys are
// errors, and each error names the file, line and dotted key. Relative paths
// are resolved against data_dir, so a deployment needs exactly one writable
// directory (read-only root file system).
#ifndef KURA_VAULT_VAULT_CONFIG_H_
#define KURA_VAULT_VAULT_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/fs/file_system.h"

namespace kura::vault {

struct GrantIssuerConfig {
  std::string name;             // expected "iss"
  std::string public_key_file;  // Ed25519 SPKI PEM
};

struct MtlsPrincipalConfig {
  std::string common_name;  // client certificate CN
  std::string principal;
  std::vector<std::string> scopes;
};

struct VaultConfig {
  std::string source;  // the file it was loaded from

  // [vault]
  std::string listen = "127.0.0.1";
  uint16_t port = 8443;
  std::string data_dir;  // required
  std::string node_id;   // default: "vault"

  // [vault.tls]
  std::string tls_cert;  // PEM chain (required)
  std::string tls_key;   // PEM private key (required)
  std::string client_ca;  // optional: enables mTLS client certificates
  bool require_client_cert = false;

  // [vault.limits]
  size_t max_body_bytes = 64 * 1024;
  size_t max_header_bytes = 8 * 1024;
  std::chrono::milliseconds request_timeout{10'000};
  size_t max_connections = 1024;
  int io_threads = 2;
  int handler_threads = 64;

  // [tokens]
  bool fpt_keep_bin = false;
  int bin_length = 6;

  // [retention]
  std::chrono::seconds purge_grace{30 * 24 * 3600};

  // [keys]
  std::string keyring_file = "keyring.json";  // relative to data_dir
  std::vector<std::string> component_files;  // may also come from the CLI
  std::chrono::seconds cryptoperiod{90 * 24 * 3600};

  // [storage]
  std::string database_file = "vault.db";  // relative to data_dir
  std::string api_keys_file = "api_keys.json";

  // [audit]
  std::string audit_file = "audit.jsonl";  // relative to data_dir; "" = none
  bool audit_stdout = false;

  // [grants]
  std::string grant_audience = "kura-vault";
  std::vector<GrantIssuerConfig> grant_issuers;  // [[grants.issuers]]

  // [[auth.mtls]]
  std::vector<MtlsPrincipalConfig> mtls_principals;

  // `p` made absolute against data_dir (unchanged if already absolute).
  std::string InDataDir(const std::string& p) const;
};

// Errors: kNotFound if the file is missing; kInvalidArgument naming
// file:line and key for any bad, missing or unknown key.
Result<VaultConfig> LoadVaultConfig(FileSystem& fs, const std::string& path);

// Renders a complete, commented config (used by `kura dev` and the demo).
std::string RenderVaultConfig(const VaultConfig& c);

}  // namespace kura::vault

#endif  // KURA_VAULT_VAULT_CONFIG_H_
