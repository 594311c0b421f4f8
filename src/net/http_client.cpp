#include "net/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <exception>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "core/text.hpp"

namespace rendermart::net {
namespace {

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

// libcurl calls it about once a second, and on every chunk; non-zero abandons the transfer.
int on_transfer_info(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

// Where a body goes: the response, and the request's on_body_piece when it has one.
struct BodySink {
  std::string& body;
  const std::function<void(std::string_view)>& piece;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  sink->body.append(data, size * count);
  if (sink->piece) sink->piece(std::string_view(data, size * count));
  return size * count;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // A new response (after a 100 Continue or a redirect): drop the previous one's headers.
    response->headers.clear();
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    response->headers.emplace_back(ascii_lower(trim_space(line.substr(0, colon))),
                                   trim_space(line.substr(colon + 1)));
  }
  return size * count;
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

HttpResponse send(const HttpRequest& request) {
  CURL* curl = thread_handle();
  HttpResponse response;
  std::unique_ptr<curl_slist, CurlListDeleter> headers;
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    // "Name;" is curl's way to send a header with an empty value.
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
    if (ascii_lower(name) == "content-type") has_content_type = true;
  }
  // No 100-continue round trip, and no form content type that curl would invent for bodies.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));
  if (!has_content_type) headers.reset(curl_slist_append(headers.release(), "Content-Type:"));

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  BodySink sink{response.body, request.on_body_piece};
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
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
  if (code != CURLE_OK) {
    const auto reason = code == CURLE_OPERATION_TIMEDOUT    ? TransportError::Reason::timed_out
                        : code == CURLE_ABORTED_BY_CALLBACK ? TransportError::Reason::canceled
                                                            : TransportError::Reason::failed;
    throw TransportError(request.method + " " + request.url + ": " +
                             (error[0] != '\0' ? std::string(error) : curl_easy_strerror(code)),
                         reason);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
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
