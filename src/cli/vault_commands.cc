// kura vault serve | apikey create/list/revoke | grant | purge
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/cli_audit.h"
#include "cli/cli_context.h"
#include "cli/key_source.h"
#include "core/audit/audit_log.h"
#include "core/auth/api_key_store.h"
#include "core/crypto/ed25519.h"
#include "core/http/signals.h"
#include "vault/purge.h"
#include "vault/reveal_grant.h"
#include "vault/sqlite_card_store.h"
#include "vault/vault_config.h"
#include "vault/vault_server.h"

namespace kura::cli {
namespace {

struct VaultFlags {
  std::string config;
  KeySourceFlags keys;
};

Status AuditCli(CliContext& ctx, const vault::VaultConfig& c, const AuditEvent& ev) {
  return AppendCliAuditEvent(ctx, c, "vault-cli", ev);
}

int Serve(CliContext& ctx, const VaultFlags& f) {
  Result<vault::VaultConfig> config = vault::LoadVaultConfig(ctx.fs, f.config);
  if (!config.ok()) return Fail(ctx, config.status());
  Result<std::unique_ptr<keyring::KeyProvider>> keys = MakeKeyProvider(ctx, *config, f.keys);
  if (!keys.ok()) return Fail(ctx, keys.status());
  // Signals are blocked before any thread starts so that only sigwait sees them.
  http::BlockTerminationSignals();
  Result<std::unique_ptr<vault::VaultServer>> server =
      vault::VaultServer::Start(*config, **keys, vault::VaultEnv{ctx.fs, ctx.clock, ctx.random});
  if (!server.ok()) return Fail(ctx, server.status());
  ctx.err << "kura vault: listening on https://" << config->listen << ":" << (*server)->port()
          << "\n";
  const int sig = http::WaitForTerminationSignal();
  ctx.err << "kura vault: signal " << sig << ", shutting down gracefully\n";
  (*server)->Shutdown();
  return kExitOk;
}

std::set<std::string> SplitScopes(const std::string& csv) {
  std::set<std::string> out;
  std::stringstream ss(csv);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.insert(item);
  }
  return out;
}

int ApiKeyCreate(CliContext& ctx, const std::string& config_path, const std::string& name,
                 const std::string& scopes) {
  Result<vault::VaultConfig> c = vault::LoadVaultConfig(ctx.fs, config_path);
  if (!c.ok()) return Fail(ctx, c.status());
  if (Status s = ctx.fs.CreateDirs(c->data_dir, 0700); !s.ok()) return Fail(ctx, s);
  Result<std::unique_ptr<auth::ApiKeyStore>> store =
      auth::ApiKeyStore::Open(ctx.fs, c->InDataDir(c->api_keys_file), ctx.clock, ctx.random);
  if (!store.ok()) return Fail(ctx, store.status());
  Result<SecretBytes> key = (*store)->Create(name, SplitScopes(scopes));
  AuditEvent ev;
  ev.type = "apikey.create";
  ev.outcome = key.ok() ? "success" : "failure";
  ev.principal = "cli";
  ev.resource = "apikey:" + name;
  ev.reason = key.ok() ? "scopes " + scopes : key.status().message();
  if (Status s = AuditCli(ctx, *c, ev); !s.ok()) return Fail(ctx, s);
  if (!key.ok()) return Fail(ctx, key.status());
  // The only time the key is ever shown.
  ctx.out << key->view() << "\n";
  ctx.err << "kura: API key '" << name << "' created; it is shown once and stored only as a "
          << "salted hash\n";
  return kExitOk;
}

int ApiKeyList(CliContext& ctx, const std::string& config_path) {
  Result<vault::VaultConfig> c = vault::LoadVaultConfig(ctx.fs, config_path);
  if (!c.ok()) return Fail(ctx, c.status());
  Result<std::unique_ptr<auth::ApiKeyStore>> store =
      auth::ApiKeyStore::Open(ctx.fs, c->InDataDir(c->api_keys_file), ctx.clock, ctx.random);
  if (!store.ok()) return Fail(ctx, store.status());
  for (const auth::ApiKeyInfo& k : (*store)->List()) {
    ctx.out << k.name << "\t";
    bool first = true;
    for (const std::string& s : k.scopes) {
      ctx.out << (first ? "" : ",") << s;
      first = false;
    }
    ctx.out << "\t" << FormatRfc3339Millis(TimePoint(std::chrono::milliseconds(k.created_ms)))
            << "\n";
  }
  return kExitOk;
}

int ApiKeyRevoke(CliContext& ctx, const std::string& config_path, const std::string& name) {
  Result<vault::VaultConfig> c = vault::LoadVaultConfig(ctx.fs, config_path);
  if (!c.ok()) return Fail(ctx, c.status());
  Result<std::unique_ptr<auth::ApiKeyStore>> store =
      auth::ApiKeyStore::Open(ctx.fs, c->InDataDir(c->api_keys_file), ctx.clock, ctx.random);
  if (!store.ok()) return Fail(ctx, store.status());
  Status s = (*store)->Revoke(name);
  AuditEvent ev;
  ev.type = "apikey.revoke";
  ev.outcome = s.ok() ? "success" : "failure";
  ev.principal = "cli";
  ev.resource = "apikey:" + name;
  ev.reason = s.ok() ? "" : s.message();
  if (Status a = AuditCli(ctx, *c, ev); !a.ok()) return Fail(ctx, a);
  if (!s.ok()) return Fail(ctx, s);
  ctx.err << "kura: API key '" << name << "' revoked\n";
  return kExitOk;
}

int Grant(CliContext& ctx, const std::string& key_file, const std::string& token,
          const vault::GrantMintOptions& opts) {
  Result<std::string> pem = ctx.fs.ReadFile(key_file);
  if (!pem.ok()) return Fail(ctx, pem.status());
  Result<crypto::Ed25519PrivateKey> key = crypto::Ed25519PrivateKey::FromPem(*pem);
  SecureZero(pem->data(), pem->size());
  if (!key.ok()) return Fail(ctx, key.status().WithContext(key_file));
  Result<std::string> jws = vault::MintGrant(*key, token, opts, ctx.clock, ctx.random);
  if (!jws.ok()) return Fail(ctx, jws.status());
  ctx.out << *jws << "\n";
  return kExitOk;
}

int Purge(CliContext& ctx, const std::string& config_path) {
  Result<vault::VaultConfig> c = vault::LoadVaultConfig(ctx.fs, config_path);
  if (!c.ok()) return Fail(ctx, c.status());
  vault::SqliteCardStoreOptions sopts;
  sopts.path = c->InDataDir(c->database_file);
  Result<std::unique_ptr<vault::SqliteCardStore>> store = vault::SqliteCardStore::Open(sopts);
  if (!store.ok()) return Fail(ctx, store.status());
  Result<vault::PurgeReport> report = vault::PurgeExpiredCards(
      **store, ctx.clock, std::chrono::duration_cast<std::chrono::hours>(c->purge_grace));
  AuditEvent ev;
  ev.type = "card.purge";
  ev.outcome = report.ok() ? "success" : "failure";
  ev.principal = "cli";
  ev.resource = "vault";
  if (report.ok()) {
    ev.reason = "deleted " + std::to_string(report->deleted) + " expired cards";
    for (const std::string& t : report->tokens) ev.details.emplace_back("token", t);
  } else {
    ev.reason = report.status().message();
  }
  if (Status a = AuditCli(ctx, *c, ev); !a.ok()) return Fail(ctx, a);
  if (!report.ok()) return Fail(ctx, report.status());
  ctx.out << "purged " << report->deleted << " card(s) expired more than "
          << std::chrono::duration_cast<std::chrono::hours>(c->purge_grace).count() / 24
          << " days ago; " << report->nonces_purged << " expired grant id(s)\n";
  for (const std::string& t : report->tokens) ctx.out << "  deleted " << t << "\n";
  return kExitOk;
}

}  // namespace

