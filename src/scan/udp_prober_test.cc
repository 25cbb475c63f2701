#include "scan/udp_prober.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include "scan/listener.h"

namespace kura::scan {
namespace {

Ipv4 Loopback() { return *ParseIpv4("127.0.0.1"); }

// A UDP port on 127.0.0.1 that was free a moment ago (bound, then closed).
uint16_t FreeUdpPort() {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  socklen_t len = sizeof(sa);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  close(fd);
  return ntohs(sa.sin_port);
}

TEST(UdpProberTest, ClassifiesAnOpenUdpServiceAndAClosedPort) {
  const uint16_t echo_port = FreeUdpPort();
  uint16_t closed_port = FreeUdpPort();
  while (closed_port == echo_port) closed_port = FreeUdpPort();
  PortSet udp;
  udp.Add(echo_port);
  Result<std::unique_ptr<Listener>> l = Listener::Bind(Loopback(), PortSet(), udp);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  std::thread t([&] { (*l)->Run().IgnoreError(); });
  TargetGuard guard({*Cidr::Parse("127.0.0.0/8")});
  UdpScanOptions o;
  o.timeout = std::chrono::milliseconds(300);
  Result<UdpProber> prober = UdpProber::Create(guard, o);
  ASSERT_TRUE(prober.ok());
  const std::vector<UdpProbeSpec> probes = {{echo_port, "dns", DefaultUdpProbes()[0].payload},
                                            {closed_port, "ntp", DefaultUdpProbes()[2].payload}};
  auto r = prober->Scan({Loopback()}, probes);
  (*l)->Stop();
  t.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& ports = r->at(0).ports;
  EXPECT_EQ(ports[0].state, UdpState::kOpen);
  EXPECT_EQ(ports[0].reason, "udp-response");
  EXPECT_EQ(ports[0].probes, 1);
  EXPECT_EQ(ports[1].state, UdpState::kClosed);
  EXPECT_EQ(ports[1].reason, "port-unreach");
  EXPECT_EQ(UdpStateName(UdpState::kOpenFiltered), "open|filtered");
}

TEST(UdpProberTest, GuardRefusesOutOfPolicyTargets) {
  TargetGuard guard({*Cidr::Parse("10.42.0.0/16")});
  Result<UdpProber> prober = UdpProber::Create(guard, {});
  ASSERT_TRUE(prober.ok());
  EXPECT_EQ(prober->Scan({Loopback()}, DefaultUdpProbes()).status().code(),
            StatusCode::kPermissionDenied);
}

TEST(UdpProberTest, NeedsTwoAttempts) {
  TargetGuard guard({*Cidr::Parse("127.0.0.0/8")});
  UdpScanOptions o;
  o.attempts = 1;
  EXPECT_EQ(UdpProber::Create(guard, o).status().code(), StatusCode::kInvalidArgument);
}

TEST(UdpProberTest, DefaultProbesCoverCommonServices) {
  std::vector<uint16_t> ports;
  for (const UdpProbeSpec& p : DefaultUdpProbes()) {
    EXPECT_FALSE(p.payload.empty()) << p.service;
    ports.push_back(p.port);
  }
  for (uint16_t want : {53, 123, 161, 514, 1812}) {
    EXPECT_NE(std::find(ports.begin(), ports.end(), want), ports.end()) << want;
  }
}

}  // namespace
}  // namespace kura::scan
