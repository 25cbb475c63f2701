// kura scan segments | merge | listen  (issue 5, PCI DSS 11.4.5)
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <map>
#include <memory>

#include "cli/cli_context.h"
#include "core/crypto/ed25519.h"
#include "scan/html_report.h"
#include "scan/listener.h"
#include "scan/merge.h"
#include "scan/policy.h"
#include "scan/scan_result.h"
#include "scan/target_guard.h"
#include "scan/tcp_connect_scanner.h"
#include "scan/udp_prober.h"

namespace kura::cli {
namespace {

constexpr size_t kMaxHostnameBytes = 256;
// UDP waits at least this long per attempt, and at least twice the TCP
// scan's RTT-derived timeout.
constexpr std::chrono::milliseconds kMinUdpTimeout{200};
constexpr std::chrono::milliseconds kMaxUdpTimeout{2000};

struct ScanFlags {
  std::string policy;
  std::string from;
  std::string key;
  std::string out;
  std::string ports = "1-65535";
  int rate = 0;
  int concurrency = scan::kDefaultMaxInFlight;
  int attempts = scan::kDefaultAttempts;
  bool no_udp = false;
  std::vector<std::string> results;
  std::vector<std::string> keys;
  std::string json_out;
  std::string html_out;
  std::string listen_tcp;
  std::string listen_udp;
  std::string bind = "0.0.0.0";
};

// The address this host has inside `segment`. The scan must run from inside
// the segment it claims to be in: this also keeps a scan from starting in the
// host's own namespace against zone addresses.
Result<scan::Ipv4> LocalAddressIn(const scan::Segment& segment) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return InternalError("getifaddrs failed");
  std::optional<scan::Ipv4> found;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    sockaddr_in sa{};
    std::memcpy(&sa, i->ifa_addr, sizeof(sa));
    scan::Ipv4 a{ntohl(sa.sin_addr.s_addr)};
    if (segment.Contains(a)) {
      found = a;
      break;
    }
  }
  freeifaddrs(list);
  if (!found) {
    return FailedPreconditionError("this host has no address in segment '" + segment.name +
                                   "': run the scan from inside that segment");
  }
  return *found;
}

std::string Hostname() {
  char buf[kMaxHostnameBytes] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  return buf;
}

