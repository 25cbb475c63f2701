// TcpConnectScanner: an unprivileged TCP connect() scan, the same method as
// `nmap -sT`, driven by one epoll loop.
//
// Classification (as nmap's scan_engine_connect.cc for the same errno):
//   connect() succeeds             -> open     (reason "syn-ack")
//   ECONNREFUSED (RST, or ICMP
//     port-unreachable)            -> closed   (reason "conn-refused")
//   EHOSTUNREACH / ENETUNREACH /
//     EACCES / other ICMP errors   -> filtered (reason "host-unreach" etc.)
//   no answer before the timeout   -> filtered (reason "no-response")
// Conservative by construction: a probe that ends "filtered" is retried
// until `attempts` (>= 2) probes all ended filtered; a single lost packet
// never makes a port look blocked. open / closed are final on first answer.
//
// Timeouts follow the measured RTT like TCP's RTO (RFC 6298): srtt and
// rttvar from every answered probe, timeout = srtt + 4 * rttvar clamped to
// [min_timeout, max_timeout]; `initial_timeout` until the first answer.
// Concurrency is bounded by `max_in_flight` (and the process's open-file
// limit, whose soft value Scan() raises to the hard value as a side effect),
// the send rate by `max_rate` connects per second (0 = unlimited).
//
// Safety: every target goes through the TargetGuard before the scan starts
// and again before each connect(); a refused target fails the whole scan
// with kPermissionDenied before any packet is sent.
//
// Timing uses std::chrono::steady_clock directly: this is real network I/O,
// not business logic under test with a fake clock.
//
// Thread safety: a scanner object is used from one thread at a time.
#ifndef KURA_SCAN_TCP_CONNECT_SCANNER_H_
#define KURA_SCAN_TCP_CONNECT_SCANNER_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "scan/cidr.h"
#include "scan/port_set.h"
#include "scan/target_guard.h"

namespace kura::scan {

enum class PortState { kOpen, kClosed, kFiltered };
// "open" / "closed" / "filtered" (nmap's words).
std::string_view PortStateName(PortState s);

inline constexpr int kMinAttempts = 2;
inline constexpr int kDefaultAttempts = 2;
inline constexpr int kDefaultMaxInFlight = 4096;
inline constexpr std::chrono::milliseconds kDefaultInitialTimeout{1000};
inline constexpr std::chrono::milliseconds kDefaultMinTimeout{100};
inline constexpr std::chrono::milliseconds kDefaultMaxTimeout{1000};

struct TcpScanOptions {
  int attempts = kDefaultAttempts;       // >= kMinAttempts
  int max_in_flight = kDefaultMaxInFlight;
  int max_rate = 0;                      // connects per second; 0 = unlimited
  std::chrono::milliseconds initial_timeout = kDefaultInitialTimeout;
  std::chrono::milliseconds min_timeout = kDefaultMinTimeout;
  std::chrono::milliseconds max_timeout = kDefaultMaxTimeout;
};

struct PortResult {
  uint16_t port = 0;
  PortState state = PortState::kFiltered;
  std::string reason;  // "syn-ack", "conn-refused", "no-response", "host-unreach", ...
  int probes = 0;      // connect() attempts made
};

struct TargetResult {
  Ipv4 address;
  std::vector<PortResult> ports;  // ascending by port
};

struct TcpScanStats {
  int64_t probes_sent = 0;
  int64_t srtt_us = 0;     // final smoothed RTT (0 if nothing answered)
  int64_t timeout_ms = 0;  // final probe timeout
  int effective_in_flight = 0;
  std::chrono::milliseconds elapsed{0};
};

class TcpConnectScanner {
 public:
  // Errors: kInvalidArgument if options are out of range (attempts < 2,
  // max_in_flight < 1, timeouts not min <= initial <= max).
  static Result<TcpConnectScanner> Create(const TargetGuard& guard, TcpScanOptions options);

  // Scans every port of `ports` on every target. Errors: kPermissionDenied
  // if the guard refuses a target (before anything is sent); kInvalidArgument
  // if `ports` is empty; kInternal/kResourceExhausted on epoll/socket
  // failures other than per-probe errors.
  Result<std::vector<TargetResult>> Scan(const std::vector<Ipv4>& targets, const PortSet& ports,
                                         TcpScanStats* stats = nullptr) const;

 private:
  TcpConnectScanner(const TargetGuard& guard, TcpScanOptions options)
      : guard_(&guard), options_(options) {}
  const TargetGuard* guard_;  // not owned; must outlive the scanner
  TcpScanOptions options_;
};

}  // namespace kura::scan

#endif  // KURA_SCAN_TCP_CONNECT_SCANNER_H_
