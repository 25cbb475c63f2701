#include "logs/ingest/syslog_parser.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace kura::logs {
namespace {

constexpr int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
const EventContext kCtx{kNow, "n1", "syslog"};

boost::json::object Fields(const LogRecord& r) {
  return r.fields_json.empty() ? boost::json::object() : boost::json::parse(r.fields_json).as_object();
}

TEST(SyslogParserTest, Rfc5424Example1) {
  // RFC 5424 6.5, example 1 (with a BOM before MSG).
  auto r = ParseSyslogMessage(
      "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su root' "
      "failed for lonvick on /dev/pts/8",
      kCtx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->severity, "crit");
  EXPECT_EQ(r->host, "mymachine.example.com");
  EXPECT_EQ(r->app, "su");
  EXPECT_EQ(r->message, "'su root' failed for lonvick on /dev/pts/8");
  EXPECT_EQ(r->ts_ms, 1'065'910'455'003);
  EXPECT_EQ(r->received_ms, kNow);
  EXPECT_EQ(r->source, "syslog");
  auto f = Fields(*r);
  EXPECT_EQ(f["facility"].as_string(), "auth");
  EXPECT_EQ(f["msgid"].as_string(), "ID47");
  EXPECT_FALSE(f.contains("procid"));
}

TEST(SyslogParserTest, Rfc5424Example2WithZoneOffsetAndNoSd) {
  auto r = ParseSyslogMessage(
      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make "
      "the do-nuts.",
      kCtx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->severity, "notice");
  EXPECT_EQ(r->ts_ms, 1'061'727'255'000);
  EXPECT_EQ(Fields(*r)["facility"].as_string(), "local4");
  EXPECT_EQ(Fields(*r)["procid"].as_string(), "8710");
  EXPECT_EQ(r->message, "%% It's time to make the do-nuts.");
}

TEST(SyslogParserTest, Rfc5424StructuredDataWithEscapesAndNoMsg) {
  // RFC 5424 6.5 examples 3 and 4 combined, plus escapes (6.3.3).
  auto r = ParseSyslogMessage(
      R"(<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 )"
      R"([exampleSDID@32473 iut="3" eventSource="Appli\"cat\]ion\\" eventID="1011"])"
      R"([examplePriority@32473 class="high"])",
      kCtx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->message, "");
  auto sd = Fields(*r)["sd"].as_object();
  EXPECT_EQ(sd["exampleSDID@32473"].as_object()["iut"].as_string(), "3");
  EXPECT_EQ(sd["exampleSDID@32473"].as_object()["eventSource"].as_string(), "Appli\"cat]ion\\");
  EXPECT_EQ(sd["examplePriority@32473"].as_object()["class"].as_string(), "high");
}

TEST(SyslogParserTest, NilTimestampIsTheReceivedTime) {
  auto r = ParseSyslogMessage("<13>1 - - - - - - hello", kCtx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ts_ms, kNow);
  EXPECT_EQ(r->host, "");
  EXPECT_EQ(r->message, "hello");
}

TEST(SyslogParserTest, JsonMessageIsMappedAsAnAuditEvent) {
  auto r = ParseSyslogMessage(
      R"(<174>1 2026-01-01T00:00:00Z vault1 kura-vault 77 - - {"ts":"2026-01-01T00:00:00.500Z",)"
      R"("seq":9,"service":"vault","event":"card.reveal","outcome":"success","principal":"alice",)"
      R"("resource":"tok_1"})",
      kCtx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->event, "card.reveal");
  EXPECT_EQ(r->principal, "alice");
  EXPECT_EQ(r->service, "vault");
  EXPECT_EQ(r->host, "vault1");
  EXPECT_EQ(r->app, "kura-vault");
  EXPECT_EQ(r->severity, "info");
  EXPECT_EQ(r->ts_ms, kNow + 500);
  auto f = Fields(*r);
  EXPECT_EQ(f["seq"].as_int64(), 9);  // the event's own field is kept
  EXPECT_EQ(f["procid"].as_string(), "77");
  EXPECT_EQ(f["facility"].as_string(), "local5");
}

TEST(SyslogParserTest, Rfc3164FromRsyslogAndLoggen) {
  auto r = ParseSyslogMessage("<13>Oct 11 22:14:15 web-3 sshd[4242]: Accepted key for bob", kCtx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->severity, "notice");
  EXPECT_EQ(r->host, "web-3");
  EXPECT_EQ(r->app, "sshd");
  EXPECT_EQ(r->message, "Accepted key for bob");
  EXPECT_EQ(r->ts_ms, kNow);
  auto f = Fields(*r);
  EXPECT_EQ(f["procid"].as_string(), "4242");
  EXPECT_EQ(f["bsd_timestamp"].as_string(), "Oct 11 22:14:15");

  auto bare = ParseSyslogMessage("<14>just text", kCtx);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->message, "just text");
}

TEST(SyslogParserTest, PansAreMaskedEverywhere) {
  auto r = ParseSyslogMessage(
      R"(<14>1 - host - - - [pay@1 card="4111111111111111"] paid with 4111 1111 1111 1111)", kCtx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->pan_redacted, 2u);
  EXPECT_EQ(r->message.find("4111 1111 1111 1111"), std::string::npos);
  EXPECT_EQ(r->fields_json.find("4111111111111111"), std::string::npos);
  EXPECT_NE(r->message.find("411111******1111"), std::string::npos);
}

TEST(SyslogParserTest, BadMessagesAreRejectedWithoutEchoingThem) {
  struct Case {
    std::string msg;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"no pri secret-ish", "missing <PRI>"},
      {"<999>1 - - - - - - x", "bad <PRI>"},
      {"<13>1 yesterday host app - - - x", "TIMESTAMP"},
      {"<13>1 - host app - - [broken x", "SD"},
      {"<13>1 - host app - - [id p=\"unterminated] x", "unterminated"},
      {std::string("<13>1 - host app - - - bad \xC3\x28 utf8"), "UTF-8"},
      {"<13>1 - host", "missing"},
      {"", "empty"},
  };
  for (const Case& c : cases) {
    auto r = ParseSyslogMessage(c.msg, kCtx);
    ASSERT_FALSE(r.ok()) << c.msg;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.error), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().message().find("secret-ish"), std::string::npos);
  }
}

}  // namespace
}  // namespace kura::logs
