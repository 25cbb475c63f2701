#include "core/base/random.h"

#include <openssl/rand.h>

#include <limits>

namespace kura {

Result<uint64_t> Random::Uniform(uint64_t bound) {
  if (bound == 0) return InvalidArgumentError("Uniform: bound must be positive");
  // Rejection sampling avoids modulo bias.
  const uint64_t limit = std::numeric_limits<uint64_t>::max() -
                         (std::numeric_limits<uint64_t>::max() % bound);
  for (;;) {
    uint64_t v = 0;
    RETURN_IF_ERROR(Fill({reinterpret_cast<uint8_t*>(&v), sizeof v}));
    if (v < limit) return v % bound;
  }
}

Status OsRandom::Fill(std::span<uint8_t> out) {
  if (out.empty()) return OkStatus();
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    return InternalError("RAND_bytes failed");
  }
  return OkStatus();
}

Status SeededRandom::Fill(std::span<uint8_t> out) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& b : out) b = static_cast<uint8_t>(engine_() & 0xff);
  return OkStatus();
}

}  // namespace kura
