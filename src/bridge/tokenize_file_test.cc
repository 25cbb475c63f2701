#include "bridge/tokenize_file.h"

#include <gtest/gtest.h>

#include <sstream>

#include "core/pan/luhn.h"
#include "core/pan/pan_scanner.h"

namespace kura::bridge {
namespace {

// A fake vault: valid PANs become "tok_<n>".
class FakeTokenizer {
 public:
  CardTokenizer Fn() {
    return [this](std::string_view pan, int month, int) -> Result<TokenizedCard> {
      if (!pan::LuhnValid(pan) || pan.size() < 13 || pan.size() > 19) {
        return InvalidArgumentError("pan fails the Luhn check");
      }
      if (month < 1 || month > 12) return InvalidArgumentError("bad month");
      if (fail_storage) return UnavailableError("storage down");
      ++calls;
      return TokenizedCard{"tok_" + std::to_string(calls), pan::MaskPan(pan),
                           std::string(pan.substr(pan.size() - 4))};
    };
  }
  int calls = 0;
  bool fail_storage = false;
};

TokenizeOptions Options() {
  TokenizeOptions o;
  o.pan_column = "pan";
  o.exp_column = "exp";
  return o;
}

TEST(TokenizeFileTest, ReplacesPanColumnAndKeepsQuoting) {
  std::istringstream in(
      "id,pan,exp,note\r\n"
      "1,4111111111111111,12/30,\"hello, world\"\r\n"
      "2,5500000000000004,01/2031,\"multi\nline \"\"quoted\"\"\"\n");
  std::ostringstream out;
  FakeTokenizer fake;
  TokenizeOptions o = Options();
  o.add_masked = true;
  o.add_last4 = true;
  Result<TokenizeReport> r = TokenizeCsv(in, out, o, fake.Fn());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 2);
  EXPECT_EQ(r->tokenized, 2);
  EXPECT_EQ(out.str(),
            "id,pan,exp,note,pan_masked,pan_last4\n"
            "1,tok_1,12/30,\"hello, world\",411111******1111,1111\n"
            "2,tok_2,01/2031,\"multi\nline \"\"quoted\"\"\",550000******0004,0004\n");
  EXPECT_FALSE(pan::ContainsPan(out.str()));
}

TEST(TokenizeFileTest, InvalidRowsAreReportedByLineAndNeverEchoed) {
  std::istringstream in(
      "pan,exp\n"
      "4111111111111111,12/30\n"
      "4111111111111112,12/30\n"   // Luhn fails
      "\"4111\n1111\",12/30\n"     // spans lines 4-5
      "5500000000000004,13/30\n"   // bad month
      "5500000000000004,soon\n");  // bad expiry
  std::ostringstream out;
  FakeTokenizer fake;
  Result<TokenizeReport> r = TokenizeCsv(in, out, Options(), fake.Fn());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->invalid, 4);
  EXPECT_EQ(r->invalid_lines, (std::vector<int64_t>{3, 4, 6, 7}));
  EXPECT_EQ(r->Summary(), "rows=5 tokenized=1 invalid=4 invalid_lines=[3,4,6,7]");
  EXPECT_EQ(out.str().find("4111111111111112"), std::string::npos);
  EXPECT_EQ(out.str().find("5500000000000004"), std::string::npos);
}

TEST(TokenizeFileTest, StructuralErrorsNameTheLineOnly) {
  FakeTokenizer fake;
  auto run = [&](const std::string& text) {
    std::istringstream in(text);
    std::ostringstream out;
    return TokenizeCsv(in, out, Options(), fake.Fn()).status();
  };
  EXPECT_EQ(run("").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run("card,exp\n").code(), StatusCode::kInvalidArgument);
  Status s = run("pan,exp\n4111111111111111,12/30,extra\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "line 2: wrong number of fields");
  EXPECT_EQ(run("pan,exp\n\"4111111111111111,12/30\n").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run("pan,exp\n" + std::string(kMaxCsvRecordBytes + 1, '1') + "\n").code(),
            StatusCode::kInvalidArgument);
}

TEST(TokenizeFileTest, StorageErrorsAbort) {
  FakeTokenizer fake;
  fake.fail_storage = true;
  std::istringstream in("pan,exp\n4111111111111111,12/30\n");
  std::ostringstream out;
  EXPECT_EQ(TokenizeCsv(in, out, Options(), fake.Fn()).status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kura::bridge
