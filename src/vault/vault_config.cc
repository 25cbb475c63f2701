#include "vault/vault_config.h"

#include <sstream>

#include "core/config/config.h"

namespace kura::vault {
namespace {

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string DurationText(std::chrono::seconds s) {
  const int64_t n = s.count();
  if (n % 86400 == 0) return std::to_string(n / 86400) + "d";
  if (n % 3600 == 0) return std::to_string(n / 3600) + "h";
  if (n % 60 == 0) return std::to_string(n / 60) + "m";
  return std::to_string(n) + "s";
}

Status LoadVault(const ConfigTable& root, VaultConfig& c) {
  ASSIGN_OR_RETURN(ConfigTable v, root.Table("vault"));
  ASSIGN_OR_RETURN(c.listen, v.StringOr("listen", c.listen));
  ASSIGN_OR_RETURN(int64_t port, v.IntOr("port", 0, 65535, c.port));
  c.port = static_cast<uint16_t>(port);
  ASSIGN_OR_RETURN(c.data_dir, v.String("data_dir"));
  if (c.data_dir.empty() || c.data_dir[0] != '/') {
    return v.Error("data_dir", "must be an absolute path");
  }
  ASSIGN_OR_RETURN(c.node_id, v.StringOr("node_id", "vault"));

  ASSIGN_OR_RETURN(ConfigTable tls, v.Table("tls"));
  ASSIGN_OR_RETURN(c.tls_cert, tls.String("cert"));
  ASSIGN_OR_RETURN(c.tls_key, tls.String("key"));
  ASSIGN_OR_RETURN(c.client_ca, tls.StringOr("client_ca", ""));
  ASSIGN_OR_RETURN(c.require_client_cert, tls.BoolOr("require_client_cert", false));
  if (c.require_client_cert && c.client_ca.empty()) {
    return tls.Error("require_client_cert", "needs client_ca");
  }

  ASSIGN_OR_RETURN(std::optional<ConfigTable> limits, v.OptionalTable("limits"));
  if (limits) {
    ASSIGN_OR_RETURN(int64_t body, limits->IntOr("max_body_bytes", 1024, 16 << 20,
                                                 static_cast<int64_t>(c.max_body_bytes)));
    c.max_body_bytes = static_cast<size_t>(body);
    ASSIGN_OR_RETURN(int64_t header, limits->IntOr("max_header_bytes", 1024, 1 << 20,
                                                   static_cast<int64_t>(c.max_header_bytes)));
    c.max_header_bytes = static_cast<size_t>(header);
    ASSIGN_OR_RETURN(std::chrono::seconds rt,
                     limits->DurationOr("request_timeout", std::chrono::duration_cast<std::chrono::seconds>(c.request_timeout)));
    if (rt.count() < 1 || rt.count() > 600) {
      return limits->Error("request_timeout", "must be between 1s and 600s");
    }
    c.request_timeout = rt;
    ASSIGN_OR_RETURN(int64_t conns, limits->IntOr("max_connections", 1, 100'000,
                                                  static_cast<int64_t>(c.max_connections)));
    c.max_connections = static_cast<size_t>(conns);
    ASSIGN_OR_RETURN(int64_t io, limits->IntOr("io_threads", 1, 64, c.io_threads));
    c.io_threads = static_cast<int>(io);
    ASSIGN_OR_RETURN(int64_t handlers, limits->IntOr("handler_threads", 1, 1024, c.handler_threads));
    c.handler_threads = static_cast<int>(handlers);
  }
  return OkStatus();
}

Status LoadSections(const ConfigTable& root, VaultConfig& c) {
  ASSIGN_OR_RETURN(std::optional<ConfigTable> tokens, root.OptionalTable("tokens"));
  if (tokens) {
    ASSIGN_OR_RETURN(c.fpt_keep_bin, tokens->BoolOr("fpt_keep_bin", c.fpt_keep_bin));
    ASSIGN_OR_RETURN(int64_t bin, tokens->IntOr("bin_length", 6, 8, c.bin_length));
    if (bin != 6 && bin != 8) return tokens->Error("bin_length", "must be 6 or 8");
    c.bin_length = static_cast<int>(bin);
  }
  ASSIGN_OR_RETURN(std::optional<ConfigTable> retention, root.OptionalTable("retention"));
  if (retention) {
    ASSIGN_OR_RETURN(c.purge_grace, retention->DurationOr("purge_grace", c.purge_grace));
  }
  ASSIGN_OR_RETURN(std::optional<ConfigTable> keys, root.OptionalTable("keys"));
  if (keys) {
    ASSIGN_OR_RETURN(c.keyring_file, keys->StringOr("keyring", c.keyring_file));
    ASSIGN_OR_RETURN(c.component_files, keys->StringArrayOr("components", {}));
    ASSIGN_OR_RETURN(c.cryptoperiod, keys->DurationOr("cryptoperiod", c.cryptoperiod));
    if (c.cryptoperiod.count() < 3600) {
      return keys->Error("cryptoperiod", "must be at least 1h");
    }
  }
  ASSIGN_OR_RETURN(std::optional<ConfigTable> storage, root.OptionalTable("storage"));
  if (storage) {
    ASSIGN_OR_RETURN(c.database_file, storage->StringOr("database", c.database_file));
    ASSIGN_OR_RETURN(c.api_keys_file, storage->StringOr("api_keys", c.api_keys_file));
  }
  ASSIGN_OR_RETURN(std::optional<ConfigTable> audit, root.OptionalTable("audit"));
  if (audit) {
    ASSIGN_OR_RETURN(c.audit_file, audit->StringOr("file", c.audit_file));
    ASSIGN_OR_RETURN(c.audit_stdout, audit->BoolOr("stdout", c.audit_stdout));
  }
  ASSIGN_OR_RETURN(std::optional<ConfigTable> grants, root.OptionalTable("grants"));
  if (grants) {
    ASSIGN_OR_RETURN(c.grant_audience, grants->StringOr("audience", c.grant_audience));
    ASSIGN_OR_RETURN(std::vector<ConfigTable> issuers, grants->TableArray("issuers"));
    for (const ConfigTable& t : issuers) {
      GrantIssuerConfig g;
      ASSIGN_OR_RETURN(g.name, t.String("name"));
      ASSIGN_OR_RETURN(g.public_key_file, t.String("public_key"));
      c.grant_issuers.push_back(std::move(g));
    }
  }
  ASSIGN_OR_RETURN(std::optional<ConfigTable> auth, root.OptionalTable("auth"));
  if (auth) {
    ASSIGN_OR_RETURN(std::vector<ConfigTable> mtls, auth->TableArray("mtls"));
    for (const ConfigTable& t : mtls) {
      MtlsPrincipalConfig m;
      ASSIGN_OR_RETURN(m.common_name, t.String("common_name"));
      ASSIGN_OR_RETURN(m.principal, t.String("principal"));
      ASSIGN_OR_RETURN(m.scopes, t.StringArray("scopes"));
      c.mtls_principals.push_back(std::move(m));
    }
  }
  return OkStatus();
}

}  // namespace

std::string VaultConfig::InDataDir(const std::string& p) const {
  if (p.empty() || p[0] == '/') return p;
  return JoinPath(data_dir, p);
}

Result<VaultConfig> LoadVaultConfig(FileSystem& fs, const std::string& path) {
  ASSIGN_OR_RETURN(ConfigDocument doc, ConfigDocument::LoadFile(fs, path));
  VaultConfig c;
  c.source = path;
  const ConfigTable root = doc.Root();
  RETURN_IF_ERROR(LoadVault(root, c));
  RETURN_IF_ERROR(LoadSections(root, c));
  RETURN_IF_ERROR(doc.CheckAllKeysUsed());
  return c;
}

std::string RenderVaultConfig(const VaultConfig& c) {
  std::ostringstream o;
  o << "# Kura vault configuration (docs/configuration.md).\n"
    << "# Relative paths are resolved against data_dir.\n\n"
    << "[vault]\n"
    << "listen = " << Quote(c.listen) << "\n"
    << "port = " << c.port << "\n"
    << "data_dir = " << Quote(c.data_dir) << "\n"
    << "node_id = " << Quote(c.node_id) << "\n\n"
    << "[vault.tls]\n"
    << "cert = " << Quote(c.tls_cert) << "\n"
    << "key = " << Quote(c.tls_key) << "\n";
  if (!c.client_ca.empty()) {
    o << "client_ca = " << Quote(c.client_ca) << "\n"
      << "require_client_cert = " << (c.require_client_cert ? "true" : "false") << "\n";
  }
  o << "\n[vault.limits]\n"
    << "max_body_bytes = " << c.max_body_bytes << "\n"
    << "max_header_bytes = " << c.max_header_bytes << "\n"
    << "request_timeout = \""
    << DurationText(std::chrono::duration_cast<std::chrono::seconds>(c.request_timeout))
    << "\"\n"
    << "max_connections = " << c.max_connections << "\n"
    << "io_threads = " << c.io_threads << "\n"
    << "handler_threads = " << c.handler_threads << "\n\n"
    << "[tokens]\n"
    << "fpt_keep_bin = " << (c.fpt_keep_bin ? "true" : "false") << "\n"
    << "bin_length = " << c.bin_length << "\n\n"
    << "[retention]\n"
    << "purge_grace = \"" << DurationText(c.purge_grace) << "\"\n\n"
    << "[keys]\n"
    << "keyring = " << Quote(c.keyring_file) << "\n"
    << "cryptoperiod = \"" << DurationText(c.cryptoperiod) << "\"\n\n"
    << "[storage]\n"
    << "database = " << Quote(c.database_file) << "\n"
    << "api_keys = " << Quote(c.api_keys_file) << "\n\n"
    << "[audit]\n"
    << "file = " << Quote(c.audit_file) << "\n"
    << "stdout = " << (c.audit_stdout ? "true" : "false") << "\n\n"
    << "[grants]\n"
    << "audience = " << Quote(c.grant_audience) << "\n";
  for (const GrantIssuerConfig& g : c.grant_issuers) {
    o << "\n[[grants.issuers]]\n"
      << "name = " << Quote(g.name) << "\n"
      << "public_key = " << Quote(g.public_key_file) << "\n";
  }
  for (const MtlsPrincipalConfig& m : c.mtls_principals) {
    o << "\n[[auth.mtls]]\n"
      << "common_name = " << Quote(m.common_name) << "\n"
      << "principal = " << Quote(m.principal) << "\n"
      << "scopes = [";
    for (size_t i = 0; i < m.scopes.size(); ++i) o << (i ? ", " : "") << Quote(m.scopes[i]);
    o << "]\n";
  }
  return o.str();
}

}  // namespace kura::vault
