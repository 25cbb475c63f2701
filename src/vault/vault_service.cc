#include "vault/vault_service.h"

#include "core/http/json_error.h"
#include "vault/vault_api.h"

namespace kura::vault {
namespace {

using http::HttpRequest;
using http::HttpResponse;

// Content-Type check for requests that carry a JSON body.
bool HasJsonBody(const HttpRequest& req) {
  const std::string* ct = req.Header("content-type");
  return ct != nullptr && IsJsonContentType(*ct);
}

HttpResponse UnsupportedMediaType() {
  return http::JsonError(415, "unsupported_media_type",
                         "Content-Type must be application/json");
}

HttpResponse BadRequest(const Status& s, std::string_view code) {
  return http::JsonError(400, code, s.message());
}

const std::string& TokenParam(const HttpRequest& req) {
  static const std::string kEmpty;
  auto it = req.path_params.find("token");
  return it == req.path_params.end() ? kEmpty : it->second;
}

// The error response for a failed vault operation on a card.
HttpResponse CardError(const Status& s) {
  if (s.code() == StatusCode::kInvalidArgument) return BadRequest(s, "invalid_request");
  if (s.code() == StatusCode::kNotFound) return http::JsonError(404, "not_found", "no such card");
  return http::ErrorResponse(s);
}

}  // namespace

VaultService::VaultService(CardVault& vault, auth::Authenticator& authenticator,
                           GrantVerifier& grants, AuditLog& audit)
    : vault_(vault), authenticator_(authenticator), grants_(grants), audit_(audit) {}

void VaultService::RegisterRoutes(http::Router& router) {
  using http::RouteMode;
  // Inline (on the HTTP server's I/O threads): routes that only read — one
  // SQLite read on a pooled read connection, an AES-GCM open, one audit line
  // appended with write(2) — and never wait for the group commit. Routes
  // that write the database (store, delete, and grant reveals, which record
  // the grant's jti) stay on the handler pool.
  router.Add("GET", "/healthz", [this](const HttpRequest& r) { return Health(r); },
             RouteMode::kInline);
  // Deferred: the I/O thread validates and seals the card and queues it;
  // the group commit's completion answers (no thread waits for the fsync).
  router.AddDeferred("POST", "/v1/cards", [this](const HttpRequest& r, http::Responder responder) {
    StoreCard(r, std::move(responder));
  });
  router.Add("GET", "/v1/cards/{token}", [this](const HttpRequest& r) { return GetCard(r); },
             RouteMode::kInline);
  router.Add("DELETE", "/v1/cards/{token}",
             [this](const HttpRequest& r) { return DeleteCard(r); });
  router.Add("POST", "/v1/cards/{token}/reveal",
             [this](const HttpRequest& r) { return RevealCard(r); }, RouteMode::kInline);
  router.Add("POST", "/v1/reveal", [this](const HttpRequest& r) { return RevealWithGrant(r); });
}

HttpResponse VaultService::Audited(HttpResponse response, std::string_view event,
                                   std::string_view principal, const HttpRequest& req,
                                   std::string_view resource, std::string_view reason) {
  return Audited(std::move(response), event, principal, Origin{req.peer, req.request_id},
                 resource, reason);
}

HttpResponse VaultService::Audited(HttpResponse response, std::string_view event,
                                   std::string_view principal, Origin origin,
                                   std::string_view resource, std::string_view reason) {
  AuditEvent ev;
  ev.type = std::string(event);
  ev.outcome = response.status < 400 ? "success" : "failure";
  ev.principal = std::string(principal);
  ev.origin = std::string(origin.peer);
  ev.resource = std::string(resource);
  ev.reason = std::string(reason);
  ev.details.emplace_back("request_id", std::string(origin.request_id));
  ev.details.emplace_back("http_status", std::to_string(response.status));
  if (Status s = audit_.Emit(ev); !s.ok()) {
    return http::JsonError(503, "unavailable", "audit trail unavailable; request refused");
  }
  return response;
}

Result<auth::Principal> VaultService::Authorize(const HttpRequest& req, std::string_view scope,
                                                std::string_view event,
                                                std::string_view resource,
                                                HttpResponse* denied) {
  Result<auth::Principal> p = authenticator_.Authenticate(req);
  if (!p.ok()) {
    *denied = Audited(http::JsonError(401, "unauthenticated", p.status().message()),
                      "auth.failure", "", req, resource,
                      std::string(event) + ": " + p.status().message());
    denied->headers.emplace_back("WWW-Authenticate", "Bearer");
    return p.status();
  }
  if (!p->HasScope(scope)) {
    const std::string msg = "principal lacks scope " + std::string(scope);
    *denied = Audited(http::JsonError(403, "permission_denied", msg), event, p->name, req,
                      resource, msg);
    return PermissionDeniedError(msg);
  }
  return p;
}

HttpResponse VaultService::Health(const HttpRequest&) {
  return HttpResponse::Json(200, R"({"status":"ok"})");
}

void VaultService::StoreCard(const HttpRequest& req, http::Responder responder) {
  static constexpr std::string_view kEvent = "card.store";
  HttpResponse denied;
  Result<auth::Principal> p = Authorize(req, kScopeWrite, kEvent, "", &denied);
  if (!p.ok()) return responder.Send(std::move(denied));
  if (!HasJsonBody(req)) {
    return responder.Send(
        Audited(UnsupportedMediaType(), kEvent, p->name, req, "", "unsupported media type"));
  }
  Result<CardInput> input = ParseStoreRequest(req.body);
  if (!input.ok()) {
    return responder.Send(Audited(BadRequest(input.status(), "invalid_request"), kEvent, p->name,
                                  req, "", input.status().message()));
  }
  // The completion runs on the store's completion thread: it only hands the
  // outcome to the connection's I/O thread, which audits and renders it.
  vault_.StoreAsync(*input, [this, responder, principal = p->name, peer = req.peer,
                             request_id = req.request_id](Result<StoreOutcome> out) {
    responder.Send([this, out = std::move(out), principal, peer, request_id] {
      const Origin origin{peer, request_id};
      if (!out.ok()) {
        const bool bad_card = out.status().code() == StatusCode::kInvalidArgument;
        return Audited(bad_card ? BadRequest(out.status(), "invalid_card") : CardError(out.status()),
                       kEvent, principal, origin, "", out.status().message());
      }
      return Audited(HttpResponse::Json(201, RenderStoreResponse(*out)), kEvent, principal, origin,
                     out->card.token, out->duplicate ? "duplicate" : "");
    });
  });
}

HttpResponse VaultService::CardOperation(
    const HttpRequest& req, std::string_view scope, std::string_view event,
    const std::function<Result<HttpResponse>(const std::string& token)>& op) {
  const std::string& token = TokenParam(req);
  HttpResponse denied;
  Result<auth::Principal> p = Authorize(req, scope, event, token, &denied);
  if (!p.ok()) return denied;
  Result<HttpResponse> r = op(token);
  if (!r.ok()) {
    return Audited(CardError(r.status()), event, p->name, req, token, r.status().message());
  }
  return Audited(std::move(r).value(), event, p->name, req, token, "");
}

HttpResponse VaultService::GetCard(const HttpRequest& req) {
  return CardOperation(req, kScopeRead, "card.read",
                       [this](const std::string& token) -> Result<HttpResponse> {
                         ASSIGN_OR_RETURN(CardView card, vault_.Get(token));
                         return HttpResponse::Json(200, RenderCard(card));
                       });
}

HttpResponse VaultService::RevealCard(const HttpRequest& req) {
  return CardOperation(req, kScopeReveal, "card.reveal",
                       [this, &req](const std::string& token) -> Result<HttpResponse> {
                         RETURN_IF_ERROR(ParseEmptyRequest(req.body));
                         ASSIGN_OR_RETURN(RevealedCard card, vault_.Reveal(token));
                         return HttpResponse::Json(200, RenderReveal(card));
                       });
}

HttpResponse VaultService::DeleteCard(const HttpRequest& req) {
  return CardOperation(req, kScopeDelete, "card.delete",
                       [this](const std::string& token) -> Result<HttpResponse> {
                         RETURN_IF_ERROR(vault_.Delete(token));
                         return HttpResponse::NoContent();
                       });
}

HttpResponse VaultService::RevealWithGrant(const HttpRequest& req) {
  constexpr std::string_view kEvent = "grant.reveal";
  if (!HasJsonBody(req)) {
    return Audited(UnsupportedMediaType(), kEvent, "", req, "", "unsupported media type");
  }
  Result<GrantRevealRequest> body = ParseGrantRevealRequest(req.body);
  if (!body.ok()) {
    return Audited(BadRequest(body.status(), "invalid_request"), kEvent, "", req, "",
                   body.status().message());
  }
  Result<GrantClaims> claims = grants_.Verify(body->grant);
  if (!claims.ok()) {
    const int status = claims.status().code() == StatusCode::kInvalidArgument ? 400 : 401;
    return Audited(http::JsonError(status, status == 400 ? "invalid_request" : "invalid_grant",
                                   claims.status().message()),
                   kEvent, "", req, body->token, claims.status().message());
  }
  const std::string principal = "grant:" + claims->iss;
  if (claims->sub != body->token) {
    return Audited(http::JsonError(403, "permission_denied", "grant is for another card"), kEvent,
                   principal, req, body->token, "grant subject does not match token");
  }
  Result<RevealedCard> card = vault_.Reveal(body->token);
  if (!card.ok()) {
    return Audited(CardError(card.status()), kEvent, principal, req, body->token,
                   card.status().message());
  }
  return Audited(HttpResponse::Json(200, RenderReveal(*card)), kEvent, principal, req,
                 body->token, "jti " + claims->jti);
}

}  // namespace kura::vault
