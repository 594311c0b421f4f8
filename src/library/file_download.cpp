#include "library/file_download.hpp"

#include <charconv>
#include <filesystem>
#include <memory>
#include <thread>

#include <spdlog/spdlog.h>

#include "library/file_writer.hpp"
#include "library/sha256.hpp"

namespace rendermart::library {
namespace {

namespace fs = std::filesystem;

// A connection that breaks is resumed; this many breaks in a row without a byte in between
// mean the network is down.
constexpr int kAttemptsWithoutProgress = 3;
constexpr std::chrono::milliseconds kRetryDelay{1000};
// Hosts that serve models (the Hub, its CDN) answer a connection at once; a slow network may
// take longer than the short default for service calls.
constexpr std::chrono::seconds kConnectTimeout{15};
// A CDN that stops sending for this long has lost the connection without saying so.
constexpr std::chrono::seconds kStallTimeout{60};
// The Hub sends a large file to its CDN with one redirect; a chain this long is a loop.
constexpr int kMaxRedirects = 10;

std::optional<std::int64_t> number(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The whole file's size: the total of a 206's Content-Range ("bytes 10-99/100"), or a 200's
// Content-Length.
std::optional<std::int64_t> total_size(const net::HttpResponse& answer) {
  if (answer.status == 206) {
    const auto range = answer.header("content-range").value_or("");
    return number(std::string_view(range).substr(range.rfind('/') + 1));
  }
  return number(answer.header("content-length").value_or(""));
}

std::optional<std::int64_t> range_first(const net::HttpResponse& answer) {
  const auto range = answer.header("content-range").value_or("");
  const auto space = range.find(' ');
  const auto dash = range.find('-');
  if (space == std::string::npos || dash == std::string::npos || dash < space) return std::nullopt;
  return number(std::string_view(range).substr(space + 1, dash - space - 1));
}

void wait_before_retry(const std::atomic<bool>* cancel) {
  for (auto waited = std::chrono::milliseconds(0); waited < kRetryDelay;
       waited += std::chrono::milliseconds(50)) {
    if (cancel && cancel->load()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Error mismatch(const std::string& incomplete, const std::string& message) {
  std::error_code ignored;
  fs::remove(incomplete, ignored);
  return Error(ErrorCode::provider_error, message + "; the download was deleted: pull again");
}

}  // namespace

net::HttpRequest download_request(std::string url) {
  net::HttpRequest request;
  request.url = std::move(url);
  request.connect_timeout = kConnectTimeout;
  request.timeout = std::chrono::milliseconds::zero();
  request.stall_timeout = kStallTimeout;
  request.max_redirects = kMaxRedirects;
  return request;
}

std::int64_t bytes_on_disk(const std::string& path) {
  std::error_code ec;
  for (const auto& candidate : {path, path + ".incomplete"}) {
    const auto size = fs::file_size(candidate, ec);
    if (!ec) return static_cast<std::int64_t>(size);
  }
  return 0;
}

std::int64_t download_file(const FileDownload& file, const DownloadErrors& errors,
                           const FileProgressFn& progress) {
  if (fs::is_regular_file(file.path)) return 0;
  const auto incomplete = file.path + ".incomplete";
  fs::create_directories(fs::path(file.path).parent_path());
  std::int64_t fetched = 0;
  std::int64_t total = file.size.value_or(0);
  {
    FileWriter out(incomplete);
    if (file.size && static_cast<std::int64_t>(out.size()) > *file.size) out.truncate();
    auto hash = std::make_unique<Sha256>();
    if (!file.sha256.empty()) hash_file_prefix(*hash, incomplete, out.size());
    int failures = 0;
    while (!file.size || static_cast<std::int64_t>(out.size()) < *file.size) {
      auto request = file.request;
      // Resuming: only the bytes after those on disk.
      if (out.size() > 0)
        request.headers.emplace_back("Range", "bytes=" + std::to_string(out.size()) + "-");
      const auto before = out.size();
      bool first_piece = true;
      request.body_sink = [&](const net::HttpResponse& answer, std::string_view piece) {
        if (first_piece) {
          first_piece = false;
          if (answer.status == 200 && out.size() > 0) {
            // The server ignored the Range request and sends the whole file again.
            out.truncate();
            hash = std::make_unique<Sha256>();
          } else if (answer.status == 206 &&
                     range_first(answer) != static_cast<std::int64_t>(out.size())) {
            throw Error(ErrorCode::provider_error, "the server sent another part of " + file.name +
                                                       " than was asked for: pull again");
          }
          const auto answered = total_size(answer);
          if (answered && file.size && *answered != *file.size) {
            throw mismatch(incomplete, file.name + " is " + std::to_string(*answered) +
                                           " bytes on the server, but was listed with " +
                                           std::to_string(*file.size));
          }
          if (answered) total = *answered;
        }
        out.append(piece.data(), piece.size());
        if (!file.sha256.empty()) hash->update(piece.data(), piece.size());
        fetched += static_cast<std::int64_t>(piece.size());
        if (progress) progress(static_cast<std::int64_t>(out.size()), total);
      };
      try {
        const auto answer = net::send(request);
        // Resuming a download of unknown size that had in fact finished: nothing is left.
        const bool finished =
            answer.status == 416 && out.size() > 0 &&
            answer.header("content-range") == "bytes */" + std::to_string(out.size());
        if (finished) total = static_cast<std::int64_t>(out.size());
        if (answer.status != 200 && answer.status != 206 && !finished) throw errors.answer(answer);
        break;
      } catch (const net::TransportError& e) {
        if (e.canceled()) throw Error(ErrorCode::canceled, "pull canceled");
        failures = out.size() > before ? 1 : failures + 1;
        if (failures >= kAttemptsWithoutProgress) throw errors.unreachable(e);
        spdlog::warn("download of {} broke off at {} bytes ({}); resuming", file.name, out.size(),
                     e.what());
        wait_before_retry(request.cancel);
        if (request.cancel && request.cancel->load())
          throw Error(ErrorCode::canceled, "pull canceled");
      }
    }
    const auto size = static_cast<std::int64_t>(out.size());
    if (total > 0 && size != total) {
      throw mismatch(incomplete, file.name + " arrived with " + std::to_string(size) +
                                     " bytes instead of " + std::to_string(total));
    }
    if (!file.sha256.empty()) {
      const auto actual = hash->hex_digest();
      if (actual != file.sha256) {
        throw mismatch(incomplete, "checksum mismatch: " + file.name + " has sha256 " + actual +
                                       ", the Hub lists " + file.sha256);
      }
    }
  }
  fs::rename(incomplete, file.path);
  return fetched;
}

}  // namespace rendermart::library
