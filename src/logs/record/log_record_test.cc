#include "logs/record/log_record.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include <boost/json.hpp>

namespace kura::logs {
namespace {

LogRecord Sample() {
  LogRecord r;
  r.seq = 42;
  r.received_ms = 1'767'225'600'123;
  r.node = "logs-1";
  r.source = "http";
  r.ts_ms = 1'767'225'600'000;
  r.service = "vault";
  r.event = "card.reveal";
  r.outcome = "success";
  r.principal = "alice";
  r.origin = "10.0.0.5:51234";
  r.resource = "tok_8f3a";
  r.message = "line \"one\"\n\ttab \\ ctl\x01";
  r.fields_json = R"({"details":{"grant":"g_17"},"seq":2})";
  return r;
}

TEST(LogRecordTest, EncodesCanonicalLineInFixedOrder) {
  EXPECT_EQ(EncodeRecord(Sample()),
            R"({"seq":42,"received":"2026-01-01T00:00:00.123Z","node":"logs-1","source":"http",)"
            R"("ts":"2026-01-01T00:00:00.000Z","service":"vault","event":"card.reveal",)"
            R"("outcome":"success","principal":"alice","origin":"10.0.0.5:51234",)"
            R"("resource":"tok_8f3a","message":"line \"one\"\n\ttab \\ ctl\u0001",)"
            R"("fields":{"details":{"grant":"g_17"},"seq":2}})");
}

TEST(LogRecordTest, DecodeInvertsEncode) {
  LogRecord r = Sample();
  r.pan_redacted = 2;
  r.host = "h";
  r.severity = "info";
  const std::string bytes = EncodeRecord(r);
  auto back = DecodeRecord(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(EncodeRecord(*back), bytes);
  EXPECT_EQ(back->message, r.message);
  EXPECT_EQ(back->pan_redacted, 2u);
}

TEST(LogRecordTest, OmitsEmptyFields) {
  LogRecord r;
  r.seq = 1;
  EXPECT_EQ(EncodeRecord(r),
            R"({"seq":1,"received":"1970-01-01T00:00:00.000Z","node":"","source":"",)"
            R"("ts":"1970-01-01T00:00:00.000Z"})");
}

TEST(LogRecordTest, DecodeRejectsNonRecordsWithoutEchoingThem) {
  for (const char* bad : {"", "[]", "{\"seq\":0}", "{\"seq\":1}", "not json 4111111111111111",
                          R"({"seq":1,"received":"x","ts":"2026-01-01T00:00:00Z"})",
                          R"({"seq":1,"received":"2026-01-01T00:00:00Z","ts":"2026-01-01T00:00:00Z","event":3})",
                          R"({"seq":1,"received":"2026-01-01T00:00:00Z","ts":"2026-01-01T00:00:00Z","fields":[]})"}) {
    auto r = DecodeRecord(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    EXPECT_EQ(r.status().message().find("4111"), std::string::npos);
  }
}

TEST(LogRecordTest, StringFieldMembersFollowTheNameOrder) {
  LogRecord r;
  for (size_t i = 0; i < kStringFields.size(); ++i) r.*StringFieldMember(i) = std::string(kStringFields[i]);
  EXPECT_EQ(r.principal, "principal");
  EXPECT_EQ(r.message, "message");
  EXPECT_EQ(r.service, "service");
}

TEST(LogRecordTest, AppendJsonStringMatchesBoostJsonOnRandomStrings) {
  // The 16- and 8-bytes-at-a-time skips must not change a byte: compare
  // with boost::json's serializer (what the record format was defined
  // against), with escapes dense, sparse or absent at every offset.
  std::mt19937 rng(42);
  const std::string special = std::string("\"\\\n\r\t\b\f\x01\x1f\x7f/ ", 13) + "\xC3\xA9";
  const unsigned one_in[] = {2, 4, 16, 64, 1000000};
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const size_t len = rng() % (i % 2 == 0 ? 40 : 200);
    const unsigned density = one_in[rng() % std::size(one_in)];
    for (size_t k = 0; k < len; ++k) {
      s += rng() % density == 0 ? special[rng() % special.size()]
                                : static_cast<char>('a' + rng() % 26);
    }
    if (rng() % 8 == 0) s += '\0';
    std::string out;
    AppendJsonString(s, &out);
    EXPECT_EQ(out, boost::json::serialize(boost::json::string(s))) << i;
  }
}

}  // namespace
}  // namespace kura::logs
