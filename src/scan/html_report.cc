#include "scan/html_report.h"

namespace kura::scan {

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderHtmlReport(const Policy& policy, const MergeReport& report,
                             std::string_view generated_at) {
  auto e = [](std::string_view s) { return HtmlEscape(s); };
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  h += "<title>Segmentation test report (PCI DSS 11.4.5)</title>\n<style>\n";
  h += "body{font-family:sans-serif;max-width:70em;margin:2em auto;color:#222}"
       "table{border-collapse:collapse;width:100%;margin:1em 0}"
       "td,th{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}"
       "th{background:#eee}.PASS{color:#060;font-weight:bold}.FAIL{color:#b00;font-weight:bold}"
       "code{font-size:90%;word-break:break-all}\n</style></head><body>\n";
  h += "<h1>Segmentation penetration test (PCI DSS 11.4.5)</h1>\n";
  const std::string overall = report.pass ? "PASS" : "FAIL";
  h += "<p>Overall verdict: <span class=\"" + overall + "\">" + overall + "</span></p>\n";
  h += "<p>Report generated " + e(generated_at) + " by <code>kura scan merge</code>.</p>\n";

  h += "<h2>Scope: segments</h2>\n<table><tr><th>Segment</th><th>CIDRs</th><th>Hosts scanned"
       "</th></tr>\n";
  for (const Segment& s : policy.segments) {
    std::string cidrs, hosts;
    for (const Cidr& c : s.cidrs) cidrs += (cidrs.empty() ? "" : ", ") + c.ToString();
    for (Ipv4 a : s.hosts) hosts += (hosts.empty() ? "" : ", ") + FormatIpv4(a);
    h += "<tr><td>" + e(s.name) + "</td><td>" + e(cidrs) + "</td><td>" + e(hosts) + "</td></tr>\n";
  }
  h += "</table>\n<h2>Policy</h2>\n<p>Name: " + e(policy.name.empty() ? "(unnamed)" : policy.name) +
       "<br>SHA-256 of the policy file: <code>" + e(report.policy_sha256) + "</code></p>\n<ul>\n";
  for (const Expectation& x : policy.expectations) h += "<li>" + e(x.Describe()) + "</li>\n";
  h += "</ul>\n";

  h += "<h2>Method</h2>\n<p>Each scanner host, placed inside a segment, runs an unprivileged TCP "
       "connect scan (the method of <code>nmap -sT</code>) of the listed hosts of the other "
       "segments. A port is <b>open</b> if the connection completes, <b>closed</b> if it is "
       "refused (TCP reset or ICMP port unreachable), <b>filtered</b> if there is no answer or an "
       "ICMP unreachable; a port is only called filtered after every attempt (at least two) "
       "failed. Timeouts follow the measured round-trip time. UDP: protocol-specific probes "
       "(DNS, NTP, SNMP, RADIUS, syslog, ...): a reply is <b>open</b>, ICMP port unreachable "
       "<b>closed</b>, other ICMP unreachable <b>filtered</b>, silence after every attempt "
       "<b>open|filtered</b>. Each host signs its result with its "
       "own Ed25519 key; the merge verifies every signature and the policy hash. An expectation "
       "fails if any flow it denies is open.</p>\n";

  h += "<h2>Scanner locations and results</h2>\n<table><tr><th>Scanner</th><th>Segment</th>"
       "<th>Time</th><th>Method</th><th>Flows</th><th>Signature</th></tr>\n";
  for (const VerifiedResult& v : report.results) {
    const ScanResult& r = v.result;
    std::string flows;
    for (const FlowGroup& g : r.flows) {
      flows += e(g.to_segment + " " + g.dst + " " + g.proto) + ": open <code>" +
               e(g.open.ToString().empty() ? "-" : g.open.ToString()) + "</code>, closed <code>" +
               e(g.closed.ToString().empty() ? "-" : g.closed.ToString()) +
               "</code>, filtered " + std::to_string(g.filtered.size()) + " ports" +
               (g.proto == "udp" ? ", open|filtered <code>" +
                                       e(g.open_filtered.ToString().empty()
                                             ? "-"
                                             : g.open_filtered.ToString()) +
                                       "</code>"
                                 : std::string()) +
               "<br>";
    }
    const Methodology& m = r.method;
    std::string method = "TCP " + m.tcp + ", ports " + m.ports + ", " +
                         std::to_string(m.attempts_before_filtered) +
                         " attempts before filtered, timeout " + std::to_string(m.timeout_ms) +
                         " ms (srtt " + std::to_string(m.srtt_us) + " us), " +
                         std::to_string(m.probes_sent) + " probes in " +
                         std::to_string(m.elapsed_ms) + " ms; UDP: " + m.udp;
    h += "<tr><td>" + e(r.scanner_address) + "<br>" + e(r.scanner_hostname) + "</td><td>" +
         e(r.scanner_segment) + "</td><td>" + e(r.started) + " &ndash; " + e(r.finished) +
         "</td><td>" + e(method) + "</td><td>" + flows + "</td><td>Ed25519 verified, key <code>" +
         e(v.signer_public_key_b64) + "</code><br>file " + e(v.source) + "</td></tr>\n";
  }
  h += "</table>\n<h2>Verdicts</h2>\n<table><tr><th>Expectation</th><th>Verdict</th>"
       "<th>Tested by</th><th>Flows (open/closed/filtered/open|filtered)</th><th>Offending flows</th>"
       "<th>Note</th></tr>\n";
  for (const ExpectationVerdict& v : report.verdicts) {
    const std::string verdict = v.pass ? "PASS" : "FAIL";
    std::string scanners, offending;
    for (const std::string& s : v.scanners) scanners += e(s) + "<br>";
    for (const std::string& s : v.offending) offending += e(s) + "<br>";
    h += "<tr><td>" + e(v.expectation) + "</td><td class=\"" + verdict + "\">" + verdict +
         "</td><td>" + scanners + "</td><td>" + std::to_string(v.open) + " / " +
         std::to_string(v.closed) + " / " + std::to_string(v.filtered) + " / " +
         std::to_string(v.open_filtered) + "</td><td>" +
         (offending.empty() ? "none" : offending) + "</td><td>" + e(v.note) + "</td></tr>\n";
  }
  h += "</table>\n</body></html>\n";
  return h;
}

}  // namespace kura::scan
