#include "vault/vault_api.h"

#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <string>
#include <string_view>

namespace kura::vault {
namespace {

TEST(ParseStoreRequestTest, AcceptsFullRequest) {
  Result<CardInput> in = ParseStoreRequest(
      R"({"pan":"4111111111111111","exp_month":12,"exp_year":2030,"name":"A N Other",)"
      R"("token_format":"fpt","dedup":true})");
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->pan.view(), "4111111111111111");
  EXPECT_EQ(in->exp_month, 12);
  EXPECT_EQ(in->exp_year, 2030);
  ASSERT_TRUE(in->name.has_value());
  EXPECT_EQ(in->name->view(), "A N Other");
  EXPECT_EQ(in->token_format, TokenFormat::kFpt);
  EXPECT_TRUE(in->dedup);
}

TEST(ParseStoreRequestTest, DefaultsToRandomTokensWithoutDedup) {
  Result<CardInput> in =
      ParseStoreRequest(R"({"pan":"4111111111111111","exp_month":1,"exp_year":2031})");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->token_format, TokenFormat::kRandom);
  EXPECT_FALSE(in->dedup);
  EXPECT_FALSE(in->name.has_value());
}

struct BadCase {
  const char* body;
  const char* message_fragment;
};

// Readable test names: the expected message with non-alphanumerics dropped.
std::string BadCaseName(const ::testing::TestParamInfo<BadCase>& info) {
  std::string name = std::to_string(info.index) + "_";
  for (const char* p = info.param.message_fragment; *p != '\0'; ++p) {
    if (std::isalnum(static_cast<unsigned char>(*p))) name += *p;
  }
  return name;
}

class ParseStoreRequestBadTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseStoreRequestBadTest, RejectsWithClearMessage) {
  Result<CardInput> in = ParseStoreRequest(GetParam().body);
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(in.status().message().find(GetParam().message_fragment), std::string::npos)
      << in.status().message();
  // Never echo a card number back.
  EXPECT_EQ(in.status().message().find("4111111111111111"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    All, ParseStoreRequestBadTest,
    ::testing::Values(
        BadCase{"", "not valid JSON"}, BadCase{"{", "not valid JSON"},
        BadCase{"[1,2]", "must be a JSON object"}, BadCase{"\"4111111111111111\"", "JSON object"},
        BadCase{R"({"exp_month":12,"exp_year":2030})", "missing field 'pan'"},
        BadCase{R"({"pan":4111111111111111,"exp_month":12,"exp_year":2030})",
                "'pan' must be a string"},
        BadCase{R"({"pan":"4111111111111111","exp_month":"12","exp_year":2030})",
                "'exp_month' must be an integer"},
        BadCase{R"({"pan":"4111111111111111","exp_month":12.5,"exp_year":2030})",
                "'exp_month' must be an integer"},
        BadCase{R"({"pan":"4111111111111111","exp_month":12})", "missing field 'exp_year'"},
        BadCase{R"({"pan":"4111111111111111","exp_month":12,"exp_year":2030,"cvv":"123"})",
                "unknown field 'cvv'"},
        BadCase{R"({"pan":"4111111111111111","exp_month":12,"exp_year":2030,"token_format":"x"})",
                "token_format"},
        BadCase{R"({"pan":"4111111111111111","exp_month":12,"exp_year":2030,"dedup":"yes"})",
                "'dedup' must be a boolean"},
        BadCase{R"({"pan":"4111111111111111","exp_month":12,"exp_year":2030,"name":7})",
                "'name' must be a string"},
        BadCase{R"({"pan":"4111111111111111","exp_month":1e400,"exp_year":2030})",
                "'exp_month' must be an integer"}),
    BadCaseName);

TEST(ParseStoreRequestTest, UnknownFieldNameIsSanitisedAndBounded) {
  std::string long_key(500, 'k');
  Result<CardInput> in = ParseStoreRequest("{\"" + long_key + "\":1}");
  ASSERT_FALSE(in.ok());
  EXPECT_LT(in.status().message().size(), 120u);
}

TEST(ParseStoreRequestTest, RejectsDeepNesting) {
  std::string deep = R"({"pan":)" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_EQ(ParseStoreRequest(deep).status().code(), StatusCode::kInvalidArgument);
}

TEST(ParseStoreRequestTest, LargestDenseBodyParsesInsideTheArena) {
  // 64 KiB of one-digit array elements: the most values per body byte.
  std::string body = R"({"pan":[)";
  while (body.size() < 64 * 1024 - 8) body += "1,";
  body += "1]}";
  Result<CardInput> in = ParseStoreRequest(body);
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().message(), "field 'pan' must be a string");
}

TEST(ParseGrantRevealRequestTest, NeedsTokenAndGrantOnly) {
  Result<GrantRevealRequest> ok = ParseGrantRevealRequest(R"({"token":"tok_a","grant":"x.y.z"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->token, "tok_a");
  EXPECT_EQ(ok->grant, "x.y.z");
  EXPECT_EQ(ParseGrantRevealRequest(R"({"token":"tok_a"})").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseGrantRevealRequest(R"({"token":"t","grant":"g","x":1})").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ParseEmptyRequestTest, AcceptsBlankOrEmptyObjectOnly) {
  EXPECT_TRUE(ParseEmptyRequest("").ok());
  EXPECT_TRUE(ParseEmptyRequest("  \n").ok());
  EXPECT_TRUE(ParseEmptyRequest("{}").ok());
  EXPECT_EQ(ParseEmptyRequest(R"({"a":1})").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseEmptyRequest("nope").code(), StatusCode::kInvalidArgument);
}

TEST(ContentTypeTest, AcceptsJsonWithParameters) {
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("Application/JSON; charset=utf-8"));
  EXPECT_FALSE(IsJsonContentType("text/plain"));
  EXPECT_FALSE(IsJsonContentType("application/jsonx"));
  EXPECT_FALSE(IsJsonContentType(""));
}

TEST(RenderTest, StoreResponseHasDocumentedShape) {
  StoreOutcome o;
  o.card.token = "tok_abc";
  o.card.bin = "411111";
  o.card.last4 = "1111";
  o.card.masked_pan = "411111******1111";
  o.card.exp_month = 12;
  o.card.exp_year = 2030;
  o.card.brand = "visa";
  o.card.token_format = "random";
  o.fingerprint = "\xff\x01";
  o.duplicate = true;
  EXPECT_EQ(RenderStoreResponse(o),
            R"({"token":"tok_abc","card":{"bin":"411111","last4":"1111",)"
            R"("masked_pan":"411111******1111","exp_month":12,"exp_year":2030,"brand":"visa",)"
            R"("token_format":"random"},"fingerprint":"ff01","duplicate":true})");
}

CardView SampleCard() {
  CardView c;
  c.token = "tok_abc";
  c.bin = "411111";
  c.last4 = "1111";
  c.masked_pan = "411111******1111";
  c.exp_month = 12;
  c.exp_year = 2030;
  c.brand = "visa";
  c.token_format = "random";
  return c;
}

constexpr std::string_view kSampleCardJson =
    R"("card":{"bin":"411111","last4":"1111","masked_pan":"411111******1111",)"
    R"("exp_month":12,"exp_year":2030,"brand":"visa","token_format":"random"})";

TEST(RenderTest, MaskedCardHasDocumentedShape) {
  EXPECT_EQ(RenderCard(SampleCard()),
            std::string(R"({"token":"tok_abc",)") + std::string(kSampleCardJson) + "}");
}

TEST(RenderTest, RevealAddsThePanAndTheNameOnlyWhenThereIsOne) {
  RevealedCard r{SampleCard(), SecretBytes::FromString("4111111111111111"), std::nullopt};
  EXPECT_EQ(RenderReveal(r), std::string(R"({"token":"tok_abc",)") +
                                 std::string(kSampleCardJson) + R"(,"pan":"4111111111111111"})");
  r.name = SecretBytes::FromString("Jane \"J\" Doe");
  EXPECT_EQ(RenderReveal(r), std::string(R"({"token":"tok_abc",)") +
                                 std::string(kSampleCardJson) +
                                 R"(,"pan":"4111111111111111","name":"Jane \"J\" Doe"})");
}

TEST(RenderTest, AResponseLargerThanTheRenderBufferIsStillComplete) {
  // Rendering uses a fixed buffer and continues on the heap beyond it.
  RevealedCard r{SampleCard(), SecretBytes::FromString("4111111111111111"), std::nullopt};
  r.name = SecretBytes::FromString(std::string(10'000, 'n'));
  r.card.brand = std::string(5'000, 'b');
  const std::string out = RenderReveal(r);
  EXPECT_NE(out.find(R"("brand":")" + std::string(5'000, 'b') + "\""), std::string::npos);
  EXPECT_NE(out.find(R"("name":")" + std::string(10'000, 'n') + "\"}"), std::string::npos);
  EXPECT_EQ(out.rfind(R"({"token":"tok_abc","card":{"bin":"411111",)", 0), 0u);
  // 10,000 name bytes, and 5,000 brand bytes instead of "visa".
  EXPECT_EQ(out.size(), 10'000 + 5'000 - 4 + RenderReveal(RevealedCard{SampleCard(),
                                          SecretBytes::FromString("4111111111111111"),
                                          SecretBytes::FromString("")}).size());
}

}  // namespace
}  // namespace kura::vault
