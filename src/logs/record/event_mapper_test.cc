#include "logs/record/event_mapper.h"

#include <gtest/gtest.h>

namespace kura::logs {
namespace {

const EventContext kContext{1'767'225'600'500, "logs-1", "http"};

TEST(EventMapperTest, MapsAVaultAuditEvent) {
  auto r = RecordFromJsonEvent(
      R"({"ts":"2026-01-01T00:00:00.120Z","seq":2,"service":"vault","node":"vault-1",)"
      R"("event":"card.reveal","outcome":"success","principal":"alice","origin":"10.0.0.5:1",)"
      R"("resource":"tok_8f3a","details":{"grant":"g_17"}})",
      kContext);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->seq, 0u);
  EXPECT_EQ(r->received_ms, 1'767'225'600'500);
  EXPECT_EQ(r->ts_ms, 1'767'225'600'120);
  EXPECT_EQ(r->node, "logs-1");
  EXPECT_EQ(r->source, "http");
  EXPECT_EQ(r->service, "vault");
  EXPECT_EQ(r->event, "card.reveal");
  EXPECT_EQ(r->principal, "alice");
  EXPECT_EQ(r->resource, "tok_8f3a");
  // The sender's own node and seq are kept, not lost.
  EXPECT_EQ(r->fields_json, R"({"seq":2,"node":"vault-1","details":{"grant":"g_17"}})");
}

TEST(EventMapperTest, TypeIsAnAliasForEventAndTsDefaultsToReceived) {
  auto r = RecordFromJsonEvent(R"({"type":"login","message":"hi"})", kContext);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->event, "login");
  EXPECT_EQ(r->message, "hi");
  EXPECT_EQ(r->ts_ms, kContext.received_ms);
  EXPECT_EQ(r->fields_json, "");
}

TEST(EventMapperTest, NonStringWellKnownFieldsAreKeptInFields) {
  auto r = RecordFromJsonEvent(R"({"principal":7,"ts":12})", kContext);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->principal, "");
  EXPECT_EQ(r->fields_json, R"({"principal":7,"ts":12})");
}

TEST(EventMapperTest, MasksPansEverywhereAndCountsThem) {
  auto r = RecordFromJsonEvent(
      R"({"message":"card 4111 1111 1111 1111 used","x":{"4242424242424242":[5555555555554444]},)"
      R"("principal":"4111-1111-1111-1111"})",
      kContext);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pan_redacted, 4u);
  const std::string line = EncodeRecord(*r);
  for (const char* pan : {"4111 1111 1111 1111", "4111111111111111", "4242424242424242",
                          "5555555555554444", "4111-1111-1111-1111"}) {
    EXPECT_EQ(line.find(pan), std::string::npos) << pan;
  }
  EXPECT_NE(line.find("411111******1111"), std::string::npos);
}

TEST(EventMapperTest, RejectsBadInputWithClearErrorsThatDoNotEchoIt) {
  const std::string huge = "{\"message\":\"" + std::string(kMaxEventBytes, 'a') + "\"}";
  for (std::string_view bad : {std::string_view(""), std::string_view("{"),
                               std::string_view("[1,2]"), std::string_view("\"4111111111111111\""),
                               std::string_view("{\"m\":\"\xff\xfe\"}"),
                               std::string_view("{\"ts\":\"yesterday\"}"), std::string_view(huge)}) {
    auto r = RecordFromJsonEvent(bad, kContext);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message().rfind("event: ", 0), 0u) << r.status().message();
    EXPECT_EQ(r.status().message().find("4111"), std::string::npos);
    EXPECT_LT(r.status().message().size(), 200u);
  }
}

TEST(EventMapperTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
}

}  // namespace
}  // namespace kura::logs
