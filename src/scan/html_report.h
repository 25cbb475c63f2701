// The merge report as one self-contained HTML file a QSA can be handed:
// date, scope (segments and CIDRs), scanner locations, the policy and its
// hash, the method, per-scanner results, signatures and the verdicts.
// No scripts, no external resources; every value is HTML-escaped.
//
// Thread safety: a pure function.
#ifndef KURA_SCAN_HTML_REPORT_H_
#define KURA_SCAN_HTML_REPORT_H_

#include <string>
#include <string_view>

#include "scan/merge.h"
#include "scan/policy.h"

namespace kura::scan {

// `generated_at` is an RFC 3339 time (from the injected Clock).
std::string RenderHtmlReport(const Policy& policy, const MergeReport& report,
                             std::string_view generated_at);

// Escapes & < > " ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace kura::scan

#endif  // KURA_SCAN_HTML_REPORT_H_
