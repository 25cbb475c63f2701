#include "bridge/result.h"

#include <boost/json.hpp>

#include "core/crypto/jws.h"

namespace kura::bridge {
namespace json = boost::json;

namespace {

std::string Truncate(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "...";
}

std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

int64_t Int(const json::object& o, std::string_view key, int64_t fallback) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_int64() ? v->get_int64() : fallback;
}

}  // namespace

std::string ResultPayloadJson(const BridgeResult& r) {
  json::array artifacts;
  for (const ArtifactRef& a : r.artifacts) {
    artifacts.push_back(
        json::object{{"name", a.name}, {"key", a.key}, {"bytes", a.bytes}, {"sha256", a.sha256}});
  }
  json::object o;
  o["v"] = 1;
  o["request_id"] = r.request_id;
  o["job"] = r.job;
  o["status"] = r.status;
  o["reason"] = Truncate(r.reason, kMaxReasonBytes);
  o["exit_code"] = r.exit_code;
  o["summary"] = Truncate(r.summary, kMaxSummaryBytes);
  o["artifacts"] = std::move(artifacts);
  o["received_ms"] = r.received_ms;
  o["started_ms"] = r.started_ms;
  o["finished_ms"] = r.finished_ms;
  o["runner"] = r.runner;
  o["replay_of"] = r.replay_of;
  return json::serialize(o);
}

Result<std::string> SignResult(const BridgeResult& result, const crypto::Ed25519PrivateKey& key) {
  if (result.artifacts.size() > kMaxArtifacts) {
    return InvalidArgumentError("result: too many artifacts");
  }
  return crypto::SignCompactJws(ResultPayloadJson(result), key, result.runner);
}

Result<BridgeResult> ParseResultPayload(std::string_view payload_json) {
  boost::system::error_code ec;
  json::value v = json::parse(payload_json, ec);
  if (ec || !v.is_object()) return InvalidArgumentError("result: payload is not a JSON object");
  const json::object& o = v.get_object();
  BridgeResult r;
  r.request_id = Str(o, "request_id");
  r.job = Str(o, "job");
  r.status = Str(o, "status");
  r.reason = Str(o, "reason");
  r.exit_code = Int(o, "exit_code", -1);
  r.summary = Str(o, "summary");
  r.received_ms = Int(o, "received_ms", 0);
  r.started_ms = Int(o, "started_ms", 0);
  r.finished_ms = Int(o, "finished_ms", 0);
  r.runner = Str(o, "runner");
  r.replay_of = Str(o, "replay_of");
  if (const json::value* a = o.if_contains("artifacts"); a != nullptr && a->is_array()) {
    for (const json::value& e : a->get_array()) {
      if (!e.is_object()) return InvalidArgumentError("result: bad artifact entry");
      const json::object& ao = e.get_object();
      r.artifacts.push_back(
          {Str(ao, "name"), Str(ao, "key"), Int(ao, "bytes", 0), Str(ao, "sha256")});
    }
  }
  if (r.status != kStatusSucceeded && r.status != kStatusFailed && r.status != kStatusRejected &&
      r.status != kStatusExpired) {
    return InvalidArgumentError("result: unknown status");
  }
  return r;
}

Result<BridgeResult> VerifyResult(std::string_view file_bytes,
                                  const crypto::Ed25519PublicKey& key) {
  if (!file_bytes.empty() && file_bytes.back() == '\n') file_bytes.remove_suffix(1);
  Result<crypto::JwsParts> parts = crypto::ParseCompactJws(file_bytes);
  if (!parts.ok()) return InvalidArgumentError("result: not a valid signed result");
  RETURN_IF_ERROR(crypto::VerifyJws(*parts, key));
  return ParseResultPayload(parts->payload);
}

}  // namespace kura::bridge
