#include "scan/merge.h"

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/crypto/encoding.h"
#include "core/crypto/hash.h"
#include "scan/html_report.h"

namespace kura::scan {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kPolicy[] = R"([segments.cde]
cidrs = ["10.42.0.0/16"]
hosts = ["10.42.1.10", "10.42.1.11"]

[segments.corp]
cidrs = ["172.30.0.0/16"]
hosts = ["172.30.1.10"]

[[expect]]
from = "corp"
to = "cde"

[[expect]]
from = "cde"
to = "corp"
allow = ["tcp/443"]
)";

class MergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    policy_ = *ParsePolicy(kPolicy, "policy.toml");
    corp_key_ = *crypto::Ed25519PrivateKey::Generate();
    cde_key_ = *crypto::Ed25519PrivateKey::Generate();
    trusted_ = {corp_key_.PublicKey(), cde_key_.PublicKey()};
  }

  ScanResult MakeResult(std::string segment, std::string address) {
    ScanResult r;
    r.started = "2026-01-01T00:00:00.000Z";
    r.finished = "2026-01-01T00:00:05.000Z";
    r.scanner_segment = std::move(segment);
    r.scanner_address = std::move(address);
    r.scanner_hostname = "scanner";
    r.policy_sha256 = policy_.sha256_hex;
    r.method.ports = "1-65535";
    return r;
  }

  // A group towards `dst` in `seg` with `open` ports open, 22 closed, the
  // rest filtered.
  static FlowGroup Group(std::string seg, std::string dst, const std::string& open) {
    FlowGroup g;
    g.to_segment = std::move(seg);
    g.dst = std::move(dst);
    if (!open.empty()) g.open = *PortSet::Parse(open);
    g.closed.Add(22);
    for (int p = 1; p <= kMaxPort; ++p) {
      if (!g.open.Contains(p) && p != 22) g.filtered.Add(p);
    }
    return g;
  }

  VerifiedResult SignAndVerify(const ScanResult& r, const crypto::Ed25519PrivateKey& key) {
    auto text = SignScanResult(r, key);
    EXPECT_TRUE(text.ok());
    auto v = VerifyScanResult(*text, trusted_);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    v->source = r.scanner_address + ".json";
    return *v;
  }

  // Two scanner hosts in corp (one per CDE host) and one in the CDE.
  std::vector<VerifiedResult> ThreeHosts(const std::string& corp_open) {
    ScanResult a = MakeResult("corp", "172.30.1.10");
    a.flows.push_back(Group("cde", "10.42.1.10", corp_open));
    ScanResult b = MakeResult("corp", "172.30.2.10");
    b.flows.push_back(Group("cde", "10.42.1.11", ""));
    ScanResult c = MakeResult("cde", "10.42.1.10");
    c.flows.push_back(Group("corp", "172.30.1.10", "443"));
    return {SignAndVerify(a, corp_key_), SignAndVerify(b, corp_key_), SignAndVerify(c, cde_key_)};
  }

  Policy policy_;
  crypto::Ed25519PrivateKey corp_key_ = *crypto::Ed25519PrivateKey::Generate();
  crypto::Ed25519PrivateKey cde_key_ = *crypto::Ed25519PrivateKey::Generate();
  std::vector<crypto::Ed25519PublicKey> trusted_;
};

TEST_F(MergeTest, SignedResultRoundTrips) {
  ScanResult r = MakeResult("corp", "172.30.1.10");
  r.flows.push_back(Group("cde", "10.42.1.10", "5432"));
  VerifiedResult v = SignAndVerify(r, corp_key_);
  EXPECT_EQ(v.result.scanner_address, "172.30.1.10");
  ASSERT_EQ(v.result.flows.size(), 1u);
  EXPECT_EQ(v.result.flows[0].open.ToString(), "5432");
  EXPECT_EQ(v.result.flows[0].closed.ToString(), "22");
  EXPECT_EQ(v.result.flows[0].filtered.size(), 65533u);
}

