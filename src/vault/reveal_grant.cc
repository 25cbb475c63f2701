#include "vault/reveal_grant.h"

#include <boost/json.hpp>

#include <array>

#include "core/crypto/encoding.h"
#include "core/crypto/jws.h"

namespace kura::vault {
namespace {

namespace json = boost::json;

Result<std::string> RequiredString(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return UnauthenticatedError("grant is missing claim '" + std::string(key) + "'");
  if (!v->is_string()) {
    return UnauthenticatedError("grant claim '" + std::string(key) + "' must be a string");
  }
  const json::string& s = v->get_string();
  if (s.empty() || s.size() > kMaxGrantIdBytes) {
    return UnauthenticatedError("grant claim '" + std::string(key) + "' has a bad length");
  }
  return std::string(s.data(), s.size());
}

Result<int64_t> RequiredTime(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return UnauthenticatedError("grant is missing claim '" + std::string(key) + "'");
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() < (1ull << 62)) return static_cast<int64_t>(v->get_uint64());
  return UnauthenticatedError("grant claim '" + std::string(key) + "' must be an integer");
}

bool AudienceMatches(const json::value& aud, const std::string& expected) {
  if (aud.is_string()) return aud.get_string() == expected;
  if (aud.is_array()) {
    for (const json::value& v : aud.get_array()) {
      if (v.is_string() && v.get_string() == expected) return true;
    }
  }
  return false;
}

}  // namespace

GrantVerifier::GrantVerifier(std::vector<GrantIssuer> issuers, std::string audience,
                             CardStore& nonces, const Clock& clock)
    : issuers_(std::move(issuers)), audience_(std::move(audience)), nonces_(nonces),
      clock_(clock) {}

Result<GrantClaims> GrantVerifier::Verify(std::string_view compact) {
  ASSIGN_OR_RETURN(crypto::JwsParts parts, crypto::ParseCompactJws(compact));

  json::error_code ec;
  json::value claims_value = json::parse(parts.payload, ec);
  if (ec || !claims_value.is_object()) {
    return UnauthenticatedError("grant payload is not a JSON object");
  }
  const json::object& claims = claims_value.get_object();

  GrantClaims out;
  ASSIGN_OR_RETURN(out.iss, RequiredString(claims, "iss"));
  const GrantIssuer* issuer = nullptr;
  for (const GrantIssuer& i : issuers_) {
    if (i.name == out.iss) issuer = &i;
  }
  if (issuer == nullptr) return UnauthenticatedError("grant issuer is not trusted");
  if (Status s = crypto::VerifyJws(parts, issuer->public_key); !s.ok()) {
    return UnauthenticatedError("grant signature is invalid");
  }

  const json::value* aud = claims.if_contains("aud");
  if (aud == nullptr || !AudienceMatches(*aud, audience_)) {
    return UnauthenticatedError("grant audience does not match this vault");
  }
  ASSIGN_OR_RETURN(out.sub, RequiredString(claims, "sub"));
  ASSIGN_OR_RETURN(out.jti, RequiredString(claims, "jti"));
  ASSIGN_OR_RETURN(out.iat, RequiredTime(claims, "iat"));
  ASSIGN_OR_RETURN(out.exp, RequiredTime(claims, "exp"));

  const int64_t now = clock_.NowUnixSeconds();
  const int64_t skew = kGrantClockSkew.count();
  if (out.exp <= out.iat) return UnauthenticatedError("grant expires before it was issued");
  if (out.exp - out.iat > kMaxGrantLifetime.count()) {
    return UnauthenticatedError("grant lifetime exceeds " +
                                std::to_string(kMaxGrantLifetime.count()) + " s");
  }
  if (out.iat > now + skew) return UnauthenticatedError("grant is issued in the future");
  if (now >= out.exp + skew) return UnauthenticatedError("grant expired");

  // The replay cache keys on issuer and jti; entries live until the grant's
  // own expiry (plus skew), after which the grant is refused as expired anyway.
  Status consumed = nonces_.ConsumeNonce(out.iss + "\x1f" + out.jti, (out.exp + skew) * 1000);
  if (consumed.code() == StatusCode::kAlreadyExists) {
    return UnauthenticatedError("grant already used");
  }
  RETURN_IF_ERROR(consumed);
  return out;
}

Result<std::string> MintGrant(const crypto::Ed25519PrivateKey& key, const std::string& token,
                              const GrantMintOptions& options, const Clock& clock,
                              Random& random) {
  if (options.ttl.count() <= 0 || options.ttl > kMaxGrantLifetime) {
    return InvalidArgumentError("grant ttl must be 1.." +
                                std::to_string(kMaxGrantLifetime.count()) + " seconds");
  }
  std::array<uint8_t, 16> jti{};
  RETURN_IF_ERROR(random.Fill(jti));
  const int64_t now = clock.NowUnixSeconds();
  json::object claims;
  claims["iss"] = options.issuer;
  claims["aud"] = options.audience;
  claims["sub"] = token;
  claims["iat"] = now;
  claims["exp"] = now + options.ttl.count();
  claims["jti"] = crypto::Base64UrlEncode(jti);
  return crypto::SignCompactJws(json::serialize(claims), key);
}

}  // namespace kura::vault
