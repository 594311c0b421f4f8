#pragma once

// A small blocking HTTP client on libcurl for AWS calls, and the retry policy that AWS
// recommends (full-jitter exponential backoff) around it.

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "aws/sigv4.hpp"

namespace rendermart::aws {

inline constexpr std::chrono::milliseconds default_connect_timeout{3000};
inline constexpr std::chrono::milliseconds default_request_timeout{60000};

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // already encoded
  HeaderList headers;
  std::string body;
  std::chrono::milliseconds connect_timeout = default_connect_timeout;
  // The whole exchange, body included.
  std::chrono::milliseconds timeout = default_request_timeout;
  // When another thread sets it, the exchange is abandoned within about a second (a canceled
  // job must not wait for a slow service to answer).
  const std::atomic<bool>* cancel = nullptr;
};

struct HttpResponse {
  long status = 0;
  HeaderList headers;  // names lower-cased
  std::string body;

  // The first value of a header (name in lower case).
  std::optional<std::string> header(std::string_view lower_name) const;
};

// The request never got an HTTP answer: refused, reset, DNS failure, timeout, canceled.
class TransportError : public std::runtime_error {
 public:
  enum class Reason { failed, timed_out, canceled };

  explicit TransportError(const std::string& message, Reason reason = Reason::failed)
      : std::runtime_error(message), reason_(reason) {}

  // The exchange ran past its timeout (the server may still be working on it).
  bool timed_out() const { return reason_ == Reason::timed_out; }
  // The request's cancel flag was set: nothing is retried.
  bool canceled() const { return reason_ == Reason::canceled; }

 private:
  Reason reason_;
};

// Sends one request. Thread-safe: each thread reuses its own curl handle (and so its
// keep-alive connections). Throws TransportError when no response arrived.
HttpResponse send(const HttpRequest& request);

// The AWS error code of a failed response: the x-amzn-ErrorType header, the <Code> of an XML
// error, or "__type"/"code" of a JSON error; empty when there is none.
std::string error_code(const HttpResponse& response);

struct RetryPolicy {
  int max_attempts = 4;
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{5000};
  // No new attempt starts after this much time since the first one.
  std::chrono::milliseconds max_total{30000};
  // A request that timed out may have done its (billed) work: services where that matters do
  // not send it again.
  bool retry_timeouts = true;
};

// 5xx, 429 and the throttling / timeout error codes that AWS services answer with other statuses.
bool is_retryable(const HttpResponse& response);

// Calls `attempt` (which must build and sign a fresh request each time, since signatures carry
// the time) until it returns a response that is not retryable, or the policy runs out. Returns
// the last response (the caller maps failures to errors) or rethrows the last TransportError; a
// canceled one at once.
HttpResponse with_retries(const RetryPolicy& policy, const std::function<HttpResponse()>& attempt);

}  // namespace rendermart::aws
