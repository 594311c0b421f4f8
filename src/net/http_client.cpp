#include "net/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "core/text.hpp"
#include "net/url.hpp"

namespace rendermart::net {
namespace {

// Of the body of an answer that a body sink does not take (an error), only what a message needs.
constexpr std::size_t kMaxErrorBody = 64 * 1024;
// The pieces a streamed body is received in: with libcurl's default (16 KB) a gigabyte is 65,000
// writes and hash calls, with this 2,000. Collected answers are small and keep the default.
constexpr long kStreamBuffer = 512 * 1024;

struct CurlHandleDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct CurlListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

CURL* thread_handle() {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  thread_local std::unique_ptr<CURL, CurlHandleDeleter> handle(curl_easy_init());
  curl_easy_reset(handle.get());
  return handle.get();
}

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// One request and its answer on the wire (a redirect is another exchange): what the callbacks
// share with exchange().
struct Exchange {
  CURL* curl = nullptr;
  const HttpRequest& request;
  HttpResponse response;
  std::optional<bool> to_sink;  // the body goes to the request's sink: known at its first byte
  std::exception_ptr sink_error;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& exchange = *static_cast<Exchange*>(user);
  const std::string_view piece(data, size * count);
  auto& body = exchange.response.body;
  const auto& sink = exchange.request.body_sink;
  if (!sink) {
    body.append(piece);
    return piece.size();
  }
  if (!exchange.to_sink) {
    curl_easy_getinfo(exchange.curl, CURLINFO_RESPONSE_CODE, &exchange.response.status);
    exchange.to_sink = exchange.response.status == 200 || exchange.response.status == 206;
  }
  if (!*exchange.to_sink) {
    body.append(piece.substr(0, kMaxErrorBody - std::min(kMaxErrorBody, body.size())));
    return piece.size();
  }
  try {
    sink(exchange.response, piece);
  } catch (...) {
    // Exceptions must not cross libcurl's C frames: stop the transfer, rethrow after it.
    exchange.sink_error = std::current_exception();
    return 0;
  }
  return piece.size();
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& response = static_cast<Exchange*>(user)->response;
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // A new response (after a 100 Continue): drop the previous one's headers.
    response.headers.clear();
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    response.headers.emplace_back(ascii_lower(trim_space(line.substr(0, colon))),
                                  trim_space(line.substr(colon + 1)));
  }
  return size * count;
}

// libcurl calls it about once a second, and on every chunk; non-zero abandons the transfer.
int on_transfer_info(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

struct Answer {
  HttpResponse response;
  std::string location;  // of a redirect, resolved against `url`; empty for other answers
};

// Sends `request` to `url` (the request's own, or where a redirect led), its Authorization header
// only when `with_authorization`.
Answer exchange(const HttpRequest& request, const std::string& url, bool with_authorization) {
  CURL* curl = thread_handle();
  std::unique_ptr<curl_slist, CurlListDeleter> headers;
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    const auto lower_name = ascii_lower(name);
    if (lower_name == "authorization" && !with_authorization) continue;
    if (lower_name == "content-type") has_content_type = true;
    // "Name;" is curl's way to send a header with an empty value.
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  }
  // No 100-continue round trip, and no form content type that curl would invent for bodies.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));
  if (!has_content_type) headers.reset(curl_slist_append(headers.release(), "Content-Type:"));

  Exchange exchange{curl, request, {}, std::nullopt, nullptr};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "rendermart/" RENDERMART_VERSION);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  if (request.stall_timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(request.stall_timeout.count()));
  }
  if (request.body_sink) curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, kStreamBuffer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET" || !request.body.empty()) {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
  }
  if (request.cancel) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_transfer_info);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, request.cancel);
  }
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);

  const CURLcode code = curl_easy_perform(curl);
  if (exchange.sink_error) std::rethrow_exception(exchange.sink_error);
  if (code != CURLE_OK) {
    const auto reason = code == CURLE_OPERATION_TIMEDOUT    ? TransportError::Reason::timed_out
                        : code == CURLE_ABORTED_BY_CALLBACK ? TransportError::Reason::canceled
                                                            : TransportError::Reason::failed;
    throw TransportError(request.method + " " + url + ": " +
                             (error[0] != '\0' ? std::string(error) : curl_easy_strerror(code)),
                         reason);
  }
  Answer answer{std::move(exchange.response), {}};
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.response.status);
  char* location = nullptr;
  curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location);
  if (is_redirect(answer.response.status) && location) answer.location = location;
  return answer;
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

HttpResponse send(const HttpRequest& request) {
  auto answer = exchange(request, request.url, true);
  if (request.max_redirects == 0) return std::move(answer.response);
  const auto origin = origin_of(request.url);
  for (int redirects = 0; !answer.location.empty(); ++redirects) {
    if (redirects == request.max_redirects) {
      throw TransportError("more than " + std::to_string(request.max_redirects) +
                           " redirects from " + request.url);
    }
    const auto url = std::move(answer.location);
    answer = exchange(request, url, origin_of(url) == origin);
  }
  return std::move(answer.response);
}

bool is_busy(const HttpResponse& response) {
  return response.status >= 500 || response.status == 429;
}

HttpResponse with_retries(const RetryPolicy& policy, const std::function<HttpResponse()>& attempt,
                          const std::function<bool(const HttpResponse&)>& retryable) {
  thread_local std::mt19937_64 random(std::random_device{}());
  const auto deadline = std::chrono::steady_clock::now() + policy.max_total;
  for (int number = 1;; ++number) {
    std::optional<HttpResponse> response;
    std::exception_ptr transport_error;
    try {
      response = attempt();
      if (!retryable(*response)) return std::move(*response);
    } catch (const TransportError& e) {
      if (e.canceled() || (e.timed_out() && !policy.retry_timeouts)) throw;
      transport_error = std::current_exception();
    }
    const auto give_up = [&] {
      if (transport_error) std::rethrow_exception(transport_error);
      return std::move(*response);
    };
    if (number >= policy.max_attempts) return give_up();
    // Full jitter: a uniform delay in [0, min(max, base * 2^(n-1))], so that many clients
    // backing off together do not come back in step.
    const auto ceiling = std::min<std::int64_t>(
        policy.max_delay.count(), policy.base_delay.count() << std::min(number - 1, 30));
    const std::chrono::milliseconds delay(
        std::uniform_int_distribution<std::int64_t>(0, std::max<std::int64_t>(ceiling, 0))(random));
    if (std::chrono::steady_clock::now() + delay >= deadline) return give_up();
    std::this_thread::sleep_for(delay);
  }
}

}  // namespace rendermart::net
