// TargetGuard: the scanner's hard limit on where it may send packets.
//
// Built from the policy; a target is allowed only if it lies inside one of
// the policy's segments. The scanner asks the guard before every connect(),
// so an address outside the policy is refused before any packet leaves.
//
// Thread safety: immutable after construction; safe to share.
#ifndef KURA_SCAN_TARGET_GUARD_H_
#define KURA_SCAN_TARGET_GUARD_H_

#include <vector>

#include "core/base/status.h"
#include "scan/cidr.h"
#include "scan/policy.h"

namespace kura::scan {

class TargetGuard {
 public:
  explicit TargetGuard(const Policy& policy);
  explicit TargetGuard(std::vector<Cidr> allowed) : allowed_(std::move(allowed)) {}

  // OK iff `target` is inside an allowed CIDR; otherwise kPermissionDenied
  // naming the address (addresses are not secret).
  Status Check(Ipv4 target) const;

 private:
  std::vector<Cidr> allowed_;
};

}  // namespace kura::scan

#endif  // KURA_SCAN_TARGET_GUARD_H_
