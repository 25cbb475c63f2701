#include "core/base/await.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "core/base/status.h"

namespace kura {
namespace {

TEST(AwaitTest, ReturnsWhatTheCallbackGetsOnTheCallingThread) {
  const int v = Await<int>([](std::function<void(int)> done) { done(42); });
  EXPECT_EQ(v, 42);
}

TEST(AwaitTest, WaitsForAnAnswerFromAnotherThread) {
  std::thread worker;
  Result<std::string> r = Await<Result<std::string>>(
      [&worker](std::function<void(Result<std::string>)> done) {
        worker = std::thread([done = std::move(done)] { done(std::string("from the worker")); });
      });
  worker.join();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "from the worker");
  Status s = Await<Status>([](std::function<void(Status)> done) { done(NotFoundError("x")); });
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace kura
