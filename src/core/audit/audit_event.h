// AuditEvent: one security-relevant action, as recorded by AuditLog
// (PCI DSS 10.2.2: user, type, date/time, success/failure, origin, affected
// resource). The wire format and the list of event types are in
// docs/audit-events.md.
//
// Fields are plain data; AuditLog adds time, sequence number, service and
// node, and masks anything that looks like a card number. Never put a key,
// secret, OTP or token value in any field: the PAN guard only knows PANs.
#ifndef KURA_CORE_AUDIT_AUDIT_EVENT_H_
#define KURA_CORE_AUDIT_AUDIT_EVENT_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kura {

inline constexpr std::string_view kAuditSuccess = "success";
inline constexpr std::string_view kAuditFailure = "failure";

struct AuditEvent {
  // Dotted event type, e.g. "card.reveal". Required.
  std::string type;
  // kAuditSuccess or kAuditFailure. Required; a refused request is a
  // "failure" with a `reason`.
  std::string outcome;
  // Who acted: user, API key id or service identity; "" if unknown (e.g.
  // failed authentication before an identity was established).
  std::string principal;
  // Where the request came from: peer address ("10.0.0.5:51234") or
  // "local" for the CLI.
  std::string origin;
  // What was affected: a token, key id, file, ... ("" if none).
  std::string resource;
  // Why it failed, or other short explanation; omitted from the line if "".
  std::string reason;
  // Extra key/value pairs, written as a JSON object in this order; omitted
  // if empty.
  std::vector<std::pair<std::string, std::string>> details;
};

}  // namespace kura

#endif  // KURA_CORE_AUDIT_AUDIT_EVENT_H_
