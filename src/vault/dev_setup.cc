#include "vault/dev_setup.h"

#include "core/auth/api_key_store.h"
#include "core/crypto/ed25519.h"
#include "core/http/self_signed.h"
#include "core/keyring/init_keys.h"

namespace kura::vault {

Result<DevSetup> CreateDevSetup(FileSystem& fs, const std::string& dir,
                                const DevSetupOptions& options, const Clock& clock, Random& random) {
  DevSetup d;
  d.dir = dir;
  RETURN_IF_ERROR(fs.CreateDirs(dir, 0700));

  std::vector<std::string> ips = {"127.0.0.1"};
  ips.insert(ips.end(), options.extra_ips.begin(), options.extra_ips.end());
  ASSIGN_OR_RETURN(http::SelfSignedCert cert,
                   http::GenerateSelfSignedCert("kura-vault", {"localhost"}, ips, 30));
  d.ca_cert_path = JoinPath(dir, "ca.pem");
  RETURN_IF_ERROR(fs.WriteFileAtomic(d.ca_cert_path, cert.ca_cert_pem, 0644));
  RETURN_IF_ERROR(fs.WriteFileAtomic(JoinPath(dir, "server.pem"), cert.cert_pem, 0644));
  RETURN_IF_ERROR(fs.WriteFileAtomic(JoinPath(dir, "server.key"), cert.key_pem.view(), 0600));

  VaultConfig& c = d.config;
  c.listen = options.listen;
  c.port = options.port;
  c.data_dir = dir;
  c.node_id = "vault-dev";
  c.tls_cert = "server.pem";
  c.tls_key = "server.key";
  c.audit_stdout = options.audit_stdout;

  ASSIGN_OR_RETURN(keyring::InitResult keys,
                   keyring::InitKeys(fs, c.InDataDir(c.keyring_file), JoinPath(dir, "custodians"),
                                     options.custodians, options.threshold, clock, random));
  d.component_paths = keys.component_paths;

  ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey issuer, crypto::Ed25519PrivateKey::Generate());
  d.grant_issuer = "dev-backend";
  d.grant_private_key_path = JoinPath(dir, "grant-issuer.key");
  RETURN_IF_ERROR(fs.WriteFileAtomic(d.grant_private_key_path, issuer.ToPem().view(), 0600));
  RETURN_IF_ERROR(
      fs.WriteFileAtomic(JoinPath(dir, "grant-issuer.pub"), issuer.PublicKey().ToPem(), 0644));
  c.grant_issuers.push_back(GrantIssuerConfig{d.grant_issuer, "grant-issuer.pub"});

  d.config_path = JoinPath(dir, "vault.toml");
  c.source = d.config_path;
  RETURN_IF_ERROR(fs.WriteFileAtomic(d.config_path, RenderVaultConfig(c), 0600));

  ASSIGN_OR_RETURN(auto api_keys,
                   auth::ApiKeyStore::Open(fs, c.InDataDir(c.api_keys_file), clock, random));
  ASSIGN_OR_RETURN(d.api_key, api_keys->Create("dev", {"cards:write", "cards:read",
                                                       "cards:reveal", "cards:delete"}));
  return d;
}

}  // namespace kura::vault
