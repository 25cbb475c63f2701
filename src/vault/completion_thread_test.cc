#include "vault/completion_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace kura::vault {
namespace {

TEST(CompletionThreadTest, RunsCallbacksInPostOrderFromManyThreadsOnItsOwnThread) {
  auto t = CompletionThread::Start();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  std::mutex mu;
  std::vector<int> ran;  // GUARDED_BY(mu)
  std::atomic<bool> on_caller_thread{false};
  // Each poster's own items must run in its order; all of them must run.
  constexpr int kPosters = 4;
  constexpr int kPerPoster = 500;
  std::vector<std::thread> posters;
  for (int p = 0; p < kPosters; ++p) {
    posters.emplace_back([&, p] {
      const std::thread::id me = std::this_thread::get_id();
      for (int i = 0; i < kPerPoster; ++i) {
        (*t)->Post([&, p, i, me] {
          if (std::this_thread::get_id() == me) on_caller_thread = true;
          std::lock_guard<std::mutex> lock(mu);
          ran.push_back(p * kPerPoster + i);
        });
      }
    });
  }
  for (auto& th : posters) th.join();
  t->reset();  // runs everything posted, then joins
  EXPECT_FALSE(on_caller_thread.load());
  ASSERT_EQ(ran.size(), static_cast<size_t>(kPosters * kPerPoster));
  std::vector<int> last(kPosters, -1);
  for (int v : ran) {
    EXPECT_GT(v % kPerPoster, last[v / kPerPoster]) << "poster " << v / kPerPoster;
    last[v / kPerPoster] = v % kPerPoster;
  }
}

TEST(CompletionThreadTest, AThrowingCallbackDoesNotStopTheOnesAfterIt) {
  auto t = CompletionThread::Start();
  ASSERT_TRUE(t.ok());
  std::promise<int> after;
  (*t)->Post([] { throw std::runtime_error("boom"); });
  (*t)->Post([&after] { after.set_value(7); });
  EXPECT_EQ(after.get_future().get(), 7);
}

TEST(CompletionThreadTest, ACallbackMayPostMore) {
  auto t = CompletionThread::Start();
  ASSERT_TRUE(t.ok());
  std::promise<void> second;
  CompletionThread* raw = t->get();
  raw->Post([raw, &second] { raw->Post([&second] { second.set_value(); }); });
  second.get_future().get();  // would hang if the nested post were lost
}

}  // namespace
}  // namespace kura::vault
