#include "core/http/url.h"

#include <gtest/gtest.h>

namespace kura::http {
namespace {

TEST(UrlTest, PercentDecode) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("%e2%82%AC", false), "\xe2\x82\xac");
}

TEST(UrlTest, MalformedEscapesAreKeptLiterally) {
  EXPECT_EQ(PercentDecode("100%", true), "100%");
  EXPECT_EQ(PercentDecode("%4", true), "%4");
  EXPECT_EQ(PercentDecode("%zz1", true), "%zz1");
}

TEST(UrlTest, ParseQuery) {
  auto q = ParseQuery("a=1&b=x%20y&flag&&c=&a=2");
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(q["a"], "2");
  EXPECT_EQ(q["b"], "x y");
  EXPECT_EQ(q["flag"], "");
  EXPECT_EQ(q["c"], "");
  EXPECT_TRUE(ParseQuery("").empty());
}

TEST(UrlTest, SplitRequestTarget) {
  auto s = SplitRequestTarget("/v1/cards?limit=5#frag");
  EXPECT_EQ(s.path, "/v1/cards");
  EXPECT_EQ(s.query, "limit=5");
  s = SplitRequestTarget("/plain");
  EXPECT_EQ(s.path, "/plain");
  EXPECT_EQ(s.query, "");
}

}  // namespace
}  // namespace kura::http
