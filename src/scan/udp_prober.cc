#include "scan/udp_prober.h"

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kura::scan {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr size_t kMaxReply = 2048;

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

// DNS: standard query, recursion desired, for "." type NS.
std::string DnsQuery() { return Bytes({0x4b, 0x55, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1}); }

// NTP: 48-byte client request (LI 0, version 4, mode 3).
std::string NtpRequest() {
  std::string s(48, '\0');
  s[0] = static_cast<char>(0x23);
  return s;
}

// SNMPv1 GetRequest, community "public", sysDescr.0.
std::string SnmpGet() {
  return Bytes({0x30, 0x26, 0x02, 0x01, 0x00, 0x04, 0x06, 'p',  'u',  'b',  'l',  'i',  'c',
                0xa0, 0x19, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e,
                0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05,
                0x00});
}

// NetBIOS name service: node status request for "*".
std::string NetbiosStat() {
  std::string s = Bytes({0x80, 0xf0, 0x00, 0x10, 0, 1, 0, 0, 0, 0, 0, 0, 0x20, 'C', 'K'});
  s += std::string(30, 'A');
  s += Bytes({0, 0, 0x21, 0, 1});
  return s;
}

// RADIUS Access-Request with a zero authenticator and no attributes.
std::string RadiusRequest() {
  std::string s = Bytes({0x01, 0x00, 0x00, 0x14});
  s += std::string(16, '\0');
  return s;
}

// IKEv1 header-only main mode offer (servers answer or send a notify).
std::string IkeHeader() {
  std::string s = Bytes({0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88});
  s += std::string(8, '\0');
  s += Bytes({0x01, 0x10, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x1c});
  return s;
}

void ClassifyError(int err, UdpPortResult& r) {
  switch (err) {
    case ECONNREFUSED:
      r.state = UdpState::kClosed;
      r.reason = "port-unreach";
      return;
    case EACCES:
    case EPERM:
      r.reason = "admin-prohibited";
      break;
    case ENETUNREACH:
      r.reason = "net-unreach";
      break;
    default:
      r.reason = "host-unreach";
      break;
  }
  r.state = UdpState::kFiltered;
}

// Reads the ICMP error queued on `fd` (IP_RECVERR) and classifies it like
// nmap: port unreachable from the target itself -> closed; port unreachable
// sent by someone else (a router's REJECT) or any other unreachable ->
// filtered. Returns false if no ICMP error was queued.
bool ReadIcmpError(int fd, Ipv4 target, UdpPortResult& r) {
  char data[kMaxReply];
  char control[512];
  iovec iov{data, sizeof(data)};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  if (recvmsg(fd, &msg, MSG_ERRQUEUE) < 0) return false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_IP || c->cmsg_type != IP_RECVERR) continue;
    sock_extended_err ee{};
    std::memcpy(&ee, CMSG_DATA(c), sizeof(ee));
    if (ee.ee_origin != SO_EE_ORIGIN_ICMP) continue;
    sockaddr_in from{};
    std::memcpy(&from, CMSG_DATA(c) + sizeof(ee), sizeof(from));
    const bool from_target = ntohl(from.sin_addr.s_addr) == target.value;
    constexpr uint8_t kDestUnreach = 3;
    constexpr uint8_t kPortUnreach = 3;
    if (ee.ee_type == kDestUnreach && ee.ee_code == kPortUnreach && from_target) {
      r.state = UdpState::kClosed;
      r.reason = "port-unreach";
    } else {
      r.state = UdpState::kFiltered;
      r.reason = ee.ee_code == kPortUnreach ? "port-unreach-from-other" : "icmp-unreach";
    }
    return true;
  }
  return false;
}

struct Pending {
  int fd = -1;
  size_t target = 0;
  size_t probe = 0;
  bool done = false;
};

}  // namespace

std::string_view UdpStateName(UdpState s) {
  switch (s) {
    case UdpState::kOpen:
      return "open";
    case UdpState::kClosed:
      return "closed";
    case UdpState::kFiltered:
      return "filtered";
    case UdpState::kOpenFiltered:
      return "open|filtered";
  }
  return "open|filtered";
}