int Segments(CliContext& ctx, const ScanFlags& f) {
  Result<scan::Policy> policy = scan::LoadPolicy(ctx.fs, f.policy);
  if (!policy.ok()) return Fail(ctx, policy.status());
  const scan::Segment* from = policy->FindSegment(f.from);
  if (!from) return Fail(ctx, InvalidArgumentError("--from: no segment '" + f.from + "' in the policy"));
  Result<scan::PortSet> ports = scan::PortSet::Parse(f.ports);
  if (!ports.ok()) return Fail(ctx, ports.status().WithContext("--ports"));
  Result<std::string> pem = ctx.fs.ReadFile(f.key);
  if (!pem.ok()) return Fail(ctx, pem.status());
  Result<crypto::Ed25519PrivateKey> key = crypto::Ed25519PrivateKey::FromPem(*pem);
  if (!key.ok()) return Fail(ctx, key.status().WithContext(f.key));
  Result<scan::Ipv4> self = LocalAddressIn(*from);
  if (!self.ok()) return Fail(ctx, self.status());

  std::vector<scan::Ipv4> targets;
  for (const scan::Expectation& e : policy->expectations) {
    if (e.from != f.from) continue;
    for (scan::Ipv4 h : policy->FindSegment(e.to)->hosts) {
      if (std::find(targets.begin(), targets.end(), h) == targets.end()) targets.push_back(h);
    }
  }
  if (targets.empty()) {
    return Fail(ctx, InvalidArgumentError("the policy has no expectation from '" + f.from + "'"));
  }
  const scan::TargetGuard guard(*policy);
  scan::TcpScanOptions opts;
  opts.attempts = f.attempts;
  opts.max_in_flight = f.concurrency;
  opts.max_rate = f.rate;
  Result<scan::TcpConnectScanner> scanner = scan::TcpConnectScanner::Create(guard, opts);
  if (!scanner.ok()) return Fail(ctx, scanner.status());

  scan::ScanResult r;
  r.started = FormatRfc3339Millis(ctx.clock.Now());
  scan::TcpScanStats stats;
  Result<std::vector<scan::TargetResult>> found = scanner->Scan(targets, *ports, &stats);
  if (!found.ok()) return Fail(ctx, found.status());
  r.finished = FormatRfc3339Millis(ctx.clock.Now());
  r.scanner_segment = f.from;
  r.scanner_address = scan::FormatIpv4(*self);
  r.scanner_hostname = Hostname();
  r.policy_sha256 = policy->sha256_hex;
  r.method.attempts_before_filtered = f.attempts;
  r.method.ports = ports->ToString();
  r.method.max_rate = f.rate;
  r.method.max_in_flight = stats.effective_in_flight;
  r.method.srtt_us = stats.srtt_us;
  r.method.timeout_ms = stats.timeout_ms;
  r.method.probes_sent = stats.probes_sent;
  r.method.elapsed_ms = stats.elapsed.count();
  for (const scan::TargetResult& t : *found) {
    scan::FlowGroup g;
    g.to_segment = policy->SegmentOf(t.address)->name;
    g.dst = scan::FormatIpv4(t.address);
    for (const scan::PortResult& p : t.ports) {
      switch (p.state) {
        case scan::PortState::kOpen: g.open.Add(p.port); break;
        case scan::PortState::kClosed: g.closed.Add(p.port); break;
        case scan::PortState::kFiltered: g.filtered.Add(p.port); break;
      }
    }
    ctx.out << r.scanner_address << " (" << f.from << ") -> " << g.dst << " (" << g.to_segment
            << "): open [" << g.open.ToString() << "] closed [" << g.closed.ToString() << "] "
            << g.filtered.size() << " filtered\n";
    r.flows.push_back(std::move(g));
  }
  if (!f.no_udp) {
    scan::UdpScanOptions uo;
    uo.attempts = f.attempts;
    uo.timeout = std::clamp(std::chrono::milliseconds(2 * stats.timeout_ms), kMinUdpTimeout,
                            kMaxUdpTimeout);
    Result<scan::UdpProber> prober = scan::UdpProber::Create(guard, uo);
    if (!prober.ok()) return Fail(ctx, prober.status());
    Result<std::vector<scan::UdpTargetResult>> udp =
        prober->Scan(targets, scan::DefaultUdpProbes());
    if (!udp.ok()) return Fail(ctx, udp.status());
    r.finished = FormatRfc3339Millis(ctx.clock.Now());
    std::string services;
    for (const scan::UdpProbeSpec& p : scan::DefaultUdpProbes()) {
      services += (services.empty() ? "" : ",") + std::string(p.service) + "/" +
                  std::to_string(p.port);
    }
    r.method.udp = "service probes " + services + "; " + std::to_string(uo.attempts) +
                   " attempts, timeout " + std::to_string(uo.timeout.count()) + " ms";
    for (const scan::UdpTargetResult& t : *udp) {
      scan::FlowGroup g;
      g.proto = "udp";
      g.to_segment = policy->SegmentOf(t.address)->name;
      g.dst = scan::FormatIpv4(t.address);
      for (const scan::UdpPortResult& p : t.ports) {
        switch (p.state) {
          case scan::UdpState::kOpen: g.open.Add(p.port); break;
          case scan::UdpState::kClosed: g.closed.Add(p.port); break;
          case scan::UdpState::kFiltered: g.filtered.Add(p.port); break;
          case scan::UdpState::kOpenFiltered: g.open_filtered.Add(p.port); break;
        }
      }
      ctx.out << r.scanner_address << " (" << f.from << ") => " << g.dst << " (" << g.to_segment
              << ") udp: open [" << g.open.ToString() << "] closed [" << g.closed.ToString()
              << "] filtered [" << g.filtered.ToString() << "] open|filtered ["
              << g.open_filtered.ToString() << "]\n";
      r.flows.push_back(std::move(g));
    }
  }
  Result<std::string> signed_text = scan::SignScanResult(r, *key);
  if (!signed_text.ok()) return Fail(ctx, signed_text.status());
  if (Status s = ctx.fs.WriteFileAtomic(f.out, *signed_text, 0644); !s.ok()) return Fail(ctx, s);
  ctx.out << stats.probes_sent << " probes in " << stats.elapsed.count() << " ms (srtt "
          << stats.srtt_us << " us, timeout " << stats.timeout_ms << " ms); signed result "
          << f.out << "\n";
  return kExitOk;
}

