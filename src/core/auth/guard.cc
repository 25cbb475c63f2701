#include "core/auth/guard.h"

#include "core/http/json_error.h"

namespace kura::auth {

http::Handler RequireScope(const Authenticator& authenticator, std::string scope,
                           AuthenticatedHandler handler) {
  return [&authenticator, scope = std::move(scope),
          handler = std::move(handler)](const http::HttpRequest& request) {
    Result<Principal> principal = authenticator.Authenticate(request);
    if (!principal.ok()) {
      const Status& st = principal.status();
      if (st.code() != StatusCode::kUnauthenticated) return http::ErrorResponse(st);
      http::HttpResponse response = http::JsonError(401, "unauthenticated", st.message());
      response.headers.emplace_back("WWW-Authenticate", "Bearer");
      return response;
    }
    if (!principal->HasScope(scope)) {
      return http::JsonError(403, "permission_denied", "scope '" + scope + "' required");
    }
    return handler(request, *principal);
  };
}

}  // namespace kura::auth
