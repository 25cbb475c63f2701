#include "core/base/status.h"

#include <gtest/gtest.h>

#include <string>

namespace kura {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x));
  return OkStatus();
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status s = NotFoundError("no such card");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "not_found: no such card");
  EXPECT_EQ(s.WithContext("lookup").message(), "lookup: no such card");
}

TEST(ResultTest, PropagatesErrorsThroughMacros) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckEven(3).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckEven(4).ok());
}

TEST(ResultTest, OkStatusBecomesInternalError) {
  Result<int> r = OkStatus();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(ResultTest, EmplaceDefaultReplacesAnErrorOrAValue) {
  Result<std::string> r = NotFoundError("none yet");
  std::string& v = r.EmplaceDefault();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "");
  v = "filled in place";
  EXPECT_EQ(*r, "filled in place");
  r.EmplaceDefault();
  EXPECT_EQ(*r, "");
}

}  // namespace
}  // namespace kura
