#include "vault/vault_server.h"

#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include "core/audit/audit_log.h"
#include "core/auth/api_key_store.h"
#include "core/auth/authenticator.h"
#include "core/http/http_server.h"
#include "core/http/router.h"
#include "core/keyring/keyring.h"
#include "vault/card_vault.h"
#include "vault/reveal_grant.h"
#include "vault/sqlite_card_store.h"
#include "vault/vault_service.h"

namespace kura::vault {

// How often buffered audit events are fsynced (docs/audit-events.md).
inline constexpr std::chrono::milliseconds kAuditSyncInterval{1000};

struct VaultServer::Impl {
  explicit Impl(VaultEnv e) : env(e) {}
  VaultEnv env;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<keyring::Keyring> keyring;
  std::unique_ptr<auth::ApiKeyStore> api_keys;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<GrantVerifier> grants;
  std::unique_ptr<CardVault> vault;
  std::unique_ptr<VaultService> service;
  std::unique_ptr<http::Router> router;
  std::unique_ptr<http::HttpServer> server;
  // Declared last, so destroyed first: its destructor completes the writes
  // still queued (stores whose answer the HTTP server stopped waiting for
  // after its grace period), and their completions call into the vault, the
  // service and the server's connections, which must still exist.
  std::unique_ptr<SqliteCardStore> store;
  bool stopped = false;

  // Background fsync of the audit file.
  std::mutex flush_mu;
  std::condition_variable flush_cv;
  bool flush_stop = false;  // GUARDED_BY(flush_mu)
  std::thread flusher;

  void StartFlusher() {
    flusher = std::thread([this] {
      std::unique_lock<std::mutex> lock(flush_mu);
      while (!flush_cv.wait_for(lock, kAuditSyncInterval, [this] { return flush_stop; })) {
        lock.unlock();
        // A failed sync poisons the sink; the next Emit fails and requests are refused.
        audit->Flush().IgnoreError();
        lock.lock();
      }
    });
  }
  void StopFlusher() {
    {
      std::lock_guard<std::mutex> lock(flush_mu);
      flush_stop = true;
    }
    flush_cv.notify_all();
    if (flusher.joinable()) flusher.join();
  }

