#include "logs/segment/record_view.h"

#include <gtest/gtest.h>

#include "logs/record/log_record.h"

namespace kura::logs {
namespace {

TEST(RecordViewTest, ScansEveryFieldOfAnEncodedRecord) {
  LogRecord r;
  r.seq = 42;
  r.received_ms = 1767225600123;
  r.ts_ms = 1767225600000;
  r.node = "logs-1";
  r.source = "syslog";
  r.service = "vault";
  r.event = "card.reveal";
  r.outcome = "success";
  r.principal = "alice";
  r.origin = "10.0.0.5:51234";
  r.resource = "tok_8f3a";
  r.reason = "ok";
  r.host = "web-1";
  r.app = "api";
  r.severity = "info";
  r.message = "He said \"hi\"\nand left \xc3\xa9";
  r.pan_redacted = 2;
  r.fields_json = R"({"details":{"grant":"g_17"},"n":[1,{"x":"}"}]})";
  const std::string bytes = EncodeRecord(r);

  auto v = ScanRecord(bytes);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->seq, 42u);
  EXPECT_EQ(v->received, "2026-01-01T00:00:00.123Z");
  std::string scratch;
  for (size_t i = 0; i < kStringFields.size(); ++i) {
    EXPECT_EQ(v->Text(i, &scratch), r.*StringFieldMember(i)) << kStringFields[i];
  }
  EXPECT_EQ(v->Text(kNodeFieldId, &scratch), "logs-1");
  EXPECT_EQ(v->Text(kSourceFieldId, &scratch), "syslog");
  EXPECT_TRUE(v->escaped[*TextFieldId("message")]);
  EXPECT_FALSE(v->escaped[*TextFieldId("principal")]);
  EXPECT_EQ(v->fields_json, r.fields_json);
}

TEST(RecordViewTest, AbsentFieldsAreEmpty) {
  auto v = ScanRecord(R"({"seq":1,"received":"2026-01-01T00:00:00.000Z"})");
  ASSERT_TRUE(v.ok());
  std::string scratch;
  EXPECT_EQ(v->Text(*TextFieldId("principal"), &scratch), "");
  EXPECT_EQ(v->fields_json, "");
}

TEST(RecordViewTest, UnescapesUnicodeAndSurrogatePairs) {
  std::string out;
  UnescapeJsonString(R"(a\u00e9\ud83d\ude00\\\/\t)", &out);
  EXPECT_EQ(out, "a\xc3\xa9\xf0\x9f\x98\x80\\/\t");
}

TEST(RecordViewTest, RejectsWhatIsNotARecord) {
  for (std::string_view bad :
       {"", "[]", "{}", R"({"seq":1})", R"({"received":"2026-01-01T00:00:00.000Z"})",
        R"({"seq":"1","received":"2026-01-01T00:00:00.000Z"})",
        R"({"seq":1,"received":"2026-01-01T00:00:00.000Z")",
        R"({"seq":1,"received":"2026-01-01T00:00:00.000Z"} x)",
        R"({"seq":1,"received":"2026-01-01T00:00:00.000Z","fields":{"a":1})",
        R"({"seq":1,"received":"2026-01-01T00:00:00.000Z","message":"abc})"}) {
    auto v = ScanRecord(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), StatusCode::kDataLoss) << bad;
  }
}

TEST(RecordViewTest, FieldNamesAndIds) {
  EXPECT_EQ(TextFieldName(*TextFieldId("event")), "event");
  EXPECT_EQ(*TextFieldId("node"), kNodeFieldId);
  EXPECT_EQ(*TextFieldId("source"), kSourceFieldId);
  EXPECT_FALSE(TextFieldId("seq").has_value());
  EXPECT_FALSE(TextFieldId("fields").has_value());
}

}  // namespace
}  // namespace kura::logs
