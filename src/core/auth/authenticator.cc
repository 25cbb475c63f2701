#include "core/auth/authenticator.h"

#include <cctype>

namespace kura::auth {
namespace {

constexpr std::string_view kBearer = "bearer";

bool IsTokenChar(char c) {
  // RFC 6750 b64token characters.
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '+' || c == '/' || c == '=';
}

// The token of "Bearer <token>", or an empty view if malformed.
std::string_view BearerToken(std::string_view header) {
  if (header.size() <= kBearer.size() + 1) return {};
  for (size_t i = 0; i < kBearer.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kBearer[i]) return {};
  }
  std::string_view rest = header.substr(kBearer.size());
  if (rest.front() != ' ') return {};
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty()) return {};
  for (char c : rest) {
    if (!IsTokenChar(c)) return {};
  }
  return rest;
}

}  // namespace

Result<std::unique_ptr<Authenticator>> Authenticator::Create(ApiKeyStore* api_keys,
                                                             std::vector<MtlsMapping> mtls) {
  std::map<std::string, MtlsMapping> by_cn;
  for (auto& m : mtls) {
    if (m.common_name.empty()) return InvalidArgumentError("mTLS mapping without common name");
    if (!IsValidPrincipalName(m.principal_name)) {
      return InvalidArgumentError("mTLS mapping for '" + m.common_name +
                                  "' has an invalid principal name");
    }
    if (m.scopes.empty()) {
      return InvalidArgumentError("mTLS mapping for '" + m.common_name + "' has no scopes");
    }
    for (const auto& scope : m.scopes) {
      if (!IsValidScope(scope)) {
        return InvalidArgumentError("mTLS mapping for '" + m.common_name +
                                    "' has an invalid scope");
      }
    }
    std::string cn = m.common_name;
    if (!by_cn.emplace(std::move(cn), std::move(m)).second) {
      return InvalidArgumentError("duplicate mTLS mapping for one common name");
    }
  }
  return std::unique_ptr<Authenticator>(new Authenticator(api_keys, std::move(by_cn)));
}

Result<Principal> Authenticator::Authenticate(const http::HttpRequest& request) const {
  if (const std::string* header = request.Header("authorization")) {
    const std::string_view token = BearerToken(*header);
    if (token.empty()) return UnauthenticatedError("malformed Authorization header");
    if (api_keys_ == nullptr) return UnauthenticatedError("invalid API key");
    return api_keys_->Authenticate(token);
  }
  if (request.client_cert) {
    auto it = mtls_.find(request.client_cert->common_name);
    if (it == mtls_.end()) return UnauthenticatedError("client certificate not authorized");
    Principal p;
    p.name = it->second.principal_name;
    p.scopes = it->second.scopes;
    p.method = std::string(kMethodMtls);
    return p;
  }
  return UnauthenticatedError("missing credentials");
}

}  // namespace kura::auth
