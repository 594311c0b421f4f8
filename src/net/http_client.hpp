#pragma once

// The outbound HTTP client: small and blocking, on libcurl, for every call this process makes to
// another service (S3, Bedrock, OpenAI-compatible APIs, the Lambda runtime API), and retries
// with full-jitter exponential backoff around it.

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rendermart::net {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::chrono::milliseconds default_connect_timeout{3000};
inline constexpr std::chrono::milliseconds default_request_timeout{60000};

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // already encoded
  HeaderList headers;
  std::string body;
  std::chrono::milliseconds connect_timeout = default_connect_timeout;
  // The whole exchange, body included; zero: none (a long poll).
  std::chrono::milliseconds timeout = default_request_timeout;
  // When another thread sets it, the exchange is abandoned within about a second (a canceled
  // job must not wait for a slow service to answer).
  const std::atomic<bool>* cancel = nullptr;
  // When set, called with each piece of the answer's body as it arrives (server-sent events),
  // on the sending thread; the body still collects it all. It must not throw.
  std::function<void(std::string_view)> on_body_piece;
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

// The service is failing or busy: 5xx, 429.
bool is_busy(const HttpResponse& response);

// Calls `attempt` (which must build a fresh request each time: signatures carry the time) until
// it returns a response that `retryable` does not retry, or the policy runs out. Returns the last
// response (the caller maps failures to errors) or rethrows the last TransportError; a canceled
// one at once.
HttpResponse with_retries(const RetryPolicy& policy, const std::function<HttpResponse()>& attempt,
                          const std::function<bool(const HttpResponse&)>& retryable = is_busy);

}  // namespace rendermart::net
