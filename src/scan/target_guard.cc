#include "scan/target_guard.h"

namespace kura::scan {

TargetGuard::TargetGuard(const Policy& policy) {
  for (const Segment& s : policy.segments) {
    allowed_.insert(allowed_.end(), s.cidrs.begin(), s.cidrs.end());
  }
}

Status TargetGuard::Check(Ipv4 target) const {
  for (const Cidr& c : allowed_) {
    if (c.Contains(target)) return OkStatus();
  }
  return PermissionDeniedError("refusing to scan " + FormatIpv4(target) +
                               ": outside every segment of the policy");
}

}  // namespace kura::scan
