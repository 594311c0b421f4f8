#include "aws/service_errors.hpp"

#include <algorithm>
#include <array>

#include "aws/xml.hpp"

namespace rendermart::aws {
namespace {

// Codes that mean "slow down" or "try again" whatever the status they come with.
constexpr std::array<std::string_view, 7> retryable_codes = {"SlowDown",
                                                             "Throttling",
                                                             "ThrottlingException",
                                                             "RequestTimeout",
                                                             "RequestTimeoutException",
                                                             "TooManyRequestsException",
                                                             "ServiceUnavailable"};

// The string value of "key": in a flat JSON error document.
std::string json_string_field(const std::string& body, std::string_view key) {
  const std::string quoted = "\"" + std::string(key) + "\"";
  auto pos = body.find(quoted);
  if (pos == std::string::npos) return {};
  pos = body.find('"', body.find(':', pos + quoted.size()));
  if (pos == std::string::npos) return {};
  const auto end = body.find('"', pos + 1);
  if (end == std::string::npos) return {};
  return body.substr(pos + 1, end - pos - 1);
}

}  // namespace

std::string error_code(const net::HttpResponse& response) {
  if (auto type = response.header("x-amzn-errortype")) {
    // "ThrottlingException:http://internal.amazon.com/coral/..."
    return type->substr(0, type->find(':'));
  }
  if (auto code = xml_text(response.body, "Code")) return *code;
  if (auto type = json_string_field(response.body, "__type"); !type.empty()) {
    return type.substr(type.find('#') == std::string::npos ? 0 : type.find('#') + 1);
  }
  return json_string_field(response.body, "code");
}

bool is_retryable(const net::HttpResponse& response) {
  if (net::is_busy(response)) return true;
  if (response.status < 400) return false;
  const std::string code = error_code(response);
  return std::find(retryable_codes.begin(), retryable_codes.end(), code) != retryable_codes.end();
}

}  // namespace rendermart::aws
