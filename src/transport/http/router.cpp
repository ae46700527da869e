#include "svckit/transport/http/router.hpp"

#include <stdexcept>

namespace svckit::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_param(std::string_view seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

// Two patterns that match the same paths ("/a/{id}" and "/a/{x}") are the same route.
bool same_shape(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (is_param(a[i]) != is_param(b[i]) || (!is_param(a[i]) && a[i] != b[i])) return false;
  return true;
}

}  // namespace

Router& Router::add(Verb method, std::string_view pattern, Handler handler) {
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  Route r{method, {}, std::move(handler), std::string(beast_http::to_string(method)) + " " + std::string(pattern)};
  bool has_params = false;
  for (auto seg : split_path(pattern)) {
    if (seg.find_first_of("{}") != std::string_view::npos && !is_param(seg))
      throw std::invalid_argument("malformed route segment \"" + std::string(seg) + "\" in " + std::string(pattern));
    has_params = has_params || is_param(seg);
    r.segments.emplace_back(seg);
  }
  for (const auto& existing : routes_)
    if (existing.method == method && same_shape(existing.segments, r.segments))
      throw std::invalid_argument("duplicate route " + std::string(beast_http::to_string(method)) + " " +
                                  std::string(pattern));
  routes_.push_back(std::move(r));
  const std::size_t idx = routes_.size() - 1;
  if (has_params) {
    patterned_.push_back(idx);
  } else {
    std::string key;
    for (const auto& s : routes_[idx].segments) key += "/" + s;
    if (key.empty()) key = "/";
    literal_[key].push_back(idx);
  }
  return *this;
}

Router::Match Router::match(Verb method, std::string_view path,
                            std::vector<std::pair<std::string, std::string>>& params) const {
  Match m;
  m.status = 404;
  auto note_allow = [&m](Verb v) {
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += beast_http::to_string(v);
    m.status = 405;
  };

  // Fast path: literal routes. Normalise a trailing slash away ("/users/" is "/users").
  std::string_view key = path;
  while (key.size() > 1 && key.back() == '/') key.remove_suffix(1);
  if (auto it = literal_.find(std::string(key)); it != literal_.end()) {
    for (auto idx : it->second) {
      if (routes_[idx].method == method) {
        m.handler = &routes_[idx].handler;
        m.route = &routes_[idx].name;
        m.status = 200;
        return m;
      }
      note_allow(routes_[idx].method);
    }
  }

  if (patterned_.empty()) return m;
  auto segs = split_path(path);
  for (auto idx : patterned_) {
    const auto& r = routes_[idx];
    if (r.segments.size() != segs.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < segs.size() && same; ++i)
      same = is_param(r.segments[i]) || r.segments[i] == segs[i];
    if (!same) continue;
    if (r.method != method) {
      note_allow(r.method);
      continue;
    }
    params.clear();
    for (std::size_t i = 0; i < segs.size(); ++i)
      if (is_param(r.segments[i]))
        params.emplace_back(r.segments[i].substr(1, r.segments[i].size() - 2), std::string(segs[i]));
    m.handler = &r.handler;
    m.route = &r.name;
    m.status = 200;
    m.allow.clear();
    return m;
  }
  return m;
}

}  // namespace svckit::http