int Merge(CliContext& ctx, const ScanFlags& f) {
  Result<scan::Policy> policy = scan::LoadPolicy(ctx.fs, f.policy);
  if (!policy.ok()) return Fail(ctx, policy.status());
  std::vector<crypto::Ed25519PublicKey> trusted;
  for (const std::string& k : f.keys) {
    Result<std::string> pem = ctx.fs.ReadFile(k);
    if (!pem.ok()) return Fail(ctx, pem.status());
    Result<crypto::Ed25519PublicKey> pub = crypto::Ed25519PublicKey::FromPem(*pem);
    if (!pub.ok()) return Fail(ctx, pub.status().WithContext(k));
    trusted.push_back(*pub);
  }
  std::vector<scan::VerifiedResult> verified;
  bool rejected = false;
  for (const std::string& path : f.results) {
    Result<std::string> text = ctx.fs.ReadFile(path);
    Result<scan::VerifiedResult> v =
        text.ok() ? scan::VerifyScanResult(*text, trusted) : Result<scan::VerifiedResult>(text.status());
    if (v.ok() && v->result.policy_sha256 != policy->sha256_hex) {
      v = FailedPreconditionError("scan was run against a different policy");
    }
    if (!v.ok()) {
      ctx.err << "kura: REJECTED " << path << ": " << v.status().ToString() << "\n";
      rejected = true;
      continue;
    }
    v->source = path;
    ctx.out << "verified " << path << ": " << v->result.scanner_address << " ("
            << v->result.scanner_segment << ")\n";
    verified.push_back(std::move(*v));
  }
  if (rejected) return kExitError;
  Result<scan::MergeReport> report = scan::MergeResults(*policy, std::move(verified));
  if (!report.ok()) return Fail(ctx, report.status());
  if (!f.json_out.empty()) {
    if (Status s = ctx.fs.WriteFileAtomic(f.json_out, scan::MergeReportToJson(*report), 0644);
        !s.ok()) {
      return Fail(ctx, s);
    }
  }
  if (!f.html_out.empty()) {
    std::string html =
        scan::RenderHtmlReport(*policy, *report, FormatRfc3339Millis(ctx.clock.Now()));
    if (Status s = ctx.fs.WriteFileAtomic(f.html_out, html, 0644); !s.ok()) return Fail(ctx, s);
  }
  for (const scan::ExpectationVerdict& v : report->verdicts) {
    ctx.out << (v.pass ? "PASS  " : "FAIL  ") << v.expectation << "\n";
    for (const std::string& o : v.offending) ctx.out << "        offending: " << o << "\n";
    if (!v.note.empty()) ctx.out << "        note: " << v.note << "\n";
  }
  ctx.out << "verdict: " << (report->pass ? "PASS" : "FAIL") << "\n";
  return report->pass ? kExitOk : kExitError;
}

