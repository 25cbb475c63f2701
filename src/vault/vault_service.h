// VaultService: the vault's HTTPS API (docs/vault-api.yaml) on top of
// CardVault — authentication, scopes, request validation, and one audit
// event for every decision (PCI DSS 10.2.1/10.2.2).
//
// Routes and the scope each needs:
//   GET    /healthz                    none
//   POST   /v1/cards                   cards:write
//   GET    /v1/cards/{token}           cards:read
//   POST   /v1/cards/{token}/reveal    cards:reveal
//   DELETE /v1/cards/{token}           cards:delete
//   POST   /v1/reveal                  a reveal grant (no API key)
//
// Thread safety: handlers are safe to run concurrently.
#ifndef KURA_VAULT_VAULT_SERVICE_H_
#define KURA_VAULT_VAULT_SERVICE_H_

#include <functional>
#include <string>

#include "core/audit/audit_log.h"
#include "core/auth/authenticator.h"
#include "core/http/router.h"
#include "vault/card_vault.h"
#include "vault/reveal_grant.h"

namespace kura::vault {

inline constexpr std::string_view kScopeWrite = "cards:write";
inline constexpr std::string_view kScopeRead = "cards:read";
inline constexpr std::string_view kScopeReveal = "cards:reveal";
inline constexpr std::string_view kScopeDelete = "cards:delete";

class VaultService {
 public:
  // All references must outlive the service.
  VaultService(CardVault& vault, auth::Authenticator& authenticator, GrantVerifier& grants,
               AuditLog& audit);
  VaultService(const VaultService&) = delete;
  VaultService& operator=(const VaultService&) = delete;

  // Adds the routes above to `router`.
  void RegisterRoutes(http::Router& router);

  http::HttpResponse Health(const http::HttpRequest& req);
  // Deferred (see http::DeferredHandler): checks and seals the card on the
  // calling I/O thread, queues it for the group commit and returns; the
  // commit's completion audits and answers through `responder`.
  void StoreCard(const http::HttpRequest& req, http::Responder responder);
  http::HttpResponse GetCard(const http::HttpRequest& req);
  http::HttpResponse RevealCard(const http::HttpRequest& req);
  http::HttpResponse DeleteCard(const http::HttpRequest& req);
  http::HttpResponse RevealWithGrant(const http::HttpRequest& req);

 private:
  // Authenticates and checks `scope`; on failure returns the 401/403
  // response (already audited) in `denied`.
  Result<auth::Principal> Authorize(const http::HttpRequest& req, std::string_view scope,
                                    std::string_view event, std::string_view resource,
                                    http::HttpResponse* denied);
  // The common shape of the per-card routes: authorize `scope` for the
  // {token} path parameter, run `op`, audit the outcome as `event`.
  http::HttpResponse CardOperation(
      const http::HttpRequest& req, std::string_view scope, std::string_view event,
      const std::function<Result<http::HttpResponse>(const std::string& token)>& op);
  // Where an audited request came from (HttpRequest::peer, request_id).
  struct Origin {
    std::string_view peer;
    std::string_view request_id;
  };
  // Emits one audit event; an audit write failure turns the response into a
  // 503 (fail closed: no card access without an audit trail).
  http::HttpResponse Audited(http::HttpResponse response, std::string_view event,
                             std::string_view principal, const http::HttpRequest& req,
                             std::string_view resource, std::string_view reason);
  http::HttpResponse Audited(http::HttpResponse response, std::string_view event,
                             std::string_view principal, Origin origin,
                             std::string_view resource, std::string_view reason);

  CardVault& vault_;
  auth::Authenticator& authenticator_;
  GrantVerifier& grants_;
  AuditLog& audit_;
};

}  // namespace kura::vault

#endif  // KURA_VAULT_VAULT_SERVICE_H_
