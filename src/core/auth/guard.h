// RequireScope: wraps a route handler so that it only runs for an
// authenticated principal holding a given scope.
//
//   router.Add("POST", "/v1/cards/{token}/reveal",
//              RequireScope(authenticator, "cards:reveal",
//                           [&](const HttpRequest& req, const Principal& who) {...}));
//
// Responses produced by the guard:
//   authentication fails with kUnauthenticated -> 401 JSON error
//     "unauthenticated" with the Authenticator's message and
//     "WWW-Authenticate: Bearer";
//   authentication fails otherwise (key store unreadable) -> ErrorResponse
//     (500 "internal error", fail closed);
//   principal lacks the scope -> 403 "permission_denied",
//     "scope '<scope>' required".
//
// Thread safety: the returned Handler is safe to call concurrently. The
// Authenticator is not owned and must outlive it.
#ifndef KURA_CORE_AUTH_GUARD_H_
#define KURA_CORE_AUTH_GUARD_H_

#include <functional>
#include <string>

#include "core/auth/authenticator.h"
#include "core/auth/principal.h"
#include "core/http/http_types.h"

namespace kura::auth {

using AuthenticatedHandler =
    std::function<http::HttpResponse(const http::HttpRequest&, const Principal&)>;

http::Handler RequireScope(const Authenticator& authenticator, std::string scope,
                           AuthenticatedHandler handler);

}  // namespace kura::auth

#endif  // KURA_CORE_AUTH_GUARD_H_
