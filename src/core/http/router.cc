#include "core/http/router.h"

#include <algorithm>
#include <future>
#include <set>
#include <string_view>
#include <utility>

#include "core/http/json_error.h"

namespace kura::http {
namespace {

bool IsParam(std::string_view segment) {
  return segment.size() >= 3 && segment.front() == '{' && segment.back() == '}';
}

// "/a/b" -> {"a","b"}; "/" -> {""}; "/a/" -> {"a",""}. Keeping empty
// segments makes trailing slashes significant. The views point into `path`.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool IsRoutable(const HttpRequest& request) {
  return !request.path.empty() && request.path.front() == '/';
}

}  // namespace

void Router::AddRoute(std::string method, std::string_view pattern, Route route) {
  route.method = std::move(method);
  for (std::string_view segment : SplitPath(pattern)) route.segments.emplace_back(segment);
  for (const auto& segment : route.segments) {
    if (!IsParam(segment)) ++route.literal_count;
  }
  routes_.push_back(std::move(route));
}

void Router::Add(std::string method, std::string pattern, Handler handler, RouteMode mode) {
  Route route;
  route.handler = std::move(handler);
  route.mode = mode;
  AddRoute(std::move(method), pattern, std::move(route));
}

void Router::AddDeferred(std::string method, std::string pattern, DeferredHandler handler) {
  Route route;
  route.deferred = std::move(handler);
  AddRoute(std::move(method), pattern, std::move(route));
  deferred_shapes_.emplace_back(routes_.back().method, routes_.back().segments.size());
}

const Router::Route* Router::Match(std::string_view method,
                                   const std::vector<std::string_view>& parts,
                                   std::set<std::string>* allowed) const {
  const Route* best = nullptr;
  for (const Route& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    bool match = true;
    for (size_t i = 0; i < parts.size() && match; ++i) {
      const std::string& seg = route.segments[i];
      match = IsParam(seg) ? !parts[i].empty() : seg == parts[i];
    }
    if (!match) continue;
    if (allowed != nullptr) allowed->insert(route.method);
    if (route.method != method) continue;
    if (best == nullptr || route.literal_count > best->literal_count) best = &route;
  }
  return best;
}

const Router::Route* Router::Resolve(HttpRequest& request, HttpResponse* answer) const {
  if (!IsRoutable(request)) {
    *answer = JsonError(404, "not_found", "no such resource");
    return nullptr;
  }
  const std::vector<std::string_view> parts = SplitPath(request.path);
  std::set<std::string> allowed;
  const Route* best = Match(request.method, parts, &allowed);
  if (best == nullptr) {
    if (allowed.empty()) {
      *answer = JsonError(404, "not_found", "no such resource");
      return nullptr;
    }
    *answer = JsonError(405, "method_not_allowed", "method not allowed");
    std::string allow;
    for (const auto& m : allowed) {
      if (!allow.empty()) allow += ", ";
      allow += m;
    }
    answer->headers.emplace_back("Allow", std::move(allow));
    return nullptr;
  }
  std::map<std::string, std::string> params;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& seg = best->segments[i];
    if (IsParam(seg)) params[seg.substr(1, seg.size() - 2)] = std::string(parts[i]);
  }
  request.path_params = std::move(params);
  return best;
}

HttpResponse Router::Dispatch(HttpRequest& request) const {
  HttpResponse answer;
  const Route* route = Resolve(request, &answer);
  if (route == nullptr) return answer;
  if (route->handler) return route->handler(request);
  // A deferred route called synchronously: wait for its Responder. The
  // promise is shared: a responder copy may outlive this call (answered
  // after a throw, say).
  auto built = std::make_shared<std::promise<std::function<HttpResponse()>>>();
  std::future<std::function<HttpResponse()>> result = built->get_future();
  route->deferred(request, Responder([built](std::function<HttpResponse()> build) {
    built->set_value(std::move(build));
  }));
  return result.get()();
}

bool Router::IsDeferred(const HttpRequest& request) const {
  if (!IsRoutable(request)) return false;
  // Every request goes through here: rule out most of them without
  // splitting the path (its segment count is its number of '/').
  const auto segments = static_cast<size_t>(std::count(request.path.begin(), request.path.end(), '/'));
  const bool may_be = std::any_of(deferred_shapes_.begin(), deferred_shapes_.end(),
                                  [&](const std::pair<std::string, size_t>& shape) {
                                    return shape.second == segments && shape.first == request.method;
                                  });
  if (!may_be) return false;
  const Route* best = Match(request.method, SplitPath(request.path), nullptr);
  return best != nullptr && best->deferred;
}

void Router::DispatchDeferred(HttpRequest& request, Responder responder) const {
  HttpResponse answer;
  const Route* route = Resolve(request, &answer);
  if (route == nullptr) return responder.Send(std::move(answer));
  if (route->deferred) return route->deferred(request, std::move(responder));
  responder.Send(route->handler(request));
}

bool Router::RunsInline(const HttpRequest& request) const {
  if (!IsRoutable(request)) return true;
  const Route* best = Match(request.method, SplitPath(request.path), nullptr);
  return best == nullptr || (best->handler && best->mode == RouteMode::kInline);
}

Handler Router::AsHandler() const {
  return [this](const HttpRequest& request) {
    HttpRequest copy = request;
    return Dispatch(copy);
  };
}

InlinePolicy Router::AsInlinePolicy() const {
  return [this](const HttpRequest& request) { return RunsInline(request); };
}

DeferredHandler Router::AsDeferredHandler() const {
  return [this](HttpRequest& request, Responder responder) {
    DispatchDeferred(request, std::move(responder));
  };
}

DeferredPolicy Router::AsDeferredPolicy() const {
  return [this](const HttpRequest& request) { return IsDeferred(request); };
}

}  // namespace kura::http
