#include "http/router.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "http/status.hpp"
#include "http/url.hpp"

namespace rendermart::http {
namespace {

// Bytes of randomness in request ids made when the transport supplied none.
constexpr std::size_t kRequestIdBytes = 8;

// The route label for requests served by the fallback handler (bounded metrics cardinality).
constexpr const char* kFallbackRoute = "fallback";

std::vector<std::string> split_path(std::string_view path) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::vector<std::string> segments;
  for (;;) {
    const auto slash = path.find('/');
    segments.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& path) {
  if (pattern.size() != path.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    // A parameter needs a value: "/images/" is not "/images/{id}" with an empty id.
    if (is_param(pattern[i]) ? path[i].empty() : pattern[i] != path[i]) return false;
  }
  return true;
}

// A literal segment beats a parameter at the first position where two patterns differ, so that
// /images/search wins over /images/{id}.
bool more_specific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const bool a_literal = !is_param(a[i]);
    if (a_literal != !is_param(b[i])) return a_literal;
  }
  return false;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Whether the entity-tag list of If-None-Match / If-Range names `etag` (given without quotes).
// Weak comparison ignores W/ prefixes; strong comparison never matches a weak tag.
bool etag_list_matches(std::string_view list, std::string_view etag, bool weak) {
  list = trim(list);
  if (list == "*") return true;
  std::size_t pos = 0;
  while (pos < list.size()) {
    while (pos < list.size() && (list[pos] == ' ' || list[pos] == '\t' || list[pos] == ',')) ++pos;
    if (pos >= list.size()) break;
    bool is_weak = false;
    if (list.compare(pos, 2, "W/") == 0) {
      is_weak = true;
      pos += 2;
    }
    if (pos >= list.size() || list[pos] != '"') return false;  // malformed: nothing matches
    const auto close = list.find('"', pos + 1);
    if (close == std::string_view::npos) return false;
    const auto tag = list.substr(pos + 1, close - pos - 1);
    if (tag == etag && (weak || !is_weak)) return true;
    pos = close + 1;
  }
  return false;
}

std::optional<std::uint64_t> parse_digits(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

enum class RangeKind { ignore, unsatisfiable, partial };

struct ByteRange {
  RangeKind kind = RangeKind::ignore;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

// One Range header against a representation of `length` bytes. Syntax errors and unknown units
// are ignored (RFC 9110 14.2), and so are multiple ranges: a full 200 answers them correctly
// without multipart bodies.
ByteRange parse_range(std::string_view header, std::uint64_t length) {
  header = trim(header);
  constexpr std::string_view kPrefix = "bytes=";
  if (header.size() < kPrefix.size()) return {};
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kPrefix[i]) return {};
  }
  const auto spec = trim(header.substr(kPrefix.size()));
  if (spec.find(',') != std::string_view::npos) return {};
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  const auto first_text = trim(spec.substr(0, dash));
  const auto last_text = trim(spec.substr(dash + 1));

  if (first_text.empty()) {  // suffix: the last n bytes
    const auto n = parse_digits(last_text);
    if (!n) return {};
    if (*n == 0 || length == 0) return {RangeKind::unsatisfiable};
    return {RangeKind::partial, length - std::min(*n, length), length - 1};
  }
  const auto first = parse_digits(first_text);
  if (!first) return {};
  std::uint64_t last = length == 0 ? 0 : length - 1;
  if (!last_text.empty()) {
    const auto parsed = parse_digits(last_text);
    if (!parsed || *parsed < *first) return {};
    last = std::min(*parsed, last);
  }
  if (*first >= length) return {RangeKind::unsatisfiable};
  return {RangeKind::partial, *first, last};
}

// ETag, If-None-Match and Range for successful responses that declare an etag or byte ranges.
void apply_conditional(const Request& request, Response& response) {
  if (response.status != 200 || response.events) return;
  if (response.etag.empty() && !response.accept_ranges) return;
  if (!response.etag.empty()) response.set_header("ETag", "\"" + response.etag + "\"");
  if (response.accept_ranges) response.set_header("Accept-Ranges", "bytes");

  if (!response.etag.empty()) {
    if (const auto inm = request.header("if-none-match");
        inm && etag_list_matches(*inm, response.etag, true)) {
      response.status = 304;
      response.body.clear();
      return;
    }
  }
  // Range is defined for GET only; HEAD describes the full representation.
  if (!response.accept_ranges || request.method != Method::GET) return;
  const auto range_header = request.header("range");
  if (!range_header) return;
  // If-Range: serve the range only if the client's copy is current. We have no Last-Modified,
  // so a date there cannot be validated and the full representation is the safe answer.
  if (const auto if_range = request.header("if-range");
      if_range && (response.etag.empty() || !etag_list_matches(*if_range, response.etag, false))) {
    return;
  }
  const std::uint64_t length = response.body.size();
  const auto range = parse_range(*range_header, length);
  switch (range.kind) {
    case RangeKind::ignore: return;
    case RangeKind::unsatisfiable: {
      auto headers = std::move(response.headers);
      response = error_response(
          Error(ErrorCode::range_not_satisfiable, "the requested range is not satisfiable"));
      for (auto& [name, value] : headers) {
        if (name == "ETag" || name == "Accept-Ranges") response.set_header(name, value);
      }
      response.set_header("Content-Range", "bytes */" + std::to_string(length));
      return;
    }
    case RangeKind::partial:
      response.status = 206;
      response.body = response.body.substr(range.first, range.last - range.first + 1);
      response.set_header("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                               std::to_string(range.last) + "/" +
                                               std::to_string(length));
      return;
  }
}

std::string allow_header(const std::set<Method>& methods) {
  std::string allow;
  for (auto method : methods) {
    if (!allow.empty()) allow += ", ";
    allow += to_string(method);
  }
  return allow;
}

Response internal_error(const Request& request) {
  return error_response(
      Error(ErrorCode::internal, "internal error (request id " + request.request_id + ")"));
}

}  // namespace

