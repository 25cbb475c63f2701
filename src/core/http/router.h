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
// A route added with RouteMode::kInline declares that its handler is short
// and never waits for other requests; AsInlinePolicy() then lets HttpServer
// run it on the I/O thread, saving two thread hand-offs per request. The
// router's own 404/405 answers are inline too. Routes default to kMayBlock
// (handler pool). A route added with AddDeferred answers through a
// Responder (see DeferredHandler): with AsDeferredHandler/AsDeferredPolicy
// HttpServer runs it on the I/O thread and no thread waits for its answer.
//
// Thread safety: Add() must complete before the first Dispatch(); after
// that Dispatch() may be called concurrently.
#ifndef KURA_CORE_HTTP_ROUTER_H_
#define KURA_CORE_HTTP_ROUTER_H_

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/http/http_types.h"

namespace kura::http {

enum class RouteMode {
  kMayBlock,  // runs on the server's handler pool (the default)
  kInline,    // short and non-blocking: may run on the I/O thread
};

class Router {
 public:
  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Registers `handler` for `method` (upper case) and `pattern` (must start
  // with '/'). A later registration of the same method+pattern shadows
  // nothing: the earlier one keeps winning ties, so don't register twice.
  void Add(std::string method, std::string pattern, Handler handler,
           RouteMode mode = RouteMode::kMayBlock);

  // Registers a deferred route (see DeferredHandler).
  void AddDeferred(std::string method, std::string pattern, DeferredHandler handler);

  // Routes `request` by request.method and request.path, filling
  // request.path_params, and returns the handler's response. Never throws
  // unless the handler does.
  //   no pattern matches the path      -> 404 JSON error "not_found"
  //   patterns match, none for method  -> 405 JSON error "method_not_allowed"
  //                                       with an Allow header (sorted list)
  // A deferred route's handler is called with a Responder, and Dispatch
  // waits for its answer (for callers without deferred support).
  HttpResponse Dispatch(HttpRequest& request) const;

  // True if `request` goes to a deferred route.
  bool IsDeferred(const HttpRequest& request) const;
  // Routes `request` (fills path_params) to its deferred route's handler.
  // For a request that does not go to one (IsDeferred false), answers
  // through `responder` what Dispatch would.
  void DispatchDeferred(HttpRequest& request, Responder responder) const;
  // For HttpServer: a DeferredHandler that calls DispatchDeferred, and a
  // DeferredPolicy that calls IsDeferred. The
  // Router must outlive every use of them.
  DeferredHandler AsDeferredHandler() const;
  DeferredPolicy AsDeferredPolicy() const;

  // A Handler for HttpServer that copies the request and dispatches it.
  // The Router must outlive every use of the returned handler.
  Handler AsHandler() const;

  // True if Dispatch(request) would run a kInline route's handler or answer
  // 404/405 itself; false if it would run a kMayBlock route's handler.
  bool RunsInline(const HttpRequest& request) const;

  // An InlinePolicy for HttpServer that calls RunsInline. The Router must
  // outlive every use of the returned policy.
  InlinePolicy AsInlinePolicy() const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    int literal_count = 0;
    Handler handler;           // empty for a deferred route
    DeferredHandler deferred;  // set for a deferred route
    RouteMode mode = RouteMode::kMayBlock;
  };

  void AddRoute(std::string method, std::string_view pattern, Route route);
  // The route for `request` (path_params filled), or nullptr with *answer
  // set to the router's own 404/405.
  const Route* Resolve(HttpRequest& request, HttpResponse* answer) const;

  // The best route for `method` and `parts`, or nullptr; `allowed` (if not
  // null) collects the methods of every route matching the path.
  const Route* Match(std::string_view method, const std::vector<std::string_view>& parts,
                     std::set<std::string>* allowed) const;
  std::vector<Route> routes_;
  // (method, segment count) of every deferred route: IsDeferred answers
  // most requests from this without matching their path.
  std::vector<std::pair<std::string, size_t>> deferred_shapes_;
};

}  // namespace kura::http

#endif  // KURA_CORE_HTTP_ROUTER_H_
