// Await: the blocking form of a call that answers through a callback.
//
//   Result<int64_t> first = Await<Result<int64_t>>(
//       [&](auto done) { store.ReserveIdsAsync(n, std::move(done)); });
//
// `start` is given a callback taking a T and must arrange for it to be
// called exactly once, from any thread; Await returns that value. Never call
// it on the thread that would have to run the callback (it would wait for
// itself).
//
// Thread safety: as `start`.
#ifndef KURA_CORE_BASE_AWAIT_H_
#define KURA_CORE_BASE_AWAIT_H_

#include <functional>
#include <future>
#include <utility>

namespace kura {

template <typename T, typename Start>
T Await(Start&& start) {
  std::promise<T> promise;
  std::future<T> result = promise.get_future();
  std::forward<Start>(start)(
      std::function<void(T)>([&promise](T value) { promise.set_value(std::move(value)); }));
  return result.get();
}

}  // namespace kura

#endif  // KURA_CORE_BASE_AWAIT_H_
