// ScanResult: what one scanner host found, as a signed JSON document.
//
// File format (kura-scan-result/1):
//   {
//     "result": {
//       "format": "kura-scan-result/1",
//       "started": "2026-...Z", "finished": "2026-...Z",
//       "scanner": {"segment": "corp", "address": "172.30.1.10", "hostname": "..."},
//       "policy_sha256": "<hex of the policy file>",
//       "methodology": {"tcp": "connect", "attempts_before_filtered": 2, "ports": "1-65535",
//                       "max_rate": 0, "max_in_flight": 4096, "srtt_us": 80,
//                       "timeout_ms": 100, "probes_sent": 131070, "elapsed_ms": 5000,
//                       "udp": "service probes, 2 attempts, timeout 200 ms"},
//       "flows": [{"to_segment": "cde", "dst": "10.42.1.10", "proto": "tcp",
//                  "open": "5432", "closed": "22,3389", "filtered": "1-21,23-3388,...",
//                  "open_filtered": ""},
//                 {"to_segment": "cde", "dst": "10.42.1.10", "proto": "udp", "open": "",
//                  "closed": "162", "filtered": "", "open_filtered": "53,69,123,..."}]
//     },
//     "signature": {"alg": "Ed25519", "public_key": "<base64 raw 32 bytes>",
//                   "value": "<base64 64 bytes>"}
//   }
// Every probed flow appears in exactly one of the four classes (port
// ranges keep a full 65,535-port scan small). The signature covers the
// exact bytes of boost::json::serialize(result) — serialisation of a parsed
// object is deterministic (keys keep their order; only integers and strings
// are used), so a verifier re-serialises the parsed "result" to check it.
//
// Thread safety: values and free functions; no shared state.
#ifndef KURA_SCAN_SCAN_RESULT_H_
#define KURA_SCAN_SCAN_RESULT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/crypto/ed25519.h"
#include "scan/port_set.h"

namespace kura::scan {

inline constexpr std::string_view kScanResultFormat = "kura-scan-result/1";
// Larger result files are refused before parsing.
inline constexpr size_t kMaxResultFileBytes = 16 << 20;

struct FlowGroup {
  std::string to_segment;
  std::string dst;            // dotted quad
  std::string proto = "tcp";  // "tcp" or "udp"
  PortSet open;
  PortSet closed;
  PortSet filtered;
  PortSet open_filtered;      // UDP only: no reply to any attempt
};

struct Methodology {
  std::string tcp = "connect";
  int attempts_before_filtered = 2;
  std::string ports;
  int64_t max_rate = 0;
  int64_t max_in_flight = 0;
  int64_t srtt_us = 0;
  int64_t timeout_ms = 0;
  int64_t probes_sent = 0;
  int64_t elapsed_ms = 0;
  std::string udp = "not probed";
};

struct ScanResult {
  std::string started;
  std::string finished;
  std::string scanner_segment;
  std::string scanner_address;
  std::string scanner_hostname;
  std::string policy_sha256;
  Methodology method;
  std::vector<FlowGroup> flows;
};

struct VerifiedResult {
  ScanResult result;
  std::string signer_public_key_b64;  // the trusted key that verified it
  std::string source;                 // file name, for reports
};

// Serialises `r`, signs it with `key` and returns the file text.
// Errors: kInternal if signing fails.
Result<std::string> SignScanResult(const ScanResult& r, const crypto::Ed25519PrivateKey& key);

// Parses a result file and verifies its signature against `trusted` keys.
// Errors: kInvalidArgument for malformed JSON / fields (too large, wrong
// format, bad port ranges); kUnauthenticated if the embedded key is not one
// of `trusted` or the signature does not verify (tampered content).
Result<VerifiedResult> VerifyScanResult(std::string_view text,
                                        const std::vector<crypto::Ed25519PublicKey>& trusted);

}  // namespace kura::scan

#endif  // KURA_SCAN_SCAN_RESULT_H_
