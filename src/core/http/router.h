// Router: maps (method, path pattern) to handlers.
//
// Patterns are absolute paths split on '/'; a segment "{name}" matches any
// single non-empty segment and is captured into HttpRequest::path_params.
//   router.Add("GET",  "/v1/cards/{token}", get_card);
//   router.Add("POST", "/v1/cards/{token}/reveal", reveal);
// When several patterns match, the one with more literal segments wins
// ("/v1/cards/search" beats "/v1/cards/{token}"); ties go to the earliest.
// Trailing slashes are significant ("/v1/cards/" does not match
// "/v1/cards"). Path segments are compared as sent (not percent-decoded).
//
// Thread safety: Add() must complete before the first Dispatch(); after
// that Dispatch() may be called concurrently.
#ifndef KURA_CORE_HTTP_ROUTER_H_
#define KURA_CORE_HTTP_ROUTER_H_

#include <string>
#include <vector>

#include "core/http/http_types.h"

namespace kura::http {

class Router {
 public:
  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Registers `handler` for `method` (upper case) and `pattern` (must start
  // with '/'). A later registration of the same method+pattern shadows
  // nothing: the earlier one keeps winning ties, so don't register twice.
  void Add(std::string method, std::string pattern, Handler handler);

  // Routes `request` by request.method and request.path, filling
  // request.path_params, and returns the handler's response. Never throws
  // unless the handler does.
  //   no pattern matches the path      -> 404 JSON error "not_found"
  //   patterns match, none for method  -> 405 JSON error "method_not_allowed"
  //                                       with an Allow header (sorted list)
  HttpResponse Dispatch(HttpRequest& request) const;

  // A Handler for HttpServer that copies the request and dispatches it.
  // The Router must outlive every use of the returned handler.
  Handler AsHandler() const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    int literal_count = 0;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace kura::http

#endif  // KURA_CORE_HTTP_ROUTER_H_
