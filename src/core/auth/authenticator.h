// Authenticator: turns an HTTPS request into a Principal, for every Kura
// service.
//
// Order of checks:
//   1. An "Authorization" header must be "Bearer <api key>" (scheme
//      case-insensitive) and the key is checked by the ApiKeyStore. A
//      present but malformed header is an error even if a client
//      certificate is also present: ambiguous credentials are refused.
//   2. Otherwise a verified client certificate (HttpRequest::client_cert,
//      set by the server only after chain verification) whose commonName is
//      in the mTLS mappings yields that mapping's principal.
//   3. Otherwise: no principal.
// Scope checks are left to callers (Principal::HasScope), since each route
// needs different scopes.
//
// Error messages never contain the presented key.
//
// Thread safety: Authenticate() may be called concurrently (the ApiKeyStore
// is thread-safe and the mappings are immutable).
#ifndef KURA_CORE_AUTH_AUTHENTICATOR_H_
#define KURA_CORE_AUTH_AUTHENTICATOR_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/auth/api_key_store.h"
#include "core/auth/principal.h"
#include "core/base/status.h"
#include "core/http/http_types.h"

namespace kura::auth {

// Grants `scopes` to clients presenting a verified certificate with this
// commonName, under the name `principal_name`.
struct MtlsMapping {
  std::string common_name;
  std::string principal_name;
  std::set<std::string> scopes;
};

class Authenticator {
 public:
  // `api_keys` may be null (API keys are then refused); it is not owned and
  // must outlive the Authenticator.
  // Errors: kInvalidArgument for a mapping with an empty common name, an
  // invalid principal name (see IsValidPrincipalName), no or invalid
  // scopes, or a duplicate common name.
  static Result<std::unique_ptr<Authenticator>> Create(ApiKeyStore* api_keys,
                                                       std::vector<MtlsMapping> mtls);

  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // Errors (all kUnauthenticated unless noted):
  //   "malformed Authorization header"  - not "Bearer <token>";
  //   "invalid API key"                 - unknown, malformed or wrong key,
  //                                       or no ApiKeyStore configured;
  //   "client certificate not authorized" - verified cert, CN not mapped;
  //   "missing credentials"             - neither header nor certificate;
  //   kDataLoss / FileSystem errors from the ApiKeyStore reload (fail
  //   closed).
  Result<Principal> Authenticate(const http::HttpRequest& request) const;

 private:
  Authenticator(ApiKeyStore* api_keys, std::map<std::string, MtlsMapping> mtls)
      : api_keys_(api_keys), mtls_(std::move(mtls)) {}

  ApiKeyStore* const api_keys_;
  const std::map<std::string, MtlsMapping> mtls_;  // by common name
};

}  // namespace kura::auth

#endif  // KURA_CORE_AUTH_AUTHENTICATOR_H_
