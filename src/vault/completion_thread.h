// CompletionThread: runs callbacks on a thread of its own, one at a time, in
// the order they were posted.
//
// The card store's writer hands it the completions of each committed batch
// (waking callers: posting HTTP responses, resolving waits), so the writer
// starts its next transaction right after the commit instead of first
// waking every caller of the last one.
//
// Thread safety: Post may be called from any thread. Callbacks must not
// throw (an escaping exception is swallowed) and must not wait for work
// that is posted after them. The destructor runs everything posted before
// it, then joins the thread.
#ifndef KURA_VAULT_COMPLETION_THREAD_H_
#define KURA_VAULT_COMPLETION_THREAD_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "core/base/status.h"

namespace kura::vault {

class CompletionThread {
 public:
  // kResourceExhausted if the thread cannot start.
  static Result<std::unique_ptr<CompletionThread>> Start();

  CompletionThread(const CompletionThread&) = delete;
  CompletionThread& operator=(const CompletionThread&) = delete;
  ~CompletionThread();

  // Queues `fn` to run after everything posted before it.
  void Post(std::function<void()> fn);

 private:
  CompletionThread() = default;
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace kura::vault

#endif  // KURA_VAULT_COMPLETION_THREAD_H_
