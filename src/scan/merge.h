// Merge: combines verified scan results from several scanner hosts and
// gives one verdict per policy expectation.
//
// An expectation "from -> to, allow X" PASSes iff at least one result from
// a scanner in `from` covered the hosts of `to`, and no covered flow to a
// port outside X is open (TCP flows against X's tcp/ ports, UDP flows against
// its udp/ ports). "closed" (a RST or ICMP port unreachable, from the target
// or a REJECT rule), "filtered" and UDP "open|filtered" (no reply, which UDP
// cannot tell from a drop) count as blocked; they are listed, never hidden.
// A FAIL names every offending flow ("172.30.1.10 -> 10.42.1.10 tcp/5432
// open") or says the expectation was not tested.
//
// Thread safety: free functions over values.
#ifndef KURA_SCAN_MERGE_H_
#define KURA_SCAN_MERGE_H_

#include <string>
#include <vector>

#include "core/base/status.h"
#include "scan/policy.h"
#include "scan/scan_result.h"

namespace kura::scan {

struct ExpectationVerdict {
  std::string expectation;              // Expectation::Describe()
  bool pass = false;
  std::vector<std::string> offending;   // flows that violate it
  std::vector<std::string> scanners;    // "172.30.1.10 (corp)" that tested it
  std::string note;                     // e.g. "not tested", "ports 1-1024 only"
  int open = 0, closed = 0, filtered = 0, open_filtered = 0;  // probed flows by class
};

struct MergeReport {
  std::string policy_name;
  std::string policy_sha256;
  std::vector<VerifiedResult> results;
  std::vector<ExpectationVerdict> verdicts;
  bool pass = false;  // every verdict passes
};

// Errors: kFailedPrecondition if any result was run against another policy
// (hash mismatch) or names a scanner segment / address the policy does not
// have; kInvalidArgument if `results` is empty.
Result<MergeReport> MergeResults(const Policy& policy, std::vector<VerifiedResult> results);

// The report as JSON text (kura-scan-merge/1).
std::string MergeReportToJson(const MergeReport& report);

}  // namespace kura::scan

#endif  // KURA_SCAN_MERGE_H_
