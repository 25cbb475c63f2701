// Test helpers: chained records with realistic contents.
#ifndef KURA_LOGS_SEGMENT_SEGMENT_TEST_UTIL_H_
#define KURA_LOGS_SEGMENT_SEGMENT_TEST_UTIL_H_

#include <string>
#include <vector>

#include "logs/record/chain.h"
#include "logs/record/log_record.h"

namespace kura::logs::testing {

// Base time of test records: 2026-01-01T00:00:00Z.
inline constexpr int64_t kTestEpochMs = 1767225600000;

// A record with seq `seq`, received at `received_ms`, principal/event/outcome
// as given and a message.
inline LogRecord MakeRecord(uint64_t seq, int64_t received_ms, std::string principal,
                            std::string event, std::string outcome, std::string message) {
  LogRecord r;
  r.seq = seq;
  r.received_ms = received_ms;
  r.ts_ms = received_ms;
  r.node = "logs-1";
  r.source = "http";
  r.service = "vault";
  r.event = std::move(event);
  r.outcome = std::move(outcome);
  r.principal = std::move(principal);
  r.origin = "10.0.0." + std::to_string(seq % 250) + ":5" + std::to_string(seq % 1000);
  r.resource = "tok_" + std::to_string(seq * 7919 % 100000);
  r.message = std::move(message);
  return r;
}

// Chains `records` starting after `prev` (genesis by default).
inline std::vector<ChainedRecord> Chain(const std::vector<LogRecord>& records,
                                        ChainHash prev = kGenesisChainHash) {
  std::vector<ChainedRecord> out;
  for (const LogRecord& r : records) {
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

// `n` varied records from seq `first`, one every `step_ms` from `start_ms`.
inline std::vector<ChainedRecord> MakeChainedRecords(uint64_t first, size_t n, int64_t start_ms,
                                                     int64_t step_ms = 1000) {
  static const char* const kPrincipals[] = {"alice", "bob", "carol", "dave", "erin"};
  static const char* const kEvents[] = {"card.reveal", "card.tokenize", "auth.login",
                                        "key.rotate"};
  std::vector<LogRecord> records;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t seq = first + i;
    records.push_back(MakeRecord(seq, start_ms + static_cast<int64_t>(i) * step_ms,
                                 kPrincipals[seq % 5], kEvents[seq % 4],
                                 seq % 7 == 0 ? "failure" : "success",
                                 "Request " + std::to_string(seq) + " handled by worker " +
                                     std::to_string(seq % 3)));
  }
  return Chain(records);
}

}  // namespace kura::logs::testing

#endif  // KURA_LOGS_SEGMENT_SEGMENT_TEST_UTIL_H_