const std::vector<UdpProbeSpec>& DefaultUdpProbes() {
  static const std::vector<UdpProbeSpec> kProbes = {
      {53, "dns", DnsQuery()},
      {69, "tftp", std::string("\x00\x01r7tftp.txt\x00octet\x00", 20)},
      {123, "ntp", NtpRequest()},
      {137, "netbios-ns", NetbiosStat()},
      {161, "snmp", SnmpGet()},
      {162, "snmptrap", SnmpGet()},
      {500, "isakmp", IkeHeader()},
      {514, "syslog", "<14>kura segmentation probe"},
      {1812, "radius", RadiusRequest()},
      {1900, "ssdp", "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
                     "MAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n"},
      {11211, "memcached", std::string("\x00\x01\x00\x00\x00\x01\x00\x00stats\r\n", 15)},
  };
  return kProbes;
}

Result<UdpProber> UdpProber::Create(const TargetGuard& guard, UdpScanOptions options) {
  if (options.attempts < 2 || options.attempts > 10) {
    return InvalidArgumentError("UDP attempts must be 2..10");
  }
  if (options.timeout.count() < 1) return InvalidArgumentError("UDP timeout must be >= 1 ms");
  return UdpProber(guard, options);
}

Result<std::vector<UdpTargetResult>> UdpProber::Scan(
    const std::vector<Ipv4>& targets, const std::vector<UdpProbeSpec>& probes) const {
  if (targets.empty() || probes.empty()) return InvalidArgumentError("nothing to probe");
  if (targets.size() * probes.size() > kMaxUdpProbesInFlight) {
    return InvalidArgumentError("too many UDP probes for one scan");
  }
  for (Ipv4 t : targets) RETURN_IF_ERROR(guard_->Check(t));
  std::vector<UdpTargetResult> results(targets.size());
  std::vector<Pending> pending;
  Status status;
  for (size_t t = 0; t < targets.size() && status.ok(); ++t) {
    results[t].address = targets[t];
    for (size_t p = 0; p < probes.size(); ++p) {
      results[t].ports.push_back({probes[p].port, std::string(probes[p].service),
                                  UdpState::kOpenFiltered, "no-response", 0});
      int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        status = ResourceExhaustedError("cannot open UDP sockets");
        break;
      }
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(probes[p].port);
      sa.sin_addr.s_addr = htonl(targets[t].value);
      int one = 1;
      setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one));
      // connect() on UDP sends nothing; it makes ICMP errors visible.
      if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
        UdpPortResult& r = results[t].ports.back();
        ClassifyError(errno, r);
        close(fd);
        continue;
      }
      pending.push_back({fd, t, p, false});
    }
  }
  for (int attempt = 0; attempt < options_.attempts && status.ok(); ++attempt) {
    std::vector<pollfd> pfds;
    std::vector<size_t> index;
    for (size_t i = 0; i < pending.size(); ++i) {
      Pending& q = pending[i];
      if (q.done) continue;
      RETURN_IF_ERROR(guard_->Check(targets[q.target]));
      const std::string& payload = probes[q.probe].payload;
      ++results[q.target].ports[q.probe].probes;
      if (send(q.fd, payload.data(), payload.size(), 0) < 0 && errno != EAGAIN) {
        ClassifyError(errno, results[q.target].ports[q.probe]);
        q.done = true;
        continue;
      }
      pfds.push_back({q.fd, POLLIN, 0});
      index.push_back(i);
    }
    const auto deadline = SteadyClock::now() + options_.timeout;
    size_t open_count = pfds.size();
    while (open_count > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - SteadyClock::now());
      if (left.count() <= 0) break;
      int n = poll(pfds.data(), pfds.size(), static_cast<int>(left.count()));
      if (n < 0) {
        if (errno == EINTR) continue;
        status = InternalError("poll failed");
        break;
      }
      for (size_t k = 0; k < pfds.size(); ++k) {
        if (pfds[k].fd < 0 || pfds[k].revents == 0) continue;
        Pending& q = pending[index[k]];
        UdpPortResult& r = results[q.target].ports[q.probe];
        if ((pfds[k].revents & POLLERR) && ReadIcmpError(q.fd, targets[q.target], r)) {
          q.done = true;
          pfds[k].fd = -1;
          --open_count;
          continue;
        }
        char buf[kMaxReply];
        ssize_t got = recv(q.fd, buf, sizeof(buf), 0);
        if (got >= 0) {
          r.state = UdpState::kOpen;
          r.reason = "udp-response";
        } else if (errno == EAGAIN) {
          continue;
        } else {
          ClassifyError(errno, r);
        }
        q.done = true;
        pfds[k].fd = -1;  // poll ignores negative fds
        --open_count;
      }
    }
  }
  for (Pending& q : pending) close(q.fd);
  RETURN_IF_ERROR(status);
  return results;
}

}  // namespace kura::scan
