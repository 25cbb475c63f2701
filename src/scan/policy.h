// The segmentation policy: named segments and the expectations between them
// (PCI DSS 11.4.5). Read from TOML:
//
//   [policy]
//   name = "issuer segmentation"          # optional
//
//   [segments.cde]
//   cidrs = ["10.42.0.0/16"]
//   hosts = ["10.42.1.10"]                # the scan targets in this segment
//
//   [segments.corp]
//   cidrs = ["172.30.0.0/16"]
//   hosts = ["172.30.1.10"]
//
//   [[expect]]                            # corp -> cde: deny all
//   from = "corp"
//   to = "cde"
//
//   [[expect]]                            # cde -> corp: allow tcp/443 only
//   from = "cde"
//   to = "corp"
//   allow = ["tcp/443", "udp/53"]
//
// An expectation denies every flow from `from` to `to` except those listed
// in `allow` ("tcp/443", "udp/53", "tcp/8000-8100").
//
// Errors are kInvalidArgument and name the file and line ("policy.toml:7:
// key 'segments.cde.hosts': host is outside the segment's CIDRs").
//
// Thread safety: a Policy is an immutable value once loaded.
#ifndef KURA_SCAN_POLICY_H_
#define KURA_SCAN_POLICY_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/fs/file_system.h"
#include "scan/cidr.h"
#include "scan/port_set.h"

namespace kura::scan {

// Limits against a mistaken or hostile policy file.
inline constexpr size_t kMaxSegments = 64;
inline constexpr size_t kMaxCidrsPerSegment = 256;
inline constexpr size_t kMaxHostsPerSegment = 1024;
inline constexpr size_t kMaxExpectations = 256;

struct Segment {
  std::string name;
  std::vector<Cidr> cidrs;
  std::vector<Ipv4> hosts;  // explicit scan targets; each inside `cidrs`

  bool Contains(Ipv4 a) const;
};

struct Expectation {
  std::string from;
  std::string to;
  PortSet allow_tcp;
  PortSet allow_udp;
  std::vector<std::string> allow_text;  // as written, for reports

  // "corp -> cde: deny all" / "cde -> corp: allow tcp/443; deny all else".
  std::string Describe() const;
};

struct Policy {
  std::string name;
  std::vector<Segment> segments;
  std::vector<Expectation> expectations;
  // Lower-case hex SHA-256 of the policy file's exact bytes; scan results
  // carry it so merge can prove they were run against this policy.
  std::string sha256_hex;

  // nullptr if no segment is called `name`.
  const Segment* FindSegment(std::string_view name) const;
  // The segment whose CIDRs contain `a` (segments never overlap), if any.
  const Segment* SegmentOf(Ipv4 a) const;
};

// Parses policy text; `source_name` prefixes errors. kInvalidArgument with
// file:line on any syntax, type or semantic error (unknown segment, host
// outside its CIDRs, overlapping segments, malformed allow entry, unknown key).
Result<Policy> ParsePolicy(std::string_view text, std::string source_name);

// Reads `path` through `fs` then ParsePolicy. Errors: FileSystem::ReadFile's
// (kNotFound, ...) or ParsePolicy's.
Result<Policy> LoadPolicy(FileSystem& fs, const std::string& path);

}  // namespace kura::scan

#endif  // KURA_SCAN_POLICY_H_
