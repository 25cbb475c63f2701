// UdpProber: protocol-specific UDP probes for common services, without root.
//
// Each probe sends a request the service answers (a DNS query, an NTP client
// packet, an SNMP get, ...) from a connected UDP socket, so ICMP errors come
// back as socket errors. Classification as nmap -sU:
//   any UDP reply                          -> open          ("udp-response")
//   ICMP port unreachable from the target  -> closed        ("port-unreach")
//   ICMP port unreachable from another
//     host (a router's REJECT), any other
//     ICMP unreachable                     -> filtered      ("icmp-unreach", ...)
// (the ICMP sender is read from the socket's error queue, IP_RECVERR).
//   nothing after every attempt (>= 2)     -> open|filtered ("no-response")
// A silent port is re-probed before it is reported; UDP cannot tell an open
// silent service from a firewall drop, so "open|filtered" is reported as such.
//
// All probes of a scan are in flight at once (a few per target); the
// per-attempt timeout is given by the caller (the CLI derives it from the
// TCP scan's measured RTT). Linux rate-limits ICMP errors per destination, so
// large UDP port sets would turn "closed" into "open|filtered": only the
// short list of service probes is sent.
//
// Every target passes the TargetGuard before any datagram is sent.
// Thread safety: a prober object is used from one thread at a time.
#ifndef KURA_SCAN_UDP_PROBER_H_
#define KURA_SCAN_UDP_PROBER_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "scan/cidr.h"
#include "scan/target_guard.h"

namespace kura::scan {

enum class UdpState { kOpen, kClosed, kFiltered, kOpenFiltered };
// "open" / "closed" / "filtered" / "open|filtered" (nmap's words).
std::string_view UdpStateName(UdpState s);

struct UdpProbeSpec {
  uint16_t port;
  std::string_view service;
  std::string payload;
};

// DNS 53, TFTP 69, NTP 123, NetBIOS-NS 137, SNMP 161, SNMP-trap 162,
// IKE 500, syslog 514, RADIUS 1812, SSDP 1900, memcached 11211.
const std::vector<UdpProbeSpec>& DefaultUdpProbes();

inline constexpr std::chrono::milliseconds kDefaultUdpTimeout{500};
inline constexpr size_t kMaxUdpProbesInFlight = 1024;

struct UdpScanOptions {
  int attempts = 2;  // >= 2
  std::chrono::milliseconds timeout = kDefaultUdpTimeout;  // per attempt
};

struct UdpPortResult {
  uint16_t port = 0;
  std::string service;
  UdpState state = UdpState::kOpenFiltered;
  std::string reason;
  int probes = 0;
};

struct UdpTargetResult {
  Ipv4 address;
  std::vector<UdpPortResult> ports;  // in the order of the probe list
};

class UdpProber {
 public:
  // kInvalidArgument if attempts < 2 or timeout < 1 ms.
  static Result<UdpProber> Create(const TargetGuard& guard, UdpScanOptions options);

  // Errors: kPermissionDenied if the guard refuses a target (nothing sent);
  // kInvalidArgument if there is nothing to probe or more than
  // kMaxUdpProbesInFlight probes; kInternal on socket/poll failures.
  Result<std::vector<UdpTargetResult>> Scan(const std::vector<Ipv4>& targets,
                                            const std::vector<UdpProbeSpec>& probes) const;

 private:
  UdpProber(const TargetGuard& guard, UdpScanOptions options) : guard_(&guard), options_(options) {}
  const TargetGuard* guard_;  // not owned; must outlive the prober
  UdpScanOptions options_;
};

}  // namespace kura::scan

#endif  // KURA_SCAN_UDP_PROBER_H_
