#include "core/http/http_types.h"

#include <algorithm>
#include <cctype>

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

}  // namespace kura::http