  void EmitLifecycle(std::string_view type, std::string_view outcome, std::string reason,
                     std::vector<std::pair<std::string, std::string>> details = {}) {
    if (!audit) return;
    AuditEvent ev;
    ev.type = std::string(type);
    ev.outcome = std::string(outcome);
    ev.principal = "system";
    ev.resource = "vault";
    ev.reason = std::move(reason);
    ev.details = std::move(details);
    audit->Emit(ev).IgnoreError();  // start-up errors are reported to the caller anyway
  }
};

namespace {

Result<std::unique_ptr<AuditLog>> OpenAudit(const VaultConfig& c, VaultEnv env) {
  std::vector<std::unique_ptr<AuditSink>> sinks;
  if (!c.audit_file.empty()) {
    ASSIGN_OR_RETURN(auto sink, FileAuditSink::Open(env.fs, c.InDataDir(c.audit_file)));
    sinks.push_back(std::move(sink));
  }
  if (c.audit_stdout) sinks.push_back(std::make_unique<StreamAuditSink>(std::cout));
  return std::make_unique<AuditLog>(env.clock, "vault", c.node_id, std::move(sinks));
}

Result<std::vector<GrantIssuer>> LoadIssuers(const VaultConfig& c, FileSystem& fs) {
  std::vector<GrantIssuer> out;
  for (const GrantIssuerConfig& ic : c.grant_issuers) {
    ASSIGN_OR_RETURN(std::string pem, fs.ReadFile(c.InDataDir(ic.public_key_file)));
    Result<crypto::Ed25519PublicKey> key = crypto::Ed25519PublicKey::FromPem(pem);
    if (!key.ok()) {
      return key.status().WithContext("grant issuer '" + ic.name + "' public key " +
                                      ic.public_key_file);
    }
    out.push_back(GrantIssuer{ic.name, *key});
  }
  return out;
}

}  // namespace

VaultServer::VaultServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

VaultServer::~VaultServer() { Shutdown(); }

uint16_t VaultServer::port() const { return impl_->server ? impl_->server->port() : 0; }

Result<std::unique_ptr<VaultServer>> VaultServer::Start(const VaultConfig& c, keyring::KeyProvider& keys,
                                                        VaultEnv env) {
  auto impl = std::make_unique<Impl>(env);
  RETURN_IF_ERROR(env.fs.CreateDirs(c.data_dir, 0700));
  ASSIGN_OR_RETURN(impl->audit, OpenAudit(c, env));
  impl->EmitLifecycle("config.load", "success", c.source);

  auto fail = [&](const Status& s) -> Status {
    impl->EmitLifecycle("service.start", "failure", s.message());
    return s;
  };

  keyring::KeyringOptions kopts;
  kopts.cryptoperiod = std::chrono::duration_cast<std::chrono::milliseconds>(c.cryptoperiod);
  Result<std::unique_ptr<keyring::Keyring>> kr =
      keyring::Keyring::Open(env.fs, c.InDataDir(c.keyring_file), keys, env.clock, env.random,
                             kopts);
  if (!kr.ok()) return fail(kr.status().WithContext("unlocking the keyring"));
  impl->keyring = std::move(kr).value();
  if (Result<bool> rotated = impl->keyring->RotateIfDue(); !rotated.ok()) {
    return fail(rotated.status());
  } else if (*rotated) {
    impl->EmitLifecycle("key.rotate", "success", "cryptoperiod elapsed");
  }

  SqliteCardStoreOptions sopts;
  sopts.path = c.InDataDir(c.database_file);
  Result<std::unique_ptr<SqliteCardStore>> store = SqliteCardStore::Open(sopts);
  if (!store.ok()) return fail(store.status());
  impl->store = std::move(store).value();

  Result<std::unique_ptr<auth::ApiKeyStore>> keys_store = auth::ApiKeyStore::Open(
      env.fs, c.InDataDir(c.api_keys_file), env.clock, env.random);
  if (!keys_store.ok()) return fail(keys_store.status());
  impl->api_keys = std::move(keys_store).value();
  std::vector<auth::MtlsMapping> mtls;
  for (const MtlsPrincipalConfig& m : c.mtls_principals) {
    mtls.push_back(auth::MtlsMapping{m.common_name, m.principal,
                                     std::set<std::string>(m.scopes.begin(), m.scopes.end())});
  }
  Result<std::unique_ptr<auth::Authenticator>> authenticator =
      auth::Authenticator::Create(impl->api_keys.get(), std::move(mtls));
  if (!authenticator.ok()) return fail(authenticator.status().WithContext("[[auth.mtls]]"));
  impl->authenticator = std::move(authenticator).value();

  Result<std::vector<GrantIssuer>> issuers = LoadIssuers(c, env.fs);
  if (!issuers.ok()) return fail(issuers.status());
  impl->grants = std::make_unique<GrantVerifier>(std::move(issuers).value(), c.grant_audience,
                                                 *impl->store, env.clock);

  CardVaultOptions vopts;
  vopts.fpt_keep_bin = c.fpt_keep_bin;
  vopts.bin_length = c.bin_length;
  vopts.purge_grace = std::chrono::duration_cast<std::chrono::hours>(c.purge_grace);
  Result<std::unique_ptr<CardVault>> vault =
      CardVault::Create(*impl->store, *impl->keyring, env.random, env.clock, vopts);
  if (!vault.ok()) return fail(vault.status());
  impl->vault = std::move(vault).value();
  impl->service = std::make_unique<VaultService>(*impl->vault, *impl->authenticator,
                                                 *impl->grants, *impl->audit);
  impl->router = std::make_unique<http::Router>();
  impl->service->RegisterRoutes(*impl->router);

  http::HttpServerOptions hopts;
  hopts.address = c.listen;
  hopts.port = c.port;
  hopts.tls.cert_chain_file = c.InDataDir(c.tls_cert);
  hopts.tls.private_key_file = c.InDataDir(c.tls_key);
  if (!c.client_ca.empty()) {
    hopts.tls.client_ca_file = c.InDataDir(c.client_ca);
    hopts.tls.require_client_cert = c.require_client_cert;
  }
  hopts.max_body_bytes = c.max_body_bytes;
  hopts.max_header_bytes = c.max_header_bytes;
  hopts.request_timeout = c.request_timeout;
  hopts.max_connections = c.max_connections;
  hopts.io_threads = c.io_threads;
  hopts.handler_threads = c.handler_threads;
  hopts.random = &env.random;
  Result<std::unique_ptr<http::HttpServer>> server =
      http::HttpServer::Create(hopts, impl->router->AsHandler(), impl->router->AsInlinePolicy(),
                               impl->router->AsDeferredHandler(),
                               impl->router->AsDeferredPolicy());
  if (!server.ok()) return fail(server.status());
  impl->server = std::move(server).value();
  if (Status s = impl->server->Start(); !s.ok()) return fail(s);

  impl->StartFlusher();
  impl->EmitLifecycle("service.start", "success",
                      "listening on " + c.listen + ":" + std::to_string(impl->server->port()) +
                          ", active DEK v" + std::to_string(impl->keyring->active_version()));
  return std::unique_ptr<VaultServer>(new VaultServer(std::move(impl)));
}

void VaultServer::Shutdown() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  if (impl_->server) impl_->server->Shutdown();
  impl_->StopFlusher();
  impl_->EmitLifecycle(
      "service.stop", "success", "graceful shutdown",
      {{"pan_redactions", std::to_string(impl_->audit ? impl_->audit->pan_incidents() : 0)}});
  if (impl_->audit) impl_->audit->Flush().IgnoreError();
}

}  // namespace kura::vault
