// Test helpers of the archive: chained records, a key, a temp dir.
#ifndef KURA_LOGS_ARCHIVE_ARCHIVE_TEST_UTIL_H_
#define KURA_LOGS_ARCHIVE_ARCHIVE_TEST_UTIL_H_

#include <stdlib.h>

#include <string>
#include <vector>

#include "core/crypto/ed25519.h"
#include "logs/archive/archive.h"
#include "logs/record/chain.h"
#include "logs/record/log_record.h"

namespace kura::logs::testing {

// 2026-01-01T00:00:00Z.
inline constexpr int64_t kDay0 = 1767225600000;

// `n` records from seq `first`, chained after `prev`, one every `step_ms`
// from `start_ms`.
inline std::vector<ChainedRecord> Records(uint64_t first, size_t n, int64_t start_ms,
                                          int64_t step_ms, ChainHash prev) {
  static const char* const kPrincipals[] = {"alice", "bob", "carol"};
  static const char* const kEvents[] = {"card.reveal", "card.tokenize", "auth.login"};
  std::vector<ChainedRecord> out;
  for (size_t i = 0; i < n; ++i) {
    LogRecord r;
    r.seq = first + i;
    r.received_ms = start_ms + static_cast<int64_t>(i) * step_ms;
    r.ts_ms = r.received_ms;
    r.node = "logs-1";
    r.source = "http";
    r.service = "vault";
    r.event = kEvents[r.seq % 3];
    r.outcome = r.seq % 5 == 0 ? "failure" : "success";
    r.principal = kPrincipals[r.seq % 3];
    r.resource = "tok_" + std::to_string(r.seq * 7919 % 100000);
    r.message = "request number " + std::to_string(r.seq);
    ChainedRecord c;
    c.seq = r.seq;
    c.received_ms = r.received_ms;
    c.bytes = EncodeRecord(r);
    c.chain = NextChainHash(prev, c.bytes);
    prev = c.chain;
    out.push_back(std::move(c));
  }
  return out;
}

// Records continuing `archive`'s tail.
inline std::vector<ChainedRecord> Continue(Archive& archive, size_t n, int64_t start_ms,
                                           int64_t step_ms = 1000) {
  Result<ArchiveTail> tail = archive.Tail();
  if (!tail.ok()) return {};
  return Records(tail->last_seq + 1, n, start_ms, step_ms, tail->last_chain);
}

inline crypto::Ed25519PrivateKey NewKey() { return *crypto::Ed25519PrivateKey::Generate(); }

inline std::string TempDir() {
  std::string dir = "/tmp/kura-archive-test-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return "";
  return dir;
}

}  // namespace kura::logs::testing

#endif  // KURA_LOGS_ARCHIVE_ARCHIVE_TEST_UTIL_H_
