#include "core/auth/principal.h"

namespace kura::auth {
namespace {

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }

}  // namespace

bool Principal::HasScope(std::string_view scope) const {
  return scopes.find(std::string(scope)) != scopes.end();
}

bool IsValidScope(std::string_view scope) {
  if (scope.empty() || scope.size() > kMaxScopeLength) return false;
  const size_t colon = scope.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == scope.size()) return false;
  for (size_t i = 0; i < scope.size(); ++i) {
    if (i != colon && !IsLower(scope[i])) return false;
  }
  return true;
}

bool IsValidPrincipalName(std::string_view name) {
  if (name.empty() || name.size() > kMaxPrincipalNameLength) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace kura::auth
