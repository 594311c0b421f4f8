#pragma once

// One file of a pull, downloaded into `<path>.incomplete` and renamed to `path` only once its
// size (and sha256, when known) is right: a file without the suffix is always a whole, checked
// one. An interrupted download (killed, canceled, connection lost) resumes from the bytes on
// disk with a Range request.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "net/http_client.hpp"

namespace rendermart::library {

// A GET as pulls send it (the Hub's listings and files, a checkpoint's URL): no limit on the whole
// exchange, since a file may be gigabytes, but abandoned when it stalls; redirects followed (the
// Hub sends large files to a CDN).
net::HttpRequest download_request(std::string url);

struct FileDownload {
  net::HttpRequest request;          // download_request(), with the token and the cancel flag
  std::string path;                  // where the checked file goes
  std::string name;                  // how messages call it (its path in the repository)
  std::optional<std::int64_t> size;  // what it must be; nothing: what the server says
  std::string sha256;                // lowercase hex it must hash to; empty: not checked
};

// How a source explains failures: an answer other than 200/206, and no answer at all.
struct DownloadErrors {
  std::function<Error(const net::HttpResponse&)> answer;
  std::function<Error(const net::TransportError&)> unreachable;
};

// Called as bytes arrive, with this file's bytes on disk and its size (0 while unknown).
using FileProgressFn = std::function<void(std::int64_t bytes, std::int64_t total)>;

// Downloads, checks and renames into place; a file already at `path` is taken as done. A
// connection that breaks mid-file is resumed a few times before giving up. Returns the bytes
// that came over the network. Throws Error: provider_error for a size or checksum mismatch
// (the incomplete file is deleted: its bytes are wrong), storage_error (full disk), canceled,
// and what `errors` makes of the rest.
std::int64_t download_file(const FileDownload& file, const DownloadErrors& errors,
                           const FileProgressFn& progress);

// The bytes of `path` on disk: the whole file, or what its `.incomplete` download has so far.
std::int64_t bytes_on_disk(const std::string& path);

}  // namespace rendermart::library
