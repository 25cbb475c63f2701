// kura keys init | rotate | retire | signing-key
#include <memory>

#include "cli/cli_audit.h"
#include "cli/cli_context.h"
#include "cli/key_source.h"
#include "core/audit/audit_log.h"
#include "core/crypto/ed25519.h"
#include "core/keyring/init_keys.h"
#include "core/keyring/keyring.h"
#include "vault/vault_config.h"

namespace kura::cli {
namespace {

struct KeysFlags {
  std::string config;
  KeySourceFlags keys;
  std::string out_dir;
  int custodians = 3;
  int threshold = 2;
  int version = 0;
  std::string private_key;
  std::string public_key;
};

Status AuditKeyEvent(CliContext& ctx, const vault::VaultConfig& c, std::string type,
                     bool ok, std::string reason) {
  AuditEvent ev;
  ev.type = std::move(type);
  ev.outcome = ok ? "success" : "failure";
  ev.principal = "cli";
  ev.resource = "keyring";
  ev.reason = std::move(reason);
  return AppendCliAuditEvent(ctx, c, "keys-cli", ev);
}

int Init(CliContext& ctx, const KeysFlags& f) {
  Result<vault::VaultConfig> c = vault::LoadVaultConfig(ctx.fs, f.config);
  if (!c.ok()) return Fail(ctx, c.status());
  if (Status s = ctx.fs.CreateDirs(c->data_dir, 0700); !s.ok()) return Fail(ctx, s);
  Result<keyring::InitResult> r =
      keyring::InitKeys(ctx.fs, c->InDataDir(c->keyring_file), f.out_dir, f.custodians,
                        f.threshold, ctx.clock, ctx.random);
  Status a = AuditKeyEvent(ctx, *c, "key.init", r.ok(),
                           r.ok() ? "key " + r->key_id + ", " + std::to_string(f.threshold) +
                                        " of " + std::to_string(f.custodians) + " custodians"
                                  : r.status().message());
  if (!r.ok()) return Fail(ctx, r.status());
  if (!a.ok()) return Fail(ctx, a);
  ctx.out << "master key " << r->key_id << " (KCV " << r->kek_kcv << ") split into "
          << f.custodians << " components, any " << f.threshold << " of which unlock the vault:\n";
  for (const std::string& p : r->component_paths) ctx.out << "  " << p << "\n";
  ctx.out << "Hand each file to its custodian and remove it from this machine.\n";
  return kExitOk;
}

Result<std::unique_ptr<keyring::Keyring>> OpenKeyring(CliContext& ctx, const vault::VaultConfig& c,
                                                      const KeySourceFlags& ks) {
  ASSIGN_OR_RETURN(std::unique_ptr<keyring::KeyProvider> provider, MakeKeyProvider(ctx, c, ks));
  keyring::KeyringOptions opts;
  opts.cryptoperiod = std::chrono::duration_cast<std::chrono::milliseconds>(c.cryptoperiod);
  return keyring::Keyring::Open(ctx.fs, c.InDataDir(c.keyring_file), *provider, ctx.clock,
                                ctx.random, opts);
}

int Rotate(CliContext& ctx, const KeysFlags& f) {
  Result<vault::VaultConfig> c = vault::LoadVaultConfig(ctx.fs, f.config);
  if (!c.ok()) return Fail(ctx, c.status());
  Result<std::unique_ptr<keyring::Keyring>> kr = OpenKeyring(ctx, *c, f.keys);
  if (!kr.ok()) return Fail(ctx, kr.status());
  Result<int> v = (*kr)->Rotate();
  Status a = AuditKeyEvent(ctx, *c, "key.rotate", v.ok(),
                           v.ok() ? "new active DEK v" + std::to_string(*v) : v.status().message());
  if (!v.ok()) return Fail(ctx, v.status());
  if (!a.ok()) return Fail(ctx, a);
  ctx.out << "data key v" << *v << " is now active; older versions stay readable until "
          << "re-encryption retires them\n";
  for (const keyring::DekInfo& d : (*kr)->List()) {
    ctx.out << "  v" << d.version << "  " << keyring::DekStateName(d.state) << "  KCV " << d.kcv
            << "\n";
  }
  return kExitOk;
}

int List(CliContext& ctx, const KeysFlags& f) {
  Result<vault::VaultConfig> c = vault::LoadVaultConfig(ctx.fs, f.config);
  if (!c.ok()) return Fail(ctx, c.status());
  Result<std::unique_ptr<keyring::Keyring>> kr = OpenKeyring(ctx, *c, f.keys);
  if (!kr.ok()) return Fail(ctx, kr.status());
  ctx.out << "master key " << (*kr)->key_id() << " (KCV " << (*kr)->kek_kcv() << ")\n";
  for (const keyring::DekInfo& d : (*kr)->List()) {
    ctx.out << "  v" << d.version << "  " << keyring::DekStateName(d.state) << "  created "
            << FormatRfc3339Millis(d.created)
            << "  KCV " << d.kcv << "\n";
  }
  return kExitOk;
}

int SigningKey(CliContext& ctx, const KeysFlags& f) {
  Result<crypto::Ed25519PrivateKey> key = crypto::Ed25519PrivateKey::Generate();
  if (!key.ok()) return Fail(ctx, key.status());
  SecretBytes pem = key->ToPem();
  if (Status s = ctx.fs.CreateFileExclusive(f.private_key, pem.view(), 0600); !s.ok()) {
    return Fail(ctx, s);
  }
  if (Status s = ctx.fs.WriteFileAtomic(f.public_key, key->PublicKey().ToPem(), 0644); !s.ok()) {
    return Fail(ctx, s);
  }
  ctx.out << "Ed25519 key written: private " << f.private_key << " (0600), public "
          << f.public_key << "\n";
  return kExitOk;
}

}  // namespace

void RegisterKeysCommands(CLI::App& app, CliContext& ctx, Action& action) {
  CLI::App* keys = app.add_subcommand("keys", "Key custodians, master key and data keys");
  keys->require_subcommand(1);
  auto f = std::make_shared<KeysFlags>();

  CLI::App* init = keys->add_subcommand(
      "init", "Generate the master key and split it into custodian components");
  init->add_option("--config,-c", f->config, "Vault config file")->required();
  init->add_option("--custodians", f->custodians, "Number of custodians (N)")
      ->capture_default_str();
  init->add_option("--threshold", f->threshold, "Components needed to unlock (K >= 2)")
      ->capture_default_str();
  init->add_option("--out", f->out_dir, "Directory for the component files")->required();
  init->callback([&ctx, &action, f] { action = [&ctx, f] { return Init(ctx, *f); }; });

  CLI::App* rotate = keys->add_subcommand("rotate", "Start a new data key (DEK) version");
  rotate->add_option("--config,-c", f->config, "Vault config file")->required();
  AddKeySourceFlags(*rotate, f->keys);
  rotate->callback([&ctx, &action, f] { action = [&ctx, f] { return Rotate(ctx, *f); }; });

  CLI::App* list = keys->add_subcommand("list", "Show the master key id and data key versions");
  list->add_option("--config,-c", f->config, "Vault config file")->required();
  AddKeySourceFlags(*list, f->keys);
  list->callback([&ctx, &action, f] { action = [&ctx, f] { return List(ctx, *f); }; });

  CLI::App* sk = keys->add_subcommand(
      "signing-key", "Generate an Ed25519 key pair (e.g. a reveal-grant issuer key)");
  sk->add_option("--private", f->private_key, "Private key output (PEM, 0600)")->required();
  sk->add_option("--public", f->public_key, "Public key output (PEM)")->required();
  sk->callback([&ctx, &action, f] { action = [&ctx, f] { return SigningKey(ctx, *f); }; });
}

}  // namespace kura::cli
