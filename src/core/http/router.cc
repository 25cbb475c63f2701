#include "core/http/router.h"

#include <set>
#include <string_view>

#include "core/http/json_error.h"

namespace kura::http {
namespace {

bool IsParam(std::string_view segment) {
  return segment.size() >= 3 && segment.front() == '{' && segment.back() == '}';
}

// "/a/b" -> {"a","b"}; "/" -> {""}; "/a/" -> {"a",""}. Keeping empty
// segments makes trailing slashes significant.
std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const size_t slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler) {
  Route route;
  route.method = std::move(method);
  route.segments = SplitPath(pattern);
  for (const auto& segment : route.segments) {
    if (!IsParam(segment)) ++route.literal_count;
  }
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

HttpResponse Router::Dispatch(HttpRequest& request) const {
  if (request.path.empty() || request.path.front() != '/') {
    return JsonError(404, "not_found", "no such resource");
  }
  const std::vector<std::string> parts = SplitPath(request.path);
  const Route* best = nullptr;
  std::set<std::string> allowed;
  for (const Route& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    bool match = true;
    for (size_t i = 0; i < parts.size() && match; ++i) {
      const std::string& seg = route.segments[i];
      match = IsParam(seg) ? !parts[i].empty() : seg == parts[i];
    }
    if (!match) continue;
    allowed.insert(route.method);
    if (route.method != request.method) continue;
    if (best == nullptr || route.literal_count > best->literal_count) best = &route;
  }
  if (best == nullptr) {
    if (allowed.empty()) return JsonError(404, "not_found", "no such resource");
    HttpResponse response = JsonError(405, "method_not_allowed", "method not allowed");
    std::string allow;
    for (const auto& m : allowed) {
      if (!allow.empty()) allow += ", ";
      allow += m;
    }
    response.headers.emplace_back("Allow", std::move(allow));
    return response;
  }
  request.path_params.clear();
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& seg = best->segments[i];
    if (IsParam(seg)) request.path_params[seg.substr(1, seg.size() - 2)] = parts[i];
  }
  return best->handler(request);
}

Handler Router::AsHandler() const {
  return [this](const HttpRequest& request) {
    HttpRequest copy = request;
    return Dispatch(copy);
  };
}

}  // namespace kura::http