TEST_F(MergeTest, TamperedResultIsRejected) {
  ScanResult r = MakeResult("corp", "172.30.1.10");
  r.flows.push_back(Group("cde", "10.42.1.10", "5432"));
  std::string text = *SignScanResult(r, corp_key_);
  // Hide the open port: move 5432 from "open" to nothing.
  size_t at = text.find("\"open\":\"5432\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 13, "\"open\":\"\"");
  EXPECT_EQ(VerifyScanResult(text, trusted_).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(MergeTest, ResultResignedWithAnUntrustedKeyIsRejected) {
  ScanResult r = MakeResult("corp", "172.30.1.10");
  r.flows.push_back(Group("cde", "10.42.1.10", ""));
  auto rogue = *crypto::Ed25519PrivateKey::Generate();
  auto v = VerifyScanResult(*SignScanResult(r, rogue), trusted_);
  EXPECT_EQ(v.status().code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(v.status().message(), HasSubstr("untrusted key"));
}

TEST_F(MergeTest, SwappedPublicKeyWithForeignSignatureIsRejected) {
  ScanResult r = MakeResult("corp", "172.30.1.10");
  auto rogue = *crypto::Ed25519PrivateKey::Generate();
  std::string text = *SignScanResult(r, rogue);
  // Claim the trusted corp key but keep the rogue signature.
  boost::json::value doc = boost::json::parse(text);
  doc.as_object()["signature"].as_object()["public_key"] = crypto::Base64Encode(
      crypto::AsBytes(corp_key_.PublicKey().Raw()));
  EXPECT_EQ(VerifyScanResult(boost::json::serialize(doc), trusted_).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(MergeTest, GarbageIsInvalidArgument) {
  EXPECT_EQ(VerifyScanResult("{nope", trusted_).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyScanResult("{}", trusted_).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(MergeTest, ResultForAnotherPolicyIsRejected) {
  ScanResult r = MakeResult("corp", "172.30.1.10");
  r.policy_sha256 = std::string(64, 'a');
  auto m = MergeResults(policy_, {SignAndVerify(r, corp_key_)});
  EXPECT_EQ(m.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(MergeTest, ScannerOutsideItsSegmentIsRejected) {
  ScanResult r = MakeResult("corp", "10.42.1.10");
  auto m = MergeResults(policy_, {SignAndVerify(r, corp_key_)});
  EXPECT_EQ(m.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(MergeTest, MergesTwoScannerHostsIntoPass) {
  auto m = MergeResults(policy_, ThreeHosts(""));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->pass);
  ASSERT_EQ(m->verdicts.size(), 2u);
  EXPECT_TRUE(m->verdicts[0].pass);
  EXPECT_THAT(m->verdicts[0].scanners,
              ElementsAre("172.30.1.10 (corp)", "172.30.2.10 (corp)"));
  EXPECT_EQ(m->verdicts[0].closed, 2);
  EXPECT_TRUE(m->verdicts[1].pass);  // 443 is open but allowed
  EXPECT_EQ(m->verdicts[1].open, 1);
  EXPECT_THAT(MergeReportToJson(*m), HasSubstr("\"verdict\":\"PASS\""));
}

TEST_F(MergeTest, HolePunchFailsNamingTheFlow) {
  auto m = MergeResults(policy_, ThreeHosts("5432"));
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->pass);
  EXPECT_FALSE(m->verdicts[0].pass);
  EXPECT_THAT(m->verdicts[0].offending,
              ElementsAre("172.30.1.10 (corp) -> 10.42.1.10 (cde) tcp/5432 open"));
  EXPECT_TRUE(m->verdicts[1].pass);
  const std::string html = RenderHtmlReport(policy_, *m, "2026-01-01T00:00:00.000Z");
  EXPECT_THAT(html, HasSubstr("tcp/5432 open"));
  EXPECT_THAT(html, HasSubstr("class=\"FAIL\""));
  EXPECT_THAT(html, HasSubstr(policy_.sha256_hex));
}

TEST_F(MergeTest, DisallowedOutboundPortFails) {
  ScanResult c = MakeResult("cde", "10.42.1.10");
  c.flows.push_back(Group("corp", "172.30.1.10", "443,8080"));
  auto m = MergeResults(policy_, {SignAndVerify(c, cde_key_)});
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->verdicts[1].pass);
  EXPECT_THAT(m->verdicts[1].offending,
              ElementsAre("10.42.1.10 (cde) -> 172.30.1.10 (corp) tcp/8080 open"));
  // corp -> cde had no scanner: not tested is a FAIL, never a silent PASS.
  EXPECT_FALSE(m->verdicts[0].pass);
  EXPECT_THAT(m->verdicts[0].note, HasSubstr("not tested"));
}

TEST_F(MergeTest, OpenUdpServiceOutsideAllowFails) {
  std::vector<VerifiedResult> results = ThreeHosts("");
  ScanResult u = MakeResult("corp", "172.30.1.10");
  FlowGroup g;
  g.to_segment = "cde";
  g.dst = "10.42.1.10";
  g.proto = "udp";
  g.open.Add(161);
  g.closed.Add(123);
  g.open_filtered.Add(53);
  u.flows.push_back(g);
  results.push_back(SignAndVerify(u, corp_key_));
  auto m = MergeResults(policy_, std::move(results));
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->verdicts[0].pass);
  EXPECT_THAT(m->verdicts[0].offending,
              ElementsAre("172.30.1.10 (corp) -> 10.42.1.10 (cde) udp/161 open"));
  EXPECT_EQ(m->verdicts[0].open_filtered, 1);
  EXPECT_THAT(m->verdicts[1].note, HasSubstr("UDP not probed"));
}

TEST(HtmlReportTest, EscapesMarkup) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

}  // namespace
}  // namespace kura::scan
