#include "lambda/api_gateway.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "http/url.hpp"

namespace rendermart::lambda {
namespace {

using nlohmann::json;

// A field that is absent or null reads as empty: API Gateway sends null for empty maps.
const json& member(const json& object, const char* name) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(name);
  return it == object.end() ? kNull : *it;
}

std::string string_member(const json& object, const char* name) {
  const auto& value = member(object, name);
  return value.is_string() ? value.get<std::string>() : std::string();
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// HTTP APIs put a named stage in front of the path (/prod/api/v1/...); the routes know nothing
// of stages. "$default" has no prefix.
std::string strip_stage(std::string path, const std::string& stage) {
  if (stage.empty() || stage == "$default") return path;
  const std::string prefix = "/" + stage;
  if (path == prefix) return "/";
  if (path.rfind(prefix + "/", 0) == 0) return path.substr(prefix.size());
  return path;
}

void add_headers(const json& headers, http::Request& request) {
  if (!headers.is_object()) return;
  for (const auto& [name, value] : headers.items()) {
    if (value.is_string()) request.headers.emplace_back(lower(name), value.get<std::string>());
  }
}

void add_multi_value_headers(const json& headers, http::Request& request) {
  for (const auto& [name, values] : headers.items()) {
    if (!values.is_array()) continue;
    for (const auto& value : values) {
      if (value.is_string()) request.headers.emplace_back(lower(name), value.get<std::string>());
    }
  }
}

std::string body_of(const json& event, std::size_t max_body_bytes) {
  std::string body = string_member(event, "body");
  if (member(event, "isBase64Encoded") == true) {
    auto decoded = base64_decode(body);
    if (!decoded) throw invalid_argument("body", "the request body is not valid base64");
    body = std::move(*decoded);
  }
  if (body.size() > max_body_bytes) {
    throw Error(ErrorCode::payload_too_large,
                "the request body is larger than " + std::to_string(max_body_bytes) + " bytes");
  }
  return body;
}

http::Method method_of(const std::string& name) {
  const auto method = http::method_from_string(name);
  if (!method) {
    throw Error(ErrorCode::method_not_allowed, "method " + name + " is not supported");
  }
  return *method;
}

void set_path(http::Request& request, std::string path) {
  if (path.empty() || path.front() != '/') {
    throw invalid_argument("path", "the request path must start with /");
  }
  auto decoded = http::percent_decode(path);
  if (!decoded) throw invalid_argument("path", "malformed percent-encoding in the path");
  request.target = std::move(path);
  request.path = std::move(*decoded);
}

http::Request request_v2(const json& event) {
  const auto& context = member(event, "requestContext");
  const auto& http_context = member(context, "http");
  http::Request request;
  request.method = method_of(string_member(http_context, "method"));
  set_path(request, strip_stage(string_member(event, "rawPath"), string_member(context, "stage")));
  const auto raw_query = string_member(event, "rawQueryString");
  if (!raw_query.empty()) {
    request.query = http::parse_query(raw_query);
    request.target += "?" + raw_query;
  }
  add_headers(member(event, "headers"), request);
  // Format 2.0 moves the Cookie header into an array of "name=value" pairs.
  std::string cookies;
  for (const auto& cookie : member(event, "cookies")) {
    if (!cookie.is_string()) continue;
    if (!cookies.empty()) cookies += "; ";
    cookies += cookie.get<std::string>();
  }
  if (!cookies.empty()) {
    std::erase_if(request.headers, [](const auto& header) { return header.first == "cookie"; });
    request.headers.emplace_back("cookie", cookies);
  }
  request.remote_address = string_member(http_context, "sourceIp");
  request.scheme = "https";  // API Gateway serves HTTPS only
  request.local_address = string_member(context, "domainName");
  request.request_id = string_member(context, "requestId");
  return request;
}

http::Request request_v1(const json& event, PayloadVersion version) {
  const auto& context = member(event, "requestContext");
  http::Request request;
  request.method = method_of(string_member(event, "httpMethod"));
  auto path = string_member(event, "path");
  // REST APIs give the resource path without the stage; HTTP APIs prefix a named stage.
  if (version == PayloadVersion::http_v1) path = strip_stage(path, string_member(context, "stage"));
  set_path(request, std::move(path));
  // Values arrive decoded; the multi-value form keeps repeated parameters apart.
  const auto& multi_query = member(event, "multiValueQueryStringParameters");
  const auto& single_query = member(event, "queryStringParameters");
  if (multi_query.is_object()) {
    for (const auto& [name, values] : multi_query.items()) {
      if (!values.is_array()) continue;
      for (const auto& value : values) {
        if (value.is_string()) request.query.emplace(name, value.get<std::string>());
      }
    }
  } else if (single_query.is_object()) {
    for (const auto& [name, value] : single_query.items()) {
      if (value.is_string()) request.query.emplace(name, value.get<std::string>());
    }
  }
  const auto& multi_headers = member(event, "multiValueHeaders");
  if (multi_headers.is_object()) {
    add_multi_value_headers(multi_headers, request);
  } else {
    add_headers(member(event, "headers"), request);
  }
  request.remote_address = string_member(member(context, "identity"), "sourceIp");
  request.scheme = "https";
  request.local_address = string_member(context, "domainName");
  request.request_id = string_member(context, "requestId");
  return request;
}

bool is_textual(const http::Response& response) {
  // A compressed body (a precompressed file of the web app) is bytes, whatever its type says.
  if (const auto encoding = response.header("content-encoding");
      encoding && lower(*encoding) != "identity") {
    return false;
  }
  const auto type = lower(response.header("content-type").value_or(""));
  return type.empty() || type.rfind("text/", 0) == 0 || type.find("json") != std::string::npos ||
         type.find("xml") != std::string::npos || type.find("javascript") != std::string::npos;
}

// Header names in the order they first appear, each with all its values.
std::vector<std::pair<std::string, std::vector<std::string>>> grouped_headers(
    const http::Response& response) {
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  for (const auto& [name, value] : response.headers) {
    const auto key = lower(name);
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& group) { return lower(group.first) == key; });
    if (it == groups.end()) {
      groups.push_back({name, {value}});
    } else {
      it->second.push_back(value);
    }
  }
  return groups;
}

}  // namespace