void RegisterVaultCommands(CLI::App& app, CliContext& ctx, Action& action) {
  CLI::App* vault = app.add_subcommand("vault", "The card data vault (CDE)");
  vault->require_subcommand(1);

  auto flags = std::make_shared<VaultFlags>();
  CLI::App* serve = vault->add_subcommand("serve", "Run the vault's HTTPS API");
  serve->add_option("--config,-c", flags->config, "Vault config file (TOML)")->required();
  AddKeySourceFlags(*serve, flags->keys);
  serve->callback([&ctx, &action, flags] { action = [&ctx, flags] { return Serve(ctx, *flags); }; });

  CLI::App* apikey = vault->add_subcommand("apikey", "Manage API keys");
  apikey->require_subcommand(1);
  auto ak = std::make_shared<std::array<std::string, 3>>();  // config, name, scopes
  CLI::App* create = apikey->add_subcommand("create", "Create an API key (printed once)");
  create->add_option("--config,-c", (*ak)[0], "Vault config file")->required();
  create->add_option("--name", (*ak)[1], "Key name (principal)")->required();
  create->add_option("--scopes", (*ak)[2],
                     "Comma-separated scopes: cards:write,cards:read,cards:reveal,cards:delete")
      ->required();
  create->callback([&ctx, &action, ak] {
    action = [&ctx, ak] { return ApiKeyCreate(ctx, (*ak)[0], (*ak)[1], (*ak)[2]); };
  });
  CLI::App* list = apikey->add_subcommand("list", "List API keys (names and scopes only)");
  list->add_option("--config,-c", (*ak)[0], "Vault config file")->required();
  list->callback([&ctx, &action, ak] { action = [&ctx, ak] { return ApiKeyList(ctx, (*ak)[0]); }; });
  CLI::App* revoke = apikey->add_subcommand("revoke", "Revoke an API key");
  revoke->add_option("--config,-c", (*ak)[0], "Vault config file")->required();
  revoke->add_option("--name", (*ak)[1], "Key name")->required();
  revoke->callback([&ctx, &action, ak] {
    action = [&ctx, ak] { return ApiKeyRevoke(ctx, (*ak)[0], (*ak)[1]); };
  });

  auto g = std::make_shared<std::pair<std::array<std::string, 2>, vault::GrantMintOptions>>();
  auto ttl_holder = std::make_shared<int64_t>(60);
  CLI::App* grant = vault->add_subcommand("grant", "Mint a reveal grant (compact JWS, EdDSA)");
  grant->add_option("--key", g->first[0], "Issuer's Ed25519 private key (PEM)")->required();
  grant->add_option("--token", g->first[1], "Card token the grant is for")->required();
  grant->add_option("--issuer", g->second.issuer, "iss claim")->capture_default_str();
  grant->add_option("--audience", g->second.audience, "aud claim")->capture_default_str();
  grant->add_option("--ttl", *ttl_holder, "Lifetime in seconds (1..60)")->capture_default_str();
  grant->callback([&ctx, &action, g, ttl_holder] {
    g->second.ttl = std::chrono::seconds(*ttl_holder);
    action = [&ctx, g] { return Grant(ctx, g->first[0], g->first[1], g->second); };
  });

  auto pc = std::make_shared<std::string>();
  CLI::App* purge =
      vault->add_subcommand("purge", "Delete cards past expiry plus the grace period");
  purge->add_option("--config,-c", *pc, "Vault config file")->required();
  purge->callback([&ctx, &action, pc] { action = [&ctx, pc] { return Purge(ctx, *pc); }; });
}

}  // namespace kura::cli
