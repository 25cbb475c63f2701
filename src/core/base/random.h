// Random: the only source of randomness in Kura.
//
// OsRandom draws from OpenSSL's CSPRNG (RAND_bytes, seeded by the kernel).
// Tests may inject SeededRandom to make token and nonce sequences repeatable;
// it is NOT cryptographically secure and main() never constructs it.
//
// Thread safety: implementations are safe for concurrent use.
#ifndef KURA_CORE_BASE_RANDOM_H_
#define KURA_CORE_BASE_RANDOM_H_

#include <cstdint>
#include <mutex>
#include <random>
#include <span>

#include "core/base/status.h"

namespace kura {

class Random {
 public:
  virtual ~Random() = default;
  // Fills `out` with random bytes. Fails only if the generator fails (then
  // callers must not proceed: a fixed nonce or key would be catastrophic).
  virtual Status Fill(std::span<uint8_t> out) = 0;
  // A uniformly distributed integer in [0, bound). bound must be > 0.
  Result<uint64_t> Uniform(uint64_t bound);
};

class OsRandom final : public Random {
 public:
  Status Fill(std::span<uint8_t> out) override;
};

// Deterministic, for tests only.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}
  Status Fill(std::span<uint8_t> out) override;

 private:
  std::mutex mu_;
  std::mt19937_64 engine_;
};

}  // namespace kura

#endif  // KURA_CORE_BASE_RANDOM_H_
