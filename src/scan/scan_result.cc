#include "scan/scan_result.h"

#include <boost/json.hpp>

#include "core/crypto/encoding.h"
#include "core/crypto/hash.h"

namespace kura::scan {
namespace json = boost::json;
namespace {

json::object ToJson(const ScanResult& r) {
  json::object scanner;
  scanner["segment"] = r.scanner_segment;
  scanner["address"] = r.scanner_address;
  scanner["hostname"] = r.scanner_hostname;
  json::object m;
  m["tcp"] = r.method.tcp;
  m["attempts_before_filtered"] = r.method.attempts_before_filtered;
  m["ports"] = r.method.ports;
  m["max_rate"] = r.method.max_rate;
  m["max_in_flight"] = r.method.max_in_flight;
  m["srtt_us"] = r.method.srtt_us;
  m["timeout_ms"] = r.method.timeout_ms;
  m["probes_sent"] = r.method.probes_sent;
  m["elapsed_ms"] = r.method.elapsed_ms;
  m["udp"] = r.method.udp;
  json::array flows;
  for (const FlowGroup& g : r.flows) {
    json::object f;
    f["to_segment"] = g.to_segment;
    f["dst"] = g.dst;
    f["proto"] = g.proto;
    f["open"] = g.open.ToString();
    f["closed"] = g.closed.ToString();
    f["filtered"] = g.filtered.ToString();
    f["open_filtered"] = g.open_filtered.ToString();
    flows.push_back(std::move(f));
  }
  json::object o;
  o["format"] = kScanResultFormat;
  o["started"] = r.started;
  o["finished"] = r.finished;
  o["scanner"] = std::move(scanner);
  o["policy_sha256"] = r.policy_sha256;
  o["methodology"] = std::move(m);
  o["flows"] = std::move(flows);
  return o;
}

Result<const json::object*> Obj(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_object()) {
    return InvalidArgumentError("scan result: '" + std::string(key) + "' must be an object");
  }
  return &v->get_object();
}

Result<std::string> Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_string()) {
    return InvalidArgumentError("scan result: '" + std::string(key) + "' must be a string");
  }
  return std::string(v->get_string());
}

Result<int64_t> Int(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_int64()) {
    return InvalidArgumentError("scan result: '" + std::string(key) + "' must be an integer");
  }
  return v->get_int64();
}

Result<PortSet> Ports(const json::object& o, std::string_view key) {
  ASSIGN_OR_RETURN(std::string s, Str(o, key));
  if (s.empty()) return PortSet();
  Result<PortSet> p = PortSet::Parse(s);
  if (!p.ok()) return InvalidArgumentError("scan result: bad port list in '" + std::string(key) + "'");
  return p;
}

