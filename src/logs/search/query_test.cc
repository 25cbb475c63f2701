#include "logs/search/query.h"

#include <gtest/gtest.h>

#include "logs/record/log_record.h"

namespace kura::logs {
namespace {

std::string Rec(std::string principal, std::string event, std::string outcome,
                std::string message, std::string fields = "") {
  LogRecord r;
  r.seq = 1;
  r.received_ms = 1767225600000;
  r.ts_ms = r.received_ms;
  r.node = "logs-1";
  r.source = "http";
  r.service = "vault";
  r.principal = std::move(principal);
  r.event = std::move(event);
  r.outcome = std::move(outcome);
  r.message = std::move(message);
  r.fields_json = std::move(fields);
  return EncodeRecord(r);
}

bool M(std::string_view query, const std::string& record) {
  auto q = Query::Parse(query);
  EXPECT_TRUE(q.ok()) << query << ": " << q.status().ToString();
  if (!q.ok()) return false;
  auto v = ScanRecord(record);
  EXPECT_TRUE(v.ok());
  return q->Matches(*v);
}

TEST(QueryTest, FieldEqualityIsExact) {
  const std::string r = Rec("alice", "card.reveal", "success", "Revealed tok_1");
  EXPECT_TRUE(M("principal=alice", r));
  EXPECT_FALSE(M("principal=Alice", r));
  EXPECT_FALSE(M("principal=ali", r));
  EXPECT_TRUE(M("event=card.reveal outcome=success", r));
  EXPECT_TRUE(M("service=vault node=logs-1 source=http", r));
  EXPECT_TRUE(M("principal!=bob", r));
  EXPECT_FALSE(M("principal!=alice", r));
  EXPECT_TRUE(M("reason=\"\"", r));  // absent field
  EXPECT_TRUE(M("message=\"Revealed tok_1\"", r));
}

// The literal a matching record must contain (unless it has escapes).
TEST(QueryTest, RequiredLiteralComesFromARequiredFieldTerm) {
  auto lit = [](std::string_view q) { return Query::Parse(q)->required_literal(); };
  EXPECT_EQ(lit("principal=alice"), "\"alice\"");
  EXPECT_EQ(lit("denied AND event=card.reveal outcome=failure"), "\"card.reveal\"");
  EXPECT_EQ(lit("principal=alice OR principal=bob"), "");  // neither is required
  EXPECT_EQ(lit("NOT principal=alice"), "");
  EXPECT_EQ(lit("principal!=alice"), "");
  EXPECT_EQ(lit("denied"), "");
  EXPECT_EQ(lit("reason=\"\""), "");                  // absent: nothing to find
  EXPECT_EQ(lit("message=\"say \\\"hi\\\"\""), "");  // a quote would be escaped
  EXPECT_EQ(lit(""), "");
  // Every record the query matches contains it.
  const std::string r = Rec("alice", "card.reveal", "failure", "Permission denied");
  for (std::string_view q : {"principal=alice", "event=card.reveal outcome=failure"}) {
    ASSERT_TRUE(M(q, r));
    EXPECT_NE(r.find(lit(q)), std::string::npos) << q;
  }
}

TEST(QueryTest, WordsAreWholeAndCaseInsensitive) {
  const std::string r = Rec("alice", "card.reveal", "failure", "Permission DENIED for tok_8f3a");
  EXPECT_TRUE(M("denied", r));
  EXPECT_TRUE(M("DENIED permission", r));
  EXPECT_FALSE(M("deny", r));
  EXPECT_TRUE(M("tok_8f3a", r));
  EXPECT_FALSE(M("8f3a", r));
  EXPECT_TRUE(M("alice", r));  // words of any well-known field
  EXPECT_TRUE(M("card.reveal", r));
  EXPECT_TRUE(M("\"permission denied\"", r));
  EXPECT_FALSE(M("\"denied permission\"", r));
  EXPECT_FALSE(M("logs", r));  // node is not searched for words
}

TEST(QueryTest, BooleanOperatorsAndPrecedence) {
  const std::string a = Rec("alice", "card.reveal", "success", "x");
  const std::string b = Rec("bob", "auth.login", "failure", "y");
  // NOT > AND > OR.
  EXPECT_TRUE(M("principal=bob OR principal=alice AND outcome=success", a));
  EXPECT_FALSE(M("(principal=bob OR principal=alice) AND outcome=failure", a));
  EXPECT_TRUE(M("NOT principal=bob", a));
  EXPECT_FALSE(M("NOT principal=bob", b));
  EXPECT_TRUE(M("-principal=bob", a));
  EXPECT_TRUE(M("NOT NOT principal=bob", b));
  EXPECT_TRUE(M("principal=bob AND NOT outcome=success", b));
  EXPECT_TRUE(M("", a));
  EXPECT_FALSE(M("principal=alice and", a));  // lower-case "and" is a word
}

TEST(QueryTest, FieldsPaths) {
  const std::string r =
      Rec("alice", "card.reveal", "success", "x", R"({"details":{"grant":"g_17"},"n":7})");
  EXPECT_TRUE(M("fields.details.grant=g_17", r));
  EXPECT_FALSE(M("fields.details.grant=g_18", r));
  EXPECT_TRUE(M("fields.n=7", r));
  EXPECT_FALSE(M("fields.missing=7", r));
}

TEST(QueryTest, ErrorsNamePositionsAndNeverQuoteTheQuery) {
  struct Case {
    const char* query;
    const char* where;
  } cases[] = {
      {"principal=alice )", "position 17"},  {"(principal=alice", "position 17"},
      {"colour=red", "position 1"},          {"principal=", "position 11"},
      {"a OR", "position 5"},                {"NOT", "position 4"},
      {"\"unterminated", "position 1"},      {"...", "position 1"},
      {"()", "position 2"},                  {"=x", "position 1"},
  };
  for (const Case& c : cases) {
    auto q = Query::Parse(c.query);
    ASSERT_FALSE(q.ok()) << c.query;
    EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(q.status().message().find(c.where), std::string::npos)
        << c.query << " -> " << q.status().message();
  }
  auto pan = Query::Parse("4111111111111111 )");
  ASSERT_FALSE(pan.ok());
  EXPECT_EQ(pan.status().message().find("4111"), std::string::npos);
  EXPECT_EQ(Query::Parse(std::string(kMaxQueryBytes + 1, 'a')).status().code(),
            StatusCode::kInvalidArgument);
  std::string deep(100, '(');
  EXPECT_EQ(Query::Parse(deep + "a" + std::string(100, ')')).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(QueryTest, SingleCountedField) {
  size_t f = 0;
  auto q = Query::Parse("event=a OR (event=b AND NOT event=c)");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(q->SingleCountedField(&f));
  EXPECT_EQ(f, *TextFieldId("event"));
  EXPECT_TRUE(q->Accepts("a"));
  EXPECT_TRUE(q->Accepts("b"));
  EXPECT_FALSE(q->Accepts("c"));
  EXPECT_FALSE(Query::Parse("event=a principal=x")->SingleCountedField(&f));
  EXPECT_FALSE(Query::Parse("resource=x")->SingleCountedField(&f));  // not counted
  ASSERT_TRUE(Query::Parse("principal=x")->SingleCountedField(&f));   // counted (index v2)
  EXPECT_EQ(f, *TextFieldId("principal"));
  EXPECT_FALSE(Query::Parse("")->SingleCountedField(&f));
  EXPECT_FALSE(Query::Parse("event=a word")->SingleCountedField(&f));
}

}  // namespace
}  // namespace kura::logs
