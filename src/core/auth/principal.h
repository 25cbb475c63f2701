// Principal: who is calling a Kura service, as established by the
// Authenticator, and what it may do (scopes such as "cards:write").
//
// Thread safety: a plain value.
#ifndef KURA_CORE_AUTH_PRINCIPAL_H_
#define KURA_CORE_AUTH_PRINCIPAL_H_

#include <set>
#include <string>
#include <string_view>

namespace kura::auth {

// How a principal proved its identity.
inline constexpr std::string_view kMethodApiKey = "api_key";
inline constexpr std::string_view kMethodMtls = "mtls";

struct Principal {
  // API key name or the mapped mTLS principal name. Safe to log.
  std::string name;
  std::set<std::string> scopes;
  // kMethodApiKey or kMethodMtls.
  std::string method;

  // True iff `scope` is granted (exact match; there are no wildcards).
  bool HasScope(std::string_view scope) const;
};

// Scopes look like "cards:write": [a-z]+ ":" [a-z]+, at most kMaxScopeLength.
inline constexpr size_t kMaxScopeLength = 64;
bool IsValidScope(std::string_view scope);

// Principal and API key names: [A-Za-z0-9_.-]{1,kMaxPrincipalNameLength}.
inline constexpr size_t kMaxPrincipalNameLength = 64;
bool IsValidPrincipalName(std::string_view name);

}  // namespace kura::auth

#endif  // KURA_CORE_AUTH_PRINCIPAL_H_