Result<ScanResult> FromJson(const json::object& o) {
  ScanResult r;
  ASSIGN_OR_RETURN(std::string format, Str(o, "format"));
  if (format != kScanResultFormat) return InvalidArgumentError("scan result: unknown format");
  ASSIGN_OR_RETURN(r.started, Str(o, "started"));
  ASSIGN_OR_RETURN(r.finished, Str(o, "finished"));
  ASSIGN_OR_RETURN(const json::object* s, Obj(o, "scanner"));
  ASSIGN_OR_RETURN(r.scanner_segment, Str(*s, "segment"));
  ASSIGN_OR_RETURN(r.scanner_address, Str(*s, "address"));
  ASSIGN_OR_RETURN(r.scanner_hostname, Str(*s, "hostname"));
  ASSIGN_OR_RETURN(r.policy_sha256, Str(o, "policy_sha256"));
  ASSIGN_OR_RETURN(const json::object* m, Obj(o, "methodology"));
  ASSIGN_OR_RETURN(r.method.tcp, Str(*m, "tcp"));
  ASSIGN_OR_RETURN(int64_t attempts, Int(*m, "attempts_before_filtered"));
  r.method.attempts_before_filtered = static_cast<int>(attempts);
  ASSIGN_OR_RETURN(r.method.ports, Str(*m, "ports"));
  ASSIGN_OR_RETURN(r.method.max_rate, Int(*m, "max_rate"));
  ASSIGN_OR_RETURN(r.method.max_in_flight, Int(*m, "max_in_flight"));
  ASSIGN_OR_RETURN(r.method.srtt_us, Int(*m, "srtt_us"));
  ASSIGN_OR_RETURN(r.method.timeout_ms, Int(*m, "timeout_ms"));
  ASSIGN_OR_RETURN(r.method.probes_sent, Int(*m, "probes_sent"));
  ASSIGN_OR_RETURN(r.method.elapsed_ms, Int(*m, "elapsed_ms"));
  ASSIGN_OR_RETURN(r.method.udp, Str(*m, "udp"));
  const json::value* flows = o.if_contains("flows");
  if (!flows || !flows->is_array()) return InvalidArgumentError("scan result: 'flows' must be an array");
  for (const json::value& fv : flows->get_array()) {
    if (!fv.is_object()) return InvalidArgumentError("scan result: flow must be an object");
    const json::object& f = fv.get_object();
    FlowGroup g;
    ASSIGN_OR_RETURN(g.to_segment, Str(f, "to_segment"));
    ASSIGN_OR_RETURN(g.dst, Str(f, "dst"));
    ASSIGN_OR_RETURN(g.proto, Str(f, "proto"));
    ASSIGN_OR_RETURN(g.open, Ports(f, "open"));
    ASSIGN_OR_RETURN(g.closed, Ports(f, "closed"));
    ASSIGN_OR_RETURN(g.filtered, Ports(f, "filtered"));
    ASSIGN_OR_RETURN(g.open_filtered, Ports(f, "open_filtered"));
    if (g.proto != "tcp" && g.proto != "udp") {
      return InvalidArgumentError("scan result: proto must be tcp or udp");
    }
    r.flows.push_back(std::move(g));
  }
  return r;
}

}  // namespace

Result<std::string> SignScanResult(const ScanResult& r, const crypto::Ed25519PrivateKey& key) {
  json::object result = ToJson(r);
  const std::string signed_bytes = json::serialize(result);
  ASSIGN_OR_RETURN(std::string sig, key.Sign(signed_bytes));
  json::object signature;
  signature["alg"] = "Ed25519";
  signature["public_key"] = crypto::Base64Encode(crypto::AsBytes(key.PublicKey().Raw()));
  signature["value"] = crypto::Base64Encode(crypto::AsBytes(sig));
  json::object file;
  file["result"] = std::move(result);
  file["signature"] = std::move(signature);
  return json::serialize(file) + "\n";
}

Result<VerifiedResult> VerifyScanResult(std::string_view text,
                                        const std::vector<crypto::Ed25519PublicKey>& trusted) {
  if (text.size() > kMaxResultFileBytes) return InvalidArgumentError("scan result: file too large");
  json::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return InvalidArgumentError("scan result: not a JSON object");
  const json::object& file = doc.get_object();
  ASSIGN_OR_RETURN(const json::object* result, Obj(file, "result"));
  ASSIGN_OR_RETURN(const json::object* sig, Obj(file, "signature"));
  ASSIGN_OR_RETURN(std::string alg, Str(*sig, "alg"));
  if (alg != "Ed25519") return InvalidArgumentError("scan result: unsupported signature algorithm");
  ASSIGN_OR_RETURN(std::string pub_b64, Str(*sig, "public_key"));
  ASSIGN_OR_RETURN(std::string value_b64, Str(*sig, "value"));
  Result<std::string> pub_raw = crypto::Base64Decode(pub_b64);
  Result<std::string> value = crypto::Base64Decode(value_b64);
  if (!pub_raw.ok() || !value.ok()) return InvalidArgumentError("scan result: bad signature encoding");
  const crypto::Ed25519PublicKey* signer = nullptr;
  for (const crypto::Ed25519PublicKey& k : trusted) {
    if (k.Raw() == *pub_raw) signer = &k;
  }
  if (!signer) return UnauthenticatedError("scan result signed by an untrusted key");
  RETURN_IF_ERROR(signer->Verify(json::serialize(*result), *value));
  VerifiedResult v;
  ASSIGN_OR_RETURN(v.result, FromJson(*result));
  v.signer_public_key_b64 = pub_b64;
  return v;
}

}  // namespace kura::scan