void Router::add(Method method, std::string pattern, Handler handler) {
  auto segments = split_path(pattern);
  routes_.push_back({method, std::move(pattern), std::move(segments), std::move(handler)});
}

void Router::set_fallback(Handler handler) { fallback_ = std::move(handler); }

void Router::set_guard(Guard guard) { guard_ = std::move(guard); }

void Router::set_finisher(std::function<void(const Request&, Response&)> finisher) {
  finisher_ = std::move(finisher);
}

Response Router::dispatch(Request& request) const {
  // Match on the raw path so that an encoded "/" (%2F) stays inside its segment.
  std::string_view raw_path = request.path;
  if (!request.target.empty()) {
    raw_path = std::string_view(request.target).substr(0, request.target.find('?'));
  }
  std::vector<std::string> segments;
  for (const auto& raw : split_path(raw_path)) {
    auto decoded = percent_decode(raw);
    if (!decoded) {
      throw Error(ErrorCode::invalid_argument, "malformed percent-encoding in the path", "path");
    }
    segments.push_back(std::move(*decoded));
  }

  const Route* best = nullptr;
  const Route* best_get = nullptr;  // HEAD falls back to GET
  std::set<Method> allowed;
  for (const auto& route : routes_) {
    if (!matches(route.segments, segments)) continue;
    allowed.insert(route.method);
    if (route.method == Method::GET) allowed.insert(Method::HEAD);
    if (route.method == request.method &&
        (!best || more_specific(route.segments, best->segments))) {
      best = &route;
    }
    if (route.method == Method::GET &&
        (!best_get || more_specific(route.segments, best_get->segments))) {
      best_get = &route;
    }
  }
  if (!best && request.method == Method::HEAD) best = best_get;

  if (best) {
    request.route = best->pattern;
    request.params.clear();
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const auto& segment = best->segments[i];
      if (is_param(segment)) request.params[segment.substr(1, segment.size() - 2)] = segments[i];
    }
    if (guard_) guard_(request);
    return best->handler(request);
  }
  if (!allowed.empty()) {
    auto response = error_response(
        Error(ErrorCode::method_not_allowed,
              std::string("method ") + to_string(request.method) + " is not allowed on this path"));
    response.set_header("Allow", allow_header(allowed));
    return response;
  }
  if (fallback_ && (request.method == Method::GET || request.method == Method::HEAD)) {
    request.route = kFallbackRoute;
    return fallback_(request);
  }
  return error_response(Error(ErrorCode::not_found, "no route for " + request.path));
}

Response Router::handle(Request& request) const {
  if (request.request_id.empty()) request.request_id = random_hex(kRequestIdBytes);
  Response response;
  try {
    response = dispatch(request);
    apply_conditional(request, response);
  } catch (const Error& error) {
    if (error.code() == ErrorCode::internal) {
      // Internal messages describe bugs, not the client's request: log them, do not send them.
      spdlog::error("internal error in {} {} (request id {}): {}", to_string(request.method),
                    request.path, request.request_id, error.what());
      response = internal_error(request);
    } else {
      response = error_response(error);
    }
  } catch (const std::exception& error) {
    spdlog::error("unhandled exception in {} {} (request id {}): {}", to_string(request.method),
                  request.path, request.request_id, error.what());
    response = internal_error(request);
  } catch (...) {
    spdlog::error("unhandled non-standard exception in {} {} (request id {})",
                  to_string(request.method), request.path, request.request_id);
    response = internal_error(request);
  }

  if (request.method == Method::HEAD) {
    if (response.events) {
      // Nobody will read the stream: let the producer go at once.
      response.events->disconnected();
      response.events.reset();
    }
    // HEAD answers with the headers GET would send, Content-Length included.
    if (response.status != 304 && response.status != 204) {
      response.set_header("Content-Length", std::to_string(response.body.size()));
    }
    response.body.clear();
  }
  response.set_header("X-Request-Id", request.request_id);
  finish(request, response);
  return response;
}

void Router::finish(const Request& request, Response& response) const {
  if (finisher_) finisher_(request, response);
}

}  // namespace rendermart::http
