// Loopback tests of the scanner and the guard (no root needed). The
// namespace tests (filtered by DROP/REJECT, comparison with nmap) are in
// zones_test.sh.
#include "scan/tcp_connect_scanner.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "scan/listener.h"

namespace kura::scan {
namespace {

Ipv4 Loopback() { return *ParseIpv4("127.0.0.1"); }

// A TCP port on 127.0.0.1 that nothing listens on (bound, then closed).
uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  socklen_t len = sizeof(sa);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  close(fd);
  return ntohs(sa.sin_port);
}

TEST(TargetGuardTest, RefusesAddressesOutsideThePolicy) {
  TargetGuard guard({*Cidr::Parse("10.42.0.0/16")});
  EXPECT_TRUE(guard.Check(*ParseIpv4("10.42.1.10")).ok());
  EXPECT_EQ(guard.Check(*ParseIpv4("10.43.0.1")).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(guard.Check(Loopback()).code(), StatusCode::kPermissionDenied);
}

TEST(TcpConnectScannerTest, GuardRefusesBeforeAnyProbe) {
  TargetGuard guard({*Cidr::Parse("10.42.0.0/16")});
  Result<TcpConnectScanner> s = TcpConnectScanner::Create(guard, {});
  ASSERT_TRUE(s.ok());
  TcpScanStats stats;
  // 192.0.2.1 (TEST-NET-1) is outside the policy: refused, nothing sent.
  auto r = s->Scan({*ParseIpv4("10.42.1.10"), *ParseIpv4("192.0.2.1")}, *PortSet::Parse("80"),
                   &stats);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(stats.probes_sent, 0);
}

TEST(TcpConnectScannerTest, RejectsFewerThanTwoAttempts) {
  TargetGuard guard({*Cidr::Parse("127.0.0.0/8")});
  TcpScanOptions o;
  o.attempts = 1;
  EXPECT_EQ(TcpConnectScanner::Create(guard, o).status().code(), StatusCode::kInvalidArgument);
}

TEST(TcpConnectScannerTest, ClassifiesOpenAndClosedOnLoopback) {
  const uint16_t closed_port = FreePort();
  // An ephemeral listening socket, so the test knows its port.
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  ASSERT_EQ(listen(lfd, 16), 0);
  socklen_t len = sizeof(sa);
  getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len);
  const uint16_t open_port = ntohs(sa.sin_port);

  TargetGuard guard({*Cidr::Parse("127.0.0.0/8")});
  TcpScanOptions o;
  o.max_rate = 1000;
  Result<TcpConnectScanner> s = TcpConnectScanner::Create(guard, o);
  ASSERT_TRUE(s.ok());
  PortSet ports;
  ports.Add(open_port);
  ports.Add(closed_port);
  TcpScanStats stats;
  auto r = s->Scan({Loopback()}, ports, &stats);
  close(lfd);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  for (const PortResult& p : r->at(0).ports) {
    if (p.port == open_port) {
      EXPECT_EQ(p.state, PortState::kOpen);
      EXPECT_EQ(p.reason, "syn-ack");
    } else {
      EXPECT_EQ(p.state, PortState::kClosed);
      EXPECT_EQ(p.reason, "conn-refused");
    }
    EXPECT_EQ(p.probes, 1);
  }
  EXPECT_EQ(stats.probes_sent, 2);
  EXPECT_GT(stats.srtt_us, 0);
}

TEST(ListenerTest, ServesTcpUntilStopped) {
  const uint16_t port = FreePort();
  PortSet tcp;
  tcp.Add(port);
  Result<std::unique_ptr<Listener>> l = Listener::Bind(Loopback(), tcp, PortSet());
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  std::thread t([&] { (*l)->Run().IgnoreError(); });
  TargetGuard guard({*Cidr::Parse("127.0.0.1/32")});
  auto r = TcpConnectScanner::Create(guard, {})->Scan({Loopback()}, tcp);
  (*l)->Stop();
  t.join();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at(0).ports.at(0).state, PortState::kOpen);
}

TEST(ListenerTest, BindOfAPortInUseIsUnavailable) {
  const uint16_t port = FreePort();
  PortSet tcp;
  tcp.Add(port);
  Result<std::unique_ptr<Listener>> first = Listener::Bind(Loopback(), tcp, PortSet());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Listener::Bind(Loopback(), tcp, PortSet()).status().code(),
            StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kura::scan
