#include "core/http/http_types.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <utility>

#include "core/http/json_error.h"

namespace kura::http {

const std::string* HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return &value;
    }
  }
  return nullptr;
}

struct Responder::State {
  explicit State(Deliver d) : deliver(std::move(d)) {}
  ~State() {
    if (!sent.exchange(true) && deliver) {
      deliver([] { return InternalErrorResponse(); });
    }
  }
  const Deliver deliver;
  std::atomic<bool> sent{false};
};

Responder::Responder(Deliver deliver) : state_(std::make_shared<State>(std::move(deliver))) {}

void Responder::Send(std::function<HttpResponse()> build) const {
  if (!state_ || state_->sent.exchange(true)) return;
  if (state_->deliver) state_->deliver(std::move(build));
}

void Responder::Send(HttpResponse response) const {
  Send([r = std::move(response)]() mutable { return std::move(r); });
}

}  // namespace kura::http
