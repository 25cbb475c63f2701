#include "logs/segment/tokens.h"

#include <cstring>

namespace kura::logs {
namespace {
constexpr uint64_t kFieldSeed = 0x6b7572612d666c64ULL;  // "kura-fld"
constexpr uint64_t kWordSeed = 0x6b7572612d77726fULL;   // "kura-wro"
}  // namespace

uint64_t Hash64(std::string_view data, uint64_t seed) {
  constexpr uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  uint64_t h = seed ^ (data.size() * m);
  const char* p = data.data();
  size_t n = data.size();
  while (n >= 8) {
    uint64_t k;
    std::memcpy(&k, p, 8);  // little-endian hosts only (x86-64, arm64)
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t k = 0;
    for (size_t i = 0; i < n; ++i) k |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    h ^= k;
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

uint64_t FieldTokenHash(size_t field_id, std::string_view value) {
  return Hash64(value, kFieldSeed + 0x9e3779b97f4a7c15ULL * (field_id + 1));
}

uint64_t WordTokenHash(std::string_view word) { return Hash64(word, kWordSeed); }

}  // namespace kura::logs
