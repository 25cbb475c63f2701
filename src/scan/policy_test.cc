#include "scan/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kura::scan {
namespace {

using ::testing::HasSubstr;

constexpr char kPolicy[] = R"([policy]
name = "issuer"

[segments.cde]
cidrs = ["10.42.0.0/16"]
hosts = ["10.42.1.10"]

[segments.corp]
cidrs = ["172.30.0.0/16"]
hosts = ["172.30.1.10"]

[[expect]]
from = "corp"
to = "cde"

[[expect]]
from = "cde"
to = "corp"
allow = ["tcp/443", "udp/53", "tcp/8000-8002"]
)";

TEST(PolicyTest, ParsesSegmentsAndExpectations) {
  Result<Policy> p = ParsePolicy(kPolicy, "policy.toml");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->name, "issuer");
  ASSERT_EQ(p->segments.size(), 2u);
  const Segment* cde = p->FindSegment("cde");
  ASSERT_NE(cde, nullptr);
  EXPECT_EQ(FormatIpv4(cde->hosts.at(0)), "10.42.1.10");
  EXPECT_EQ(p->SegmentOf(*ParseIpv4("172.30.9.9"))->name, "corp");
  EXPECT_EQ(p->SegmentOf(*ParseIpv4("192.168.1.1")), nullptr);
  ASSERT_EQ(p->expectations.size(), 2u);
  EXPECT_EQ(p->expectations[0].Describe(), "corp -> cde: deny all");
  const Expectation& out = p->expectations[1];
  EXPECT_TRUE(out.allow_tcp.Contains(443));
  EXPECT_TRUE(out.allow_tcp.Contains(8001));
  EXPECT_FALSE(out.allow_tcp.Contains(53));
  EXPECT_TRUE(out.allow_udp.Contains(53));
  EXPECT_EQ(p->sha256_hex.size(), 64u);
}

TEST(PolicyTest, HashChangesWithAnyByte) {
  std::string other = std::string(kPolicy) + "\n";
  EXPECT_NE(ParsePolicy(kPolicy, "a")->sha256_hex, ParsePolicy(other, "a")->sha256_hex);
}

struct BadCase {
  const char* text;
  const char* want;  // expected substring incl. file:line
};

TEST(PolicyTest, ErrorsNameTheLine) {
  const BadCase cases[] = {
      {"[segments.cde]\ncidrs = [\"10.42.0.0/33\"]\n", "p.toml:2: key 'segments.cde.cidrs'"},
      {"[segments.cde]\ncidrs = [\"10.42.0.0/16\"]\nhosts = [\"10.43.0.1\"]\n",
       "p.toml:3: key 'segments.cde.hosts': host is outside"},
      {"[segments.a]\ncidrs = [\"10.0.0.0/8\"]\nhosts = [\"10.0.0.1\"]\n"
       "[segments.b]\ncidrs = [\"10.1.0.0/16\"]\nhosts = [\"10.1.0.1\"]\n",
       "overlaps segment"},
      {"[segments.a]\ncidrs = [\"10.0.0.0/8\"]\nhosts = [\"10.0.0.1\"]\n"
       "[[expect]]\nfrom = \"a\"\nto = \"nope\"\n",
       "p.toml:6: key 'expect[0].to': unknown segment"},
      {"[segments.a]\ncidrs = [\"10.0.0.0/8\"]\nhosts = [\"10.0.0.1\"]\n"
       "[segments.b]\ncidrs = [\"172.16.0.0/12\"]\nhosts = [\"172.16.0.1\"]\n"
       "[[expect]]\nfrom = \"a\"\nto = \"b\"\nallow = [\"icmp/1\"]\n",
       "p.toml:10: key 'expect[0].allow'"},
      {"[segments.a]\ncidrs = [\"10.0.0.0/8\"]\nhosts = [\"10.0.0.1\"]\n"
       "[segments.b]\ncidrs = [\"172.16.0.0/12\"]\nhosts = [\"172.16.0.1\"]\n"
       "[[expect]]\nfrom = \"a\"\nto = \"b\"\nalow = [\"tcp/1\"]\n",
       "p.toml:10: unknown key 'expect[0].alow'"},
      {"[segments.a\n", "p.toml:1"},
  };
  for (const BadCase& c : cases) {
    Result<Policy> p = ParsePolicy(c.text, "p.toml");
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(p.status().message(), HasSubstr(c.want)) << p.status().message();
  }
}

TEST(CidrTest, ParsesAndContains) {
  Result<Cidr> c = Cidr::Parse("10.42.0.0/16");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->Contains(*ParseIpv4("10.42.255.1")));
  EXPECT_FALSE(c->Contains(*ParseIpv4("10.43.0.1")));
  EXPECT_EQ(Cidr::Parse("10.42.1.0/16").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseIpv4("10.0.0.256").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseIpv4("10.0.0").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Cidr::Parse("0.0.0.0/0")->Contains(*ParseIpv4("8.8.8.8")));
}

TEST(PortSetTest, ParsesAndFormatsRanges) {
  Result<PortSet> p = PortSet::Parse("1-3,5,7-8");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size(), 6u);
  EXPECT_EQ(p->ToString(), "1-3,5,7-8");
  EXPECT_EQ(PortSet::All().ToString(), "1-65535");
  EXPECT_EQ(PortSet::Parse("0").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PortSet::Parse("5-3").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PortSet::Parse("1,,2").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PortSet::Parse("65536").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::scan
