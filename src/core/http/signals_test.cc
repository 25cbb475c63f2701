#include "core/http/signals.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

namespace kura::http {
namespace {

TEST(SignalsTest, BlockedSignalIsReturnedByWait) {
  BlockTerminationSignals();
  sigset_t mask;
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, nullptr, &mask), 0);
  EXPECT_EQ(sigismember(&mask, SIGTERM), 1);
  EXPECT_EQ(sigismember(&mask, SIGINT), 1);
  // Thread-directed, so no other thread of the test binary can take it.
  ASSERT_EQ(pthread_kill(pthread_self(), SIGTERM), 0);
  EXPECT_EQ(WaitForTerminationSignal(), SIGTERM);
  ASSERT_EQ(pthread_kill(pthread_self(), SIGINT), 0);
  EXPECT_EQ(WaitForTerminationSignal(), SIGINT);
}

}  // namespace
}  // namespace kura::http
