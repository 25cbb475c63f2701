// Request-target helpers: splitting path and query, percent-decoding.
//
// Thread safety: pure functions.
#ifndef KURA_CORE_HTTP_URL_H_
#define KURA_CORE_HTTP_URL_H_

#include <map>
#include <string>
#include <string_view>

namespace kura::http {

// Decodes %XX escapes; with `plus_is_space`, '+' becomes ' ' (form and
// query encoding). A malformed escape ("%4", "%zz") is kept literally rather
// than rejected: the result is only ever compared, never trusted.
std::string PercentDecode(std::string_view text, bool plus_is_space);

// "a=1&b=x%20y&flag" -> {a:"1", b:"x y", flag:""}. Empty pieces are
// skipped; a repeated name keeps its last value.
std::map<std::string, std::string> ParseQuery(std::string_view query);

// Splits a request target at the first '?': {"/v1/x", "a=1"}. The query is
// empty when there is no '?'. A fragment ('#...') is dropped.
struct SplitTarget {
  std::string_view path;
  std::string_view query;
};
SplitTarget SplitRequestTarget(std::string_view target);

}  // namespace kura::http

#endif  // KURA_CORE_HTTP_URL_H_
