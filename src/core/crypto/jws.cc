#include "core/crypto/jws.h"

#include <boost/json.hpp>
#include <exception>

#include "core/crypto/encoding.h"

namespace kura::crypto {
namespace {

constexpr std::string_view kAlg = "EdDSA";
constexpr std::string_view kTyp = "JWT";

// Checks the protected header. Every rule here runs before any signature
// work so an attacker-chosen algorithm can never reach a verifier.
Status CheckHeader(std::string_view header_json, std::string& kid) {
  boost::system::error_code ec;
  boost::json::value value;
  try {
    value = boost::json::parse(header_json, ec);
  } catch (const std::exception&) {
    // parse() with an error_code only throws on allocation failure.
    return InvalidArgumentError("jws: header could not be parsed");
  }
  if (ec) return InvalidArgumentError("jws: header is not valid JSON");
  const boost::json::object* header = value.if_object();
  if (header == nullptr) return InvalidArgumentError("jws: header is not a JSON object");

  const boost::json::value* alg = header->if_contains("alg");
  if (alg == nullptr) return InvalidArgumentError("jws: header has no alg");
  const boost::json::string* alg_str = alg->if_string();
  // Do not echo the attacker's alg value: it is unbounded and unescaped.
  if (alg_str == nullptr || std::string_view(*alg_str) != kAlg) {
    return InvalidArgumentError("jws: unsupported alg (only EdDSA is accepted)");
  }
  // We understand no extensions, so RFC 7515 4.1.11 requires rejecting any
  // token that marks one as critical.
  if (header->contains("crit")) return InvalidArgumentError("jws: crit header is not supported");
  if (const boost::json::value* typ = header->if_contains("typ")) {
    const boost::json::string* typ_str = typ->if_string();
    if (typ_str == nullptr || std::string_view(*typ_str) != kTyp) {
      return InvalidArgumentError("jws: typ must be JWT");
    }
  }
  kid.clear();
  if (const boost::json::value* kid_value = header->if_contains("kid")) {
    const boost::json::string* kid_str = kid_value->if_string();
    if (kid_str == nullptr) return InvalidArgumentError("jws: kid must be a string");
    kid.assign(kid_str->data(), kid_str->size());
  }
  return OkStatus();
}

}  // namespace

Result<JwsParts> ParseCompactJws(std::string_view compact) {
  if (compact.size() > kMaxJwsBytes) return InvalidArgumentError("jws: token too large");
  const size_t dot1 = compact.find('.');
  if (dot1 == std::string_view::npos) return InvalidArgumentError("jws: expected 3 segments");
  const size_t dot2 = compact.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return InvalidArgumentError("jws: expected 3 segments");
  if (compact.find('.', dot2 + 1) != std::string_view::npos) {
    return InvalidArgumentError("jws: expected 3 segments");
  }
  const std::string_view header_b64 = compact.substr(0, dot1);
  const std::string_view payload_b64 = compact.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_b64 = compact.substr(dot2 + 1);

  JwsParts parts;
  auto header = Base64UrlDecode(header_b64);
  if (!header.ok()) return InvalidArgumentError("jws: header is not valid base64url");
  auto payload = Base64UrlDecode(payload_b64);
  if (!payload.ok()) return InvalidArgumentError("jws: payload is not valid base64url");
  auto signature = Base64UrlDecode(signature_b64);
  if (!signature.ok()) return InvalidArgumentError("jws: signature is not valid base64url");

  RETURN_IF_ERROR(CheckHeader(*header, parts.kid));
  if (signature->size() != kEd25519SignatureSize) {
    return InvalidArgumentError("jws: signature must be 64 bytes");
  }
  parts.header_json = std::move(*header);
  parts.payload = std::move(*payload);
  parts.signing_input = std::string(compact.substr(0, dot2));
  parts.signature = std::move(*signature);
  return parts;
}

Status VerifyJws(const JwsParts& parts, const Ed25519PublicKey& key) {
  return key.Verify(parts.signing_input, parts.signature);
}

Result<std::string> SignCompactJws(std::string_view payload_json, const Ed25519PrivateKey& key,
                                   std::string_view kid) {
  std::string header_json;
  try {
    boost::json::object header;
    header["alg"] = kAlg;
    header["typ"] = kTyp;
    if (!kid.empty()) header["kid"] = kid;
    header_json = boost::json::serialize(header);
  } catch (const std::exception&) {
    return InternalError("jws: could not build header");
  }
  std::string compact = Base64UrlEncode(header_json);
  compact.push_back('.');
  compact.append(Base64UrlEncode(payload_json));
  // The signature adds '.' plus 86 base64url characters; refuse to produce a
  // token our own parser would reject.
  if (compact.size() + 1 + 86 > kMaxJwsBytes) {
    return InvalidArgumentError("jws: payload too large");
  }
  ASSIGN_OR_RETURN(std::string signature, key.Sign(compact));
  compact.push_back('.');
  compact.append(Base64UrlEncode(signature));
  return compact;
}

}  // namespace kura::crypto
