#include "http/message.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"

namespace rendermart::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<std::string> find_header(
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(Method method) {
  switch (method) {
    case Method::GET: return "GET";
    case Method::HEAD: return "HEAD";
    case Method::POST: return "POST";
    case Method::PUT: return "PUT";
    case Method::PATCH: return "PATCH";
    case Method::DELETE_: return "DELETE";
    case Method::OPTIONS: return "OPTIONS";
  }
  return "GET";
}

std::optional<Method> method_from_string(std::string_view text) {
  for (auto method : {Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH,
                      Method::DELETE_, Method::OPTIONS}) {
    if (text == to_string(method)) return method;
  }
  return std::nullopt;
}

std::optional<std::string> Request::header(std::string_view name) const {
  return find_header(headers, name);
}

std::optional<std::string> Request::query_param(const std::string& name) const {
  const auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

const std::string& Request::param(const std::string& name) const {
  const auto it = params.find(name);
  // Handlers only ask for parameters of their own pattern, so a miss is a programming error.
  if (it == params.end()) {
    throw Error(ErrorCode::internal, "route " + route + " has no path parameter " + name);
  }
  return it->second;
}

void Response::set_header(std::string name, std::string value) {
  for (auto& [key, existing] : headers) {
    if (iequals(key, name)) {
      existing = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> Response::header(std::string_view name) const {
  return find_header(headers, name);
}

Response json_response(unsigned status, std::string json_text) {
  Response response;
  response.status = status;
  response.set_header("Content-Type", "application/json");
  response.body = std::move(json_text);
  return response;
}

}  // namespace rendermart::http
