#include "http/static_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <iterator>
#include <string_view>
#include <utility>

#include "core/error.hpp"
#include "http/status.hpp"

namespace rendermart::http {
namespace {

namespace fs = std::filesystem;

// Vite puts content-hashed files here: a name never changes content, so caches may keep them.
constexpr std::string_view kAssetsPrefix = "/assets/";
constexpr const char* kImmutableCache = "public, max-age=31536000, immutable";
// Everything else (index.html, favicon, robots.txt) is revalidated on each use (cheap: ETag).
constexpr const char* kRevalidateCache = "no-cache";
constexpr const char* kIndexFile = "index.html";

struct MediaType {
  std::string_view extension;
  const char* content_type;
};

constexpr std::array<MediaType, 13> kMediaTypes = {{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".map", "application/json"},
    {".webmanifest", "application/manifest+json"},
}};

const char* content_type_for(const fs::path& file) {
  std::string extension = file.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& type : kMediaTypes) {
    if (type.extension == extension) return type.content_type;
  }
  return "application/octet-stream";
}

// The request path as a path relative to root, or a 400 for anything that could step outside
// it or that no file name can contain.
fs::path relative_path(std::string_view path) {
  fs::path relative;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto segment = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    if (segment.empty()) continue;
    if (segment == "." || segment == ".." || segment.find('\0') != std::string_view::npos ||
        segment.find('\\') != std::string_view::npos) {
      throw Error(ErrorCode::invalid_argument, "invalid path", "path");
    }
    relative /= fs::path(segment);
  }
  return relative;
}

bool within(const fs::path& file, const fs::path& root) {
  const auto relative = file.lexically_relative(root);
  return !relative.empty() && *relative.begin() != ".." && relative != ".";
}

// The canonical path of a regular file under root, or nothing.
std::optional<fs::path> find_file(const fs::path& root, const fs::path& relative) {
  std::error_code ec;
  const auto candidate = root / relative;
  if (!fs::is_regular_file(candidate, ec)) return std::nullopt;
  auto real = fs::canonical(candidate, ec);
  if (ec || !within(real, root)) return std::nullopt;  // a symlink leading out of root
  return real;
}

Response serve_file(const fs::path& file, const char* cache_control) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  const auto modified = fs::last_write_time(file, ec);
  std::ifstream in(file, std::ios::binary);
  if (ec || !in) throw not_found("file");
  std::string body;
  body.reserve(size);
  body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(ErrorCode::internal, "cannot read " + file.string());

  Response response;
  response.set_header("Content-Type", content_type_for(file));
  response.set_header("Cache-Control", cache_control);
  response.set_header("X-Content-Type-Options", "nosniff");
  response.etag = fmt::format("{:x}-{:x}", body.size(),
                              static_cast<std::uint64_t>(modified.time_since_epoch().count()));
  response.accept_ranges = true;
  response.body = std::move(body);
  return response;
}

}  // namespace

Handler static_files(fs::path root) {
  std::error_code ec;
  auto canonical_root = fs::weakly_canonical(fs::absolute(root, ec), ec);
  if (ec) canonical_root = std::move(root);
  return [root = std::move(canonical_root)](Request& request) -> Response {
    if (request.method != Method::GET && request.method != Method::HEAD) {
      auto response = error_response(
          Error(ErrorCode::method_not_allowed, "only GET and HEAD are allowed on static files"));
      response.set_header("Allow", "GET, HEAD");
      return response;
    }
    const std::string_view path = request.path;
    if (path == "/api" || path.starts_with("/api/")) throw not_found("route");

    const auto relative = relative_path(path);
    if (!relative.empty()) {
      if (const auto file = find_file(root, relative)) {
        const bool is_index = file->filename() == kIndexFile;
        return serve_file(*file, path.starts_with(kAssetsPrefix) && !is_index ? kImmutableCache
                                                                              : kRevalidateCache);
      }
      if (relative.has_extension()) throw not_found("file");
    }
    const auto index = find_file(root, kIndexFile);
    if (!index) throw not_found("web app");
    return serve_file(*index, kRevalidateCache);
  };
}

}  // namespace rendermart::http
