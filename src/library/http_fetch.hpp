#pragma once

// Streaming HTTP GETs on libcurl for downloads that may be gigabytes: the body goes to a sink
// in pieces as it arrives, never into memory. Redirects are followed here rather than by
// libcurl, so that the bearer token goes only to the origin that trusts it (the Hub's own host,
// as huggingface_hub does), never to the CDN that large files redirect to.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rendermart::library {

struct FetchRequest {
  std::string url;                // already percent-encoded
  std::string bearer_token;       // sent as Authorization only to URLs of trusted_origin
  std::string trusted_origin;     // scheme://host:port, as origin_of() writes it
  std::uint64_t range_start = 0;  // > 0: ask for the bytes from there on (Range: bytes=N-)
  // The whole exchange; 0: no limit (a large download). Either way a transfer that moves no
  // byte for kStallTimeout is abandoned.
  std::chrono::seconds timeout{0};
  const std::atomic<bool>* cancel = nullptr;  // set by another thread: abandon within a second
};

struct FetchResponse {
  long status = 0;
  std::string url;  // the one that answered, after redirects
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string error_body;  // the start of the body of an answer other than 200 and 206

  std::optional<std::string> header(std::string_view lower_name) const;
};

// No (complete) answer: the host could not be reached, the connection broke, or the transfer
// was canceled. A sink's own exception propagates unchanged instead.
class TransferError : public std::runtime_error {
 public:
  TransferError(const std::string& message, bool canceled)
      : std::runtime_error(message), canceled_(canceled) {}
  bool canceled() const { return canceled_; }

 private:
  bool canceled_;
};

// Receives the body of a 200 or 206 answer, piece by piece, with the answer's status and
// headers (a download checks them at its first piece: 200 or 206, which range, what size).
using BodySink =
    std::function<void(const FetchResponse& answer, const char* data, std::size_t size)>;

// "scheme://host:port" of a URL (lower-cased, the default port written out); empty when the
// URL cannot be parsed.
std::string origin_of(const std::string& url);

// Percent-encodes everything but unreserved characters (and '/' when keep_slash), as URLs of
// the Hub's files and revisions need.
std::string percent_encode(std::string_view text, bool keep_slash);

// One connection pool: keep-alive connections are reused from one fetch to the next. Use from
// one thread at a time.
class HttpFetcher {
 public:
  HttpFetcher();
  ~HttpFetcher();
  HttpFetcher(const HttpFetcher&) = delete;
  HttpFetcher& operator=(const HttpFetcher&) = delete;

  // GETs the URL, following up to kMaxRedirects redirects. Returns the final answer (any
  // status); throws TransferError when none came or it broke off.
  FetchResponse get(const FetchRequest& request, const BodySink& sink);

  static constexpr int kMaxRedirects = 10;
  // A CDN that stops sending for this long has lost the connection without saying so.
  static constexpr std::chrono::seconds kStallTimeout{60};
  static constexpr std::chrono::seconds kConnectTimeout{15};

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
};

}  // namespace rendermart::library
