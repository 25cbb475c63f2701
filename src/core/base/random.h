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
// outlive it. Not thread-safe: one thread at a time (the operation's own; a
// lock per draw cost more than the draw).
class BufferedRandom final : public Random {
 public:
  BufferedRandom(Random& source, size_t reserve);
  ~BufferedRandom() override;
  BufferedRandom(const BufferedRandom&) = delete;
  BufferedRandom& operator=(const BufferedRandom&) = delete;

  Status Fill(std::span<uint8_t> out) override;

 private:
  Random& source_;
  std::vector<uint8_t> buffer_;
  size_t next_ = 0;  // buffer_[next_..] not handed out yet
  Status status_;    // of the initial draw
};

// Serves Fill from a pool of `pool_bytes` drawn from `source` in one call
// and draws the next pool when it runs out: one generator call per
// `pool_bytes` instead of one per Fill (a call to OpenSSL's DRBG costs
// microseconds, whatever its size). For the many small draws of a
// long-lived service whose bytes are public once used — nonces, token bits —
// never for keys, which draw from their source directly. Bytes are wiped as
// they are handed out and the rest on destruction. A Fill larger than the
// pool goes to `source`; a failed refill fails that Fill, and the next Fill
// tries again. Never use across a fork (a child would repeat the parent's
// pool). `source` must outlive it. Thread-safe.
class PooledRandom final : public Random {
 public:
  PooledRandom(Random& source, size_t pool_bytes);
  ~PooledRandom() override;
  PooledRandom(const PooledRandom&) = delete;
  PooledRandom& operator=(const PooledRandom&) = delete;

  Status Fill(std::span<uint8_t> out) override;

 private:
  Random& source_;
  std::mutex mu_;
  std::vector<uint8_t> pool_;  // GUARDED_BY(mu_)
  size_t next_;                // GUARDED_BY(mu_): pool_[next_..] not handed out yet
};

}  // namespace kura

#endif  // KURA_CORE_BASE_RANDOM_H_
