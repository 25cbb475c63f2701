#include "bridge/request.h"

#include <array>
#include <boost/json.hpp>

#include "core/crypto/encoding.h"
#include "core/crypto/jws.h"

namespace kura::bridge {
namespace json = boost::json;

bool IsValidRequestId(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsValidIdentifier(std::string_view s) {
  if (s.empty() || s.size() > kMaxIdentifierBytes) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<std::string> NewRequestId(Random& random) {
  std::array<uint8_t, 16> bytes{};
  RETURN_IF_ERROR(random.Fill(bytes));
  return crypto::HexEncode(bytes);
}

namespace {

Status CheckShape(const BridgeRequest& r) {
  if (!IsValidRequestId(r.id)) return InvalidArgumentError("request: bad id");
  if (!IsValidIdentifier(r.job)) return InvalidArgumentError("request: bad job name");
  if (!IsValidIdentifier(r.submitter)) return InvalidArgumentError("request: bad submitter id");
  if (!IsValidIdentifier(r.idempotency_key)) {
    return InvalidArgumentError("request: bad idempotency key");
  }
  if (r.params.size() > kMaxParams) return InvalidArgumentError("request: too many params");
  for (const auto& [k, v] : r.params) {
    if (!IsValidIdentifier(k) || k.size() > kMaxParamNameBytes) {
      return InvalidArgumentError("request: bad param name");
    }
    if (v.size() > kMaxParamValueBytes) return InvalidArgumentError("request: param too long");
  }
  if (r.created_ms <= 0 || r.expires_ms <= r.created_ms) {
    return InvalidArgumentError("request: bad created/expires times");
  }
  return OkStatus();
}

Result<std::string> GetString(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) {
    return InvalidArgumentError("request: '" + std::string(key) + "' must be a string");
  }
  return std::string(v->get_string());
}

Result<int64_t> GetInt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_int64()) {
    return InvalidArgumentError("request: '" + std::string(key) + "' must be an integer");
  }
  return v->get_int64();
}

}  // namespace

Result<std::string> RequestPayloadJson(const BridgeRequest& r) {
  RETURN_IF_ERROR(CheckShape(r));
  json::object params;
  for (const auto& [k, v] : r.params) params[k] = v;
  json::object o;
  o["v"] = kRequestFormatVersion;
  o["id"] = r.id;
  o["job"] = r.job;
  o["params"] = std::move(params);
  o["submitter"] = r.submitter;
  o["created_ms"] = r.created_ms;
  o["expires_ms"] = r.expires_ms;
  o["idempotency_key"] = r.idempotency_key;
  return json::serialize(o);
}

Result<std::string> SignRequest(const BridgeRequest& request,
                                const crypto::Ed25519PrivateKey& key) {
  ASSIGN_OR_RETURN(std::string payload, RequestPayloadJson(request));
  return crypto::SignCompactJws(payload, key, request.submitter);
}

Result<ParsedRequest> ParseRequest(std::string_view file_bytes) {
  if (file_bytes.size() > kMaxRequestBytes) {
    return InvalidArgumentError(std::string(kRequestTooLarge));
  }
  // Tolerate one trailing newline (files written by hand or by `echo`).
  if (!file_bytes.empty() && file_bytes.back() == '\n') file_bytes.remove_suffix(1);
  Result<crypto::JwsParts> parts = crypto::ParseCompactJws(file_bytes);
  if (!parts.ok()) return InvalidArgumentError("request: not a valid signed request");
  boost::system::error_code ec;
  json::value v = json::parse(parts->payload, ec);
  if (ec || !v.is_object()) return InvalidArgumentError("request: payload is not a JSON object");
  const json::object& o = v.get_object();
  ParsedRequest out;
  ASSIGN_OR_RETURN(int64_t version, GetInt(o, "v"));
  if (version != kRequestFormatVersion) return InvalidArgumentError("request: unknown version");
  BridgeRequest& r = out.request;
  ASSIGN_OR_RETURN(r.id, GetString(o, "id"));
  ASSIGN_OR_RETURN(r.job, GetString(o, "job"));
  ASSIGN_OR_RETURN(r.submitter, GetString(o, "submitter"));
  ASSIGN_OR_RETURN(r.idempotency_key, GetString(o, "idempotency_key"));
  ASSIGN_OR_RETURN(r.created_ms, GetInt(o, "created_ms"));
  ASSIGN_OR_RETURN(r.expires_ms, GetInt(o, "expires_ms"));
  const json::value* params = o.if_contains("params");
  if (params == nullptr || !params->is_object()) {
    return InvalidArgumentError("request: 'params' must be an object");
  }
  if (params->get_object().size() > kMaxParams) {
    return InvalidArgumentError("request: too many params");
  }
  for (const auto& kv : params->get_object()) {
    if (!kv.value().is_string()) return InvalidArgumentError("request: params must be strings");
    auto [it, inserted] =
        r.params.emplace(std::string(kv.key()), std::string(kv.value().get_string()));
    if (!inserted) return InvalidArgumentError("request: duplicate param");
  }
  if (o.size() != 8) return InvalidArgumentError("request: unexpected members");
  RETURN_IF_ERROR(CheckShape(r));
  if (parts->kid != r.submitter)
    return InvalidArgumentError("request: kid does not match submitter");
  out.signing_input = std::move(parts->signing_input);
  out.signature = std::move(parts->signature);
  return out;
}

Status VerifyParsedRequest(const ParsedRequest& parsed, const crypto::Ed25519PublicKey& key) {
  return key.Verify(parsed.signing_input, parsed.signature);
}

}  // namespace kura::bridge