PayloadVersion payload_version(const json& event) {
  if (!event.is_object()) throw InvalidEvent("the event is not a JSON object");
  const auto version = string_member(event, "version");
  if (version == "2.0") {
    if (!member(member(member(event, "requestContext"), "http"), "method").is_string() ||
        !member(event, "rawPath").is_string()) {
      throw InvalidEvent("a payload 2.0 event needs requestContext.http.method and rawPath");
    }
    return PayloadVersion::http_v2;
  }
  if (!version.empty() && version != "1.0") {
    throw InvalidEvent("unknown API Gateway payload version " + version);
  }
  if (!member(event, "httpMethod").is_string() || !member(event, "path").is_string()) {
    throw InvalidEvent(
        "the event is not an API Gateway proxy event (no httpMethod and path, nor version 2.0)");
  }
  return version == "1.0" ? PayloadVersion::http_v1 : PayloadVersion::rest_v1;
}

http::Request to_request(const json& event, PayloadVersion version, std::size_t max_body_bytes) {
  auto request =
      version == PayloadVersion::http_v2 ? request_v2(event) : request_v1(event, version);
  request.body = body_of(event, max_body_bytes);
  return request;
}

json to_gateway_response(const http::Response& response, PayloadVersion version) {
  json out = json::object();
  out["statusCode"] = response.status;
  const bool textual = is_textual(response);
  out["isBase64Encoded"] = !textual;
  out["body"] = textual ? response.body : base64_encode(response.body);
  const auto groups = grouped_headers(response);
  if (version == PayloadVersion::http_v2) {
    json headers = json::object();
    json cookies = json::array();
    for (const auto& [name, values] : groups) {
      if (lower(name) == "set-cookie") {
        for (const auto& value : values) cookies.push_back(value);
        continue;
      }
      std::string joined;
      for (const auto& value : values) joined += (joined.empty() ? "" : ", ") + value;
      headers[name] = joined;
    }
    out["headers"] = std::move(headers);
    if (!cookies.empty()) out["cookies"] = std::move(cookies);
  } else {
    json headers = json::object();
    for (const auto& [name, values] : groups) headers[name] = values;
    out["multiValueHeaders"] = std::move(headers);
  }
  return out;
}

}  // namespace rendermart::lambda
