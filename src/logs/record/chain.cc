#include "logs/record/chain.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "core/crypto/encoding.h"

namespace kura::logs {

ChainHash NextChainHash(const ChainHash& prev, std::string_view record_bytes) {
  // Most records are small: one-shot hashing of a stack copy avoids creating
  // a digest context per record on the ingest hot path.
  constexpr size_t kStackLimit = 4096;
  if (record_bytes.size() <= kStackLimit - prev.size()) {
    std::array<uint8_t, kStackLimit> buf;
    // memcpy: std::copy from char to uint8_t compiles to a byte loop.
    std::memcpy(buf.data(), prev.data(), prev.size());
    std::memcpy(buf.data() + prev.size(), record_bytes.data(), record_bytes.size());
    return crypto::Sha256(std::span<const uint8_t>(buf.data(), prev.size() + record_bytes.size()));
  }
  return ChainHasher().Next(prev, record_bytes);
}

ChainHash ChainHasher::Next(const ChainHash& prev, std::string_view record_bytes) {
  if (!fresh_) hasher_.Reset();
  fresh_ = false;
  hasher_.Update(std::span<const uint8_t>(prev.data(), prev.size()));
  hasher_.Update(record_bytes);
  return hasher_.Finish();
}

std::string ChainHashHex(const ChainHash& h) {
  return crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

Result<ChainHash> ChainHashFromHex(std::string_view hex) {
  auto raw = crypto::HexDecode(hex);
  if (!raw.ok() || raw->size() != 32) {
    return InvalidArgumentError("chain hash must be 64 hex characters");
  }
  ChainHash h;
  std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}

}  // namespace kura::logs
