#include "scan/merge.h"

#include <algorithm>

#include <boost/json.hpp>

namespace kura::scan {
namespace json = boost::json;

Result<MergeReport> MergeResults(const Policy& policy, std::vector<VerifiedResult> results) {
  if (results.empty()) return InvalidArgumentError("no scan results to merge");
  for (const VerifiedResult& v : results) {
    const ScanResult& r = v.result;
    if (r.policy_sha256 != policy.sha256_hex) {
      return FailedPreconditionError(v.source + ": scan was run against a different policy");
    }
    const Segment* seg = policy.FindSegment(r.scanner_segment);
    Result<Ipv4> addr = ParseIpv4(r.scanner_address);
    if (!seg || !addr.ok() || !seg->Contains(*addr)) {
      return FailedPreconditionError(v.source + ": scanner address is not in its segment");
    }
  }
  MergeReport report;
  report.policy_name = policy.name;
  report.policy_sha256 = policy.sha256_hex;
  report.pass = true;
  for (const Expectation& e : policy.expectations) {
    ExpectationVerdict verdict;
    verdict.expectation = e.Describe();
    PortSet covered;
    bool udp_probed = false;
    for (const VerifiedResult& v : results) {
      const ScanResult& r = v.result;
      if (r.scanner_segment != e.from) continue;
      bool used = false;
      for (const FlowGroup& g : r.flows) {
        if (g.to_segment != e.to) continue;
        used = true;
        const bool tcp = g.proto == "tcp";
        verdict.open += static_cast<int>(g.open.size());
        verdict.closed += static_cast<int>(g.closed.size());
        verdict.filtered += static_cast<int>(g.filtered.size());
        verdict.open_filtered += static_cast<int>(g.open_filtered.size());
        const PortSet& allowed = tcp ? e.allow_tcp : e.allow_udp;
        for (uint16_t p : g.open.ToVector()) {
          if (!allowed.Contains(p)) {
            verdict.offending.push_back(r.scanner_address + " (" + e.from + ") -> " + g.dst +
                                        " (" + e.to + ") " + g.proto + "/" + std::to_string(p) +
                                        " open");
          }
        }
        if (!tcp) {
          udp_probed = true;
          continue;
        }
        for (uint16_t p : g.open.ToVector()) covered.Add(p);
        for (uint16_t p : g.closed.ToVector()) covered.Add(p);
        for (uint16_t p : g.filtered.ToVector()) covered.Add(p);
      }
      if (used) verdict.scanners.push_back(r.scanner_address + " (" + r.scanner_segment + ")");
    }
    if (verdict.scanners.empty()) {
      verdict.pass = false;
      verdict.note = "not tested: no result from a scanner in '" + e.from + "' towards '" + e.to + "'";
    } else {
      verdict.pass = verdict.offending.empty();
      if (covered.size() < static_cast<size_t>(kMaxPort)) {
        verdict.note = "TCP ports probed: " + covered.ToString() + " (not all 65,535)";
      }
      if (!udp_probed) {
        verdict.note += std::string(verdict.note.empty() ? "" : "; ") + "UDP not probed";
      }
    }
    if (!verdict.pass) report.pass = false;
    report.verdicts.push_back(std::move(verdict));
  }
  report.results = std::move(results);
  return report;
}

std::string MergeReportToJson(const MergeReport& report) {
  json::object o;
  o["format"] = "kura-scan-merge/1";
  o["verdict"] = report.pass ? "PASS" : "FAIL";
  json::object pol;
  pol["name"] = report.policy_name;
  pol["sha256"] = report.policy_sha256;
  o["policy"] = std::move(pol);
  json::array verdicts;
  for (const ExpectationVerdict& v : report.verdicts) {
    json::object j;
    j["expectation"] = v.expectation;
    j["verdict"] = v.pass ? "PASS" : "FAIL";
    json::array off(v.offending.begin(), v.offending.end());
    j["offending_flows"] = std::move(off);
    json::array sc(v.scanners.begin(), v.scanners.end());
    j["scanners"] = std::move(sc);
    j["open"] = v.open;
    j["closed"] = v.closed;
    j["filtered"] = v.filtered;
    j["open_filtered"] = v.open_filtered;
    j["note"] = v.note;
    verdicts.push_back(std::move(j));
  }
  o["verdicts"] = std::move(verdicts);
  json::array results;
  for (const VerifiedResult& v : report.results) {
    json::object j;
    j["source"] = v.source;
    j["scanner_segment"] = v.result.scanner_segment;
    j["scanner_address"] = v.result.scanner_address;
    j["scanner_hostname"] = v.result.scanner_hostname;
    j["started"] = v.result.started;
    j["finished"] = v.result.finished;
    j["signer_public_key"] = v.signer_public_key_b64;
    j["signature"] = "verified (Ed25519)";
    results.push_back(std::move(j));
  }
  o["results"] = std::move(results);
  return json::serialize(o) + "\n";
}

}  // namespace kura::scan
