// The hash chain over the audit log store: h_i = SHA-256(h_{i-1} || bytes_i),
// h_0 = 32 zero bytes (before record 1). Changing, removing, inserting or
// reordering any record changes every later link.
//
// Thread safety: plain data and free functions.
#ifndef KURA_LOGS_RECORD_CHAIN_H_
#define KURA_LOGS_RECORD_CHAIN_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/crypto/hash.h"

namespace kura::logs {

using ChainHash = crypto::Digest256;

// h_0: the link before the first record of a store.
inline constexpr ChainHash kGenesisChainHash{};

// h_i = SHA-256(prev || record_bytes).
ChainHash NextChainHash(const ChainHash& prev, std::string_view record_bytes);

// NextChainHash for many records: keeps one digest context (no context set
// up per record, no copy of the record). Thread-compatible: one thread at a
// time per object.
class ChainHasher {
 public:
  ChainHash Next(const ChainHash& prev, std::string_view record_bytes);

 private:
  crypto::Sha256Hasher hasher_;
  bool fresh_ = true;  // hasher_ is initialised and unused
};

// Lower-case hex of a link (64 characters), and back (kInvalidArgument).
std::string ChainHashHex(const ChainHash& h);
Result<ChainHash> ChainHashFromHex(std::string_view hex);

// A record as it travels from the WAL to the archive: its stored bytes plus
// what the archive needs without parsing them.
struct ChainedRecord {
  uint64_t seq = 0;
  int64_t received_ms = 0;
  std::string bytes;  // EncodeRecord(...) of the record
  ChainHash chain{};  // h_seq
};

}  // namespace kura::logs

#endif  // KURA_LOGS_RECORD_CHAIN_H_
