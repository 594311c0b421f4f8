#pragma once

// The outbound HTTP client: small and blocking, on libcurl, for every call this process makes to
// another service (S3, Bedrock, OpenAI-compatible APIs, the Lambda runtime API, the Hugging Face
// Hub and the URLs models are pulled from), and retries with full-jitter exponential backoff
// around it. An answer's body is collected in memory, or handed piece by piece to a sink as it
// arrives (a download of gigabytes, server-sent events).

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

struct HttpResponse {
  long status = 0;
  HeaderList headers;  // names lower-cased
  // The whole body; with a body sink, only that of an answer the sink does not take (its first
  // 64 KB: what an error message needs).
  std::string body;

  // The first value of a header (name in lower case).
  std::optional<std::string> header(std::string_view lower_name) const;
};

// Takes the body of a 200 or 206 answer piece by piece as it arrives, on the sending thread, with
// the answer's status and headers (a download checks them at its first piece). It may throw: the
// exchange is abandoned and send() rethrows the exception. It must not call send() itself (the
// thread's connection is in use).
using BodySink = std::function<void(const HttpResponse& answer, std::string_view piece)>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // already encoded
  HeaderList headers;
  std::string body;
  std::chrono::milliseconds connect_timeout = default_connect_timeout;
  // The whole exchange, body included; zero: none (a long poll, a download of gigabytes).
  std::chrono::milliseconds timeout = default_request_timeout;
  // When not zero, an exchange that moves no byte for this long (libcurl counts whole seconds)
  // is abandoned as timed out: a connection lost without a word, which only an overall timeout
  // would otherwise catch.
  std::chrono::seconds stall_timeout{0};
  // How many redirects (301, 302, 303, 307, 308) send() follows; zero: a redirect is the answer.
  // Each is the same request to the Location, with the Authorization header only while the
  // origin is the URL's own (a Hub's token never goes to the CDN that it sends files to).
  int max_redirects = 0;
  // When another thread sets it, the exchange is abandoned within about a second (a canceled
  // job must not wait for a slow service to answer).
  const std::atomic<bool>* cancel = nullptr;
  // When set, the body of a 200 or 206 answer goes here instead of into the response.
  BodySink body_sink;
};

// The request never got an HTTP answer: refused, reset, DNS failure, timeout, stall, canceled,
// too many redirects.
class TransportError : public std::runtime_error {
 public:
  enum class Reason { failed, timed_out, canceled };

  explicit TransportError(const std::string& message, Reason reason = Reason::failed)
      : std::runtime_error(message), reason_(reason) {}

  // The exchange ran past its timeout or stalled (the server may still be working on it).
  bool timed_out() const { return reason_ == Reason::timed_out; }
  // The request's cancel flag was set: nothing is retried.
  bool canceled() const { return reason_ == Reason::canceled; }

 private:
  Reason reason_;
};

// Sends one request (and follows its redirects). Thread-safe: each thread reuses its own curl
// handle, and so its keep-alive connections, from one request to the next. Throws TransportError
// when no response arrived, and what the body sink threw.
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