int Listen(CliContext& ctx, const ScanFlags& f) {
  Result<scan::Ipv4> bind = scan::ParseIpv4(f.bind);
  if (!bind.ok()) return Fail(ctx, bind.status().WithContext("--bind"));
  scan::PortSet tcp, udp;
  if (!f.listen_tcp.empty()) {
    Result<scan::PortSet> p = scan::PortSet::Parse(f.listen_tcp);
    if (!p.ok()) return Fail(ctx, p.status().WithContext("--tcp"));
    tcp = *p;
  }
  if (!f.listen_udp.empty()) {
    Result<scan::PortSet> p = scan::PortSet::Parse(f.listen_udp);
    if (!p.ok()) return Fail(ctx, p.status().WithContext("--udp"));
    udp = *p;
  }
  Result<std::unique_ptr<scan::Listener>> l = scan::Listener::Bind(*bind, tcp, udp);
  if (!l.ok()) return Fail(ctx, l.status());
  ctx.out << "listening on " << f.bind << " tcp [" << tcp.ToString() << "] udp ["
          << udp.ToString() << "] until killed\n";
  ctx.out.flush();
  // Runs until SIGTERM/SIGINT end the process (nothing to clean up).
  if (Status s = (*l)->Run(); !s.ok()) return Fail(ctx, s);
  return kExitOk;
}

}  // namespace

void RegisterScanCommands(CLI::App& app, CliContext& ctx, Action& action) {
  CLI::App* scan = app.add_subcommand("scan", "Segmentation scan (PCI DSS 11.4.5)");
  scan->require_subcommand(1);
  auto f = std::make_shared<ScanFlags>();

  CLI::App* seg = scan->add_subcommand(
      "segments", "Port-scan the other segments from this host and sign the result");
  seg->add_option("--policy", f->policy, "Segmentation policy (TOML)")->required();
  seg->add_option("--from", f->from, "The segment this scanner host is in")->required();
  seg->add_option("--key", f->key, "This scanner host's Ed25519 private key (PEM)")->required();
  seg->add_option("--out", f->out, "Signed result (JSON)")->required();
  seg->add_option("--ports", f->ports, "TCP ports, e.g. 1-65535 or 22,80,443")
      ->capture_default_str();
  seg->add_option("--rate", f->rate, "Max connects per second (0 = unlimited)")
      ->capture_default_str();
  seg->add_option("--concurrency", f->concurrency, "Max probes in flight")->capture_default_str();
  seg->add_option("--attempts", f->attempts, "Probes before a port is called filtered (>= 2)")
      ->capture_default_str();
  seg->add_flag("--no-udp", f->no_udp, "Skip the UDP service probes");
  seg->callback([&ctx, &action, f] { action = [&ctx, f] { return Segments(ctx, *f); }; });

  CLI::App* merge = scan->add_subcommand(
      "merge", "Verify signed results, combine the hosts, one verdict per expectation");
  merge->add_option("results", f->results, "Signed scan results")->required()->expected(-1);
  merge->add_option("--policy", f->policy, "Segmentation policy (TOML)")->required();
  merge->add_option("--keys", f->keys, "Trusted scanner public keys (PEM)")
      ->required()
      ->expected(-1);
  merge->add_option("--json", f->json_out, "Merged report (JSON)");
  merge->add_option("--html", f->html_out, "Report for the assessor (single HTML file)");
  merge->callback([&ctx, &action, f] { action = [&ctx, f] { return Merge(ctx, *f); }; });

  CLI::App* listen = scan->add_subcommand(
      "listen", "Tiny TCP/UDP services to be found by a scan (zones demo and tests)");
  listen->add_option("--tcp", f->listen_tcp, "TCP ports, e.g. 443,5432");
  listen->add_option("--udp", f->listen_udp, "UDP ports (echo), e.g. 53");
  listen->add_option("--bind", f->bind, "Address to bind")->capture_default_str();
  listen->callback([&ctx, &action, f] { action = [&ctx, f] { return Listen(ctx, *f); }; });
}

}  // namespace kura::cli
