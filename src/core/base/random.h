// Random: the only source of randomness in Kura.
//
// OsRandom draws from OpenSSL's CSPRNG (RAND_bytes, seeded by the kernel).
// Tests may inject SeededRandom to make token and nonce sequences repeatable;
// it is NOT cryptographically secure and main() never constructs it.
//
// Thread safety: implementations are safe for concurrent use.
#ifndef KURA_CORE_BASE_RANDOM_H_
#define KURA_CORE_BASE_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <random>
#include <span>
#include <vector>

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

// Draws `reserve` bytes from `source` in ONE call when constructed and
// serves Fill from them in order; once they are used up, Fill goes to
// `source` directly. For one operation that makes many small draws (a batch
// of nonces and token bits), where a generator call per draw costs more than
// the bytes. Bytes are wiped as they are handed out and the rest on
// destruction. Keep it local to that operation (never across a fork). If the
// initial draw fails, every Fill fails with that error. `source` must
// outlive it.
class BufferedRandom final : public Random {
 public:
  BufferedRandom(Random& source, size_t reserve);
  ~BufferedRandom() override;
  BufferedRandom(const BufferedRandom&) = delete;
  BufferedRandom& operator=(const BufferedRandom&) = delete;

  Status Fill(std::span<uint8_t> out) override;

 private:
  Random& source_;
  std::mutex mu_;
  std::vector<uint8_t> buffer_;  // GUARDED_BY(mu_)
  size_t next_ = 0;              // GUARDED_BY(mu_)
  Status status_;                // of the initial draw
};

}  // namespace kura

#endif  // KURA_CORE_BASE_RANDOM_H_
