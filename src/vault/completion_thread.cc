#include "vault/completion_thread.h"

#include <system_error>
#include <utility>

namespace kura::vault {

Result<std::unique_ptr<CompletionThread>> CompletionThread::Start() {
  std::unique_ptr<CompletionThread> t(new CompletionThread());
  try {
    t->thread_ = std::thread([p = t.get()] { p->Loop(); });
  } catch (const std::system_error&) {
    return ResourceExhaustedError("card store: cannot start the completion thread");
  }
  return t;
}

CompletionThread::~CompletionThread() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();  // not if Start failed to start it
}

void CompletionThread::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(fn));
  }
  cv_.notify_one();  // no system call while the loop is busy (no waiter)
}

void CompletionThread::Loop() {
  std::deque<std::function<void()>> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything posted has run
      batch.swap(queue_);  // no allocation: nothing here can throw
    }
    for (auto& fn : batch) {
      try {
        fn();
      } catch (...) {
        // A callback must not take the thread (and every later one) down.
      }
    }
    batch.clear();
  }
}

}  // namespace kura::vault
