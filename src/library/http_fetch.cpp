#include "library/http_fetch.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <mutex>
#include "core/text.hpp"

namespace rendermart::library {
namespace {

// Of an error answer's body, only what a message needs.
constexpr std::size_t kMaxErrorBody = 64 * 1024;
// The pieces a download is received, hashed and written in: with libcurl's default (16 KB) a
// gigabyte is 65,000 writes and hash calls, with this 2,000.
constexpr long kReceiveBuffer = 512 * 1024;

// What one hop's callbacks share with get().
struct Transfer {
  CURL* curl = nullptr;
  const BodySink* sink = nullptr;
  const std::atomic<bool>* cancel = nullptr;
  FetchResponse* response = nullptr;
  std::optional<bool> deliver;  // the body goes to the sink (200, 206): known at its first byte
  std::exception_ptr sink_error;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& response = *static_cast<Transfer*>(user)->response;
  const std::string_view line(data, size * count);
  if (const auto colon = line.find(':');
      colon != std::string_view::npos && !line.starts_with("HTTP/")) {
    response.headers.emplace_back(ascii_lower(trim_space(line.substr(0, colon))),
                                  trim_space(line.substr(colon + 1)));
  }
  return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const auto bytes = size * count;
  if (!transfer.deliver) {
    auto& status = transfer.response->status;
    curl_easy_getinfo(transfer.curl, CURLINFO_RESPONSE_CODE, &status);
    transfer.deliver = status == 200 || status == 206;
  }
  if (!*transfer.deliver) {
    auto& body = transfer.response->error_body;
    body.append(data, std::min(bytes, kMaxErrorBody - std::min(kMaxErrorBody, body.size())));
    return bytes;
  }
  try {
    (*transfer.sink)(*transfer.response, data, bytes);
  } catch (...) {
    // Exceptions must not cross libcurl's C frames: stop the transfer, rethrow after it.
    transfer.sink_error = std::current_exception();
    return 0;
  }
  return bytes;
}

// libcurl calls it about once a second and on every piece; non-zero abandons the transfer.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<Transfer*>(user)->cancel;
  return cancel && cancel->load() ? 1 : 0;
}

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  void add(const std::string& header) { list = curl_slist_append(list, header.c_str()); }
};

}  // namespace

struct HttpFetcher::Handle {
  CURL* curl = nullptr;
  ~Handle() { curl_easy_cleanup(curl); }
};

std::optional<std::string> FetchResponse::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

std::string origin_of(const std::string& url) {
  CURLU* parsed = curl_url();
  std::string origin;
  char* scheme = nullptr;
  char* host = nullptr;
  char* port = nullptr;
  if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(parsed, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    origin = ascii_lower(scheme) + "://" + ascii_lower(host) + ":" + port;
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(parsed);
  return origin;
}

std::string percent_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (keep_slash && c == '/')) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

HttpFetcher::HttpFetcher() : handle_(std::make_unique<Handle>()) {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  handle_->curl = curl_easy_init();
}

HttpFetcher::~HttpFetcher() = default;

FetchResponse HttpFetcher::get(const FetchRequest& request, const BodySink& sink) {
  CURL* curl = handle_->curl;
  std::string url = request.url;
  for (int hop = 0;; ++hop) {
    FetchResponse response;
    response.url = url;
    Transfer transfer{curl, &sink, request.cancel, &response, std::nullopt, nullptr};
    HeaderList headers;
    if (!request.bearer_token.empty() && origin_of(url) == request.trusted_origin) {
      headers.add("Authorization: Bearer " + request.bearer_token);
    }
    const auto range = std::to_string(request.range_start) + "-";
    char error[CURL_ERROR_SIZE] = {};

    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "rendermart/" RENDERMART_VERSION);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, kReceiveBuffer);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(kConnectTimeout.count()));
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(kStallTimeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(request.timeout.count()));
    if (request.range_start > 0) curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);

    const CURLcode code = curl_easy_perform(curl);
    if (transfer.sink_error) std::rethrow_exception(transfer.sink_error);
    if (code != CURLE_OK) {
      const bool canceled = code == CURLE_ABORTED_BY_CALLBACK;
      throw TransferError(canceled   ? "canceled"
                          : error[0] ? error
                                     : curl_easy_strerror(code),
                          canceled);
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    char* next = nullptr;
    curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &next);
    if (!is_redirect(response.status) || !next) return response;
    if (hop == kMaxRedirects)
      throw TransferError("more than 10 redirects from " + request.url, false);
    url = next;
  }
}

}  // namespace rendermart::library
