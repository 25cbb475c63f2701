#include "core/http/json_error.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace kura::http {
namespace {

TEST(JsonErrorTest, ExactShape) {
  HttpResponse r = JsonError(404, "not_found", "no such card");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"error":{"code":"not_found","message":"no such card"}})");
}

TEST(JsonErrorTest, EscapesQuotesAndControlCharacters) {
  HttpResponse r = JsonError(400, "bad", "a \"quoted\"\nline\\");
  EXPECT_EQ(r.body, R"({"error":{"code":"bad","message":"a \"quoted\"\nline\\"}})");
  // And it round-trips through a JSON parser.
  boost::json::value v = boost::json::parse(r.body);
  EXPECT_EQ(v.at("error").at("message").as_string(), "a \"quoted\"\nline\\");
}

TEST(JsonErrorTest, HttpStatusForMapsEveryCode) {
  EXPECT_EQ(HttpStatusFor(InvalidArgumentError("x")), 400);
  EXPECT_EQ(HttpStatusFor(OutOfRangeError("x")), 400);
  EXPECT_EQ(HttpStatusFor(UnauthenticatedError("x")), 401);
  EXPECT_EQ(HttpStatusFor(PermissionDeniedError("x")), 403);
  EXPECT_EQ(HttpStatusFor(NotFoundError("x")), 404);
  EXPECT_EQ(HttpStatusFor(AlreadyExistsError("x")), 409);
  EXPECT_EQ(HttpStatusFor(AbortedError("x")), 409);
  EXPECT_EQ(HttpStatusFor(FailedPreconditionError("x")), 409);
  EXPECT_EQ(HttpStatusFor(ResourceExhaustedError("x")), 429);
  EXPECT_EQ(HttpStatusFor(UnimplementedError("x")), 501);
  EXPECT_EQ(HttpStatusFor(UnavailableError("x")), 503);
  EXPECT_EQ(HttpStatusFor(DeadlineExceededError("x")), 504);
  EXPECT_EQ(HttpStatusFor(InternalError("x")), 500);
  EXPECT_EQ(HttpStatusFor(DataLossError("x")), 500);
  EXPECT_EQ(HttpStatusFor(CancelledError("x")), 500);
  EXPECT_EQ(HttpStatusFor(OkStatus()), 500);
}

TEST(JsonErrorTest, ErrorResponseUsesCodeNameAndMessage) {
  HttpResponse r = ErrorResponse(PermissionDeniedError("scope cards:reveal required"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body,
            R"({"error":{"code":"permission_denied","message":"scope cards:reveal required"}})");
}

TEST(JsonErrorTest, ErrorResponseHidesInternalDetails) {
  HttpResponse r = ErrorResponse(InternalError("sqlite: disk I/O error at /var/lib/kura/db"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"error":{"code":"internal","message":"internal error"}})");
  EXPECT_EQ(r.body.find("/var/lib"), std::string::npos);
}

}  // namespace
}  // namespace kura::http
