#include "core/base/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/base/secret.h"

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

BufferedRandom::BufferedRandom(Random& source, size_t reserve) : source_(source), buffer_(reserve) {
  status_ = source_.Fill(buffer_);
  if (!status_.ok()) SecureZero(buffer_.data(), buffer_.size());
}

BufferedRandom::~BufferedRandom() { SecureZero(buffer_.data(), buffer_.size()); }

Status BufferedRandom::Fill(std::span<uint8_t> out) {
  if (!status_.ok()) return status_;
  const size_t n = std::min(out.size(), buffer_.size() - next_);
  if (n > 0) {
    std::memcpy(out.data(), buffer_.data() + next_, n);
    SecureZero(buffer_.data() + next_, n);
    next_ += n;
  }
  if (n < out.size()) return source_.Fill(out.subspan(n));
  return OkStatus();
}

PooledRandom::PooledRandom(Random& source, size_t pool_bytes)
    : source_(source), pool_(pool_bytes), next_(pool_bytes) {}  // drawn on first use

PooledRandom::~PooledRandom() { SecureZero(pool_.data(), pool_.size()); }

Status PooledRandom::Fill(std::span<uint8_t> out) {
  if (out.size() > pool_.size()) return source_.Fill(out);
  std::lock_guard<std::mutex> lock(mu_);
  size_t done = 0;
  while (done < out.size()) {
    if (next_ == pool_.size()) {
      if (Status s = source_.Fill(pool_); !s.ok()) {
        SecureZero(pool_.data(), pool_.size());
        SecureZero(out.data(), done);
        return s;
      }
      next_ = 0;
    }
    const size_t n = std::min(out.size() - done, pool_.size() - next_);
    std::memcpy(out.data() + done, pool_.data() + next_, n);
    SecureZero(pool_.data() + next_, n);
    next_ += n;
    done += n;
  }
  return OkStatus();
}

}  // namespace kura
