#include "http/static_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
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

// Precompressed copies that the web build writes beside each text file (name + suffix), in
// the order they are preferred: brotli is smaller, gzip is what every client reads.
struct Encoding {
  std::string_view name;    // as Accept-Encoding and Content-Encoding spell it
  std::string_view suffix;  // of the copy's file name
};
constexpr std::array<Encoding, 2> kEncodings = {{{"br", ".br"}, {"gzip", ".gz"}}};

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The q-value of one Accept-Encoding element ("gzip;q=0.5" -> 0.5; no q: 1); a malformed one is
// 0, so that a coding is never sent on the strength of a value we could not read.
double quality(std::string_view parameters) {
  while (!parameters.empty()) {
    const auto semicolon = parameters.find(';');
    const auto parameter = trim_spaces(parameters.substr(0, semicolon));
    parameters =
        semicolon == std::string_view::npos ? std::string_view{} : parameters.substr(semicolon + 1);
    if (parameter.size() < 2 || (parameter[0] != 'q' && parameter[0] != 'Q') ||
        parameter[1] != '=') {
      continue;
    }
    const auto value = parameter.substr(2);
    if (value.empty() || value.size() > 5 || (value[0] != '0' && value[0] != '1')) return 0;
    return std::strtod(std::string(value).c_str(), nullptr);
  }
  return 1;
}

// Whether Accept-Encoding (RFC 9110 section 12.5.3) allows `coding`: named with a q-value above
// 0, or not named while "*" is. No header allows nothing but the file itself.
bool accepts(std::string_view accept_encoding, std::string_view coding) {
  std::optional<double> named;
  std::optional<double> any;
  while (!accept_encoding.empty()) {
    const auto comma = accept_encoding.find(',');
    const auto element = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    const auto semicolon = element.find(';');
    const auto name = trim_spaces(element.substr(0, semicolon));
    const double q =
        semicolon == std::string_view::npos ? 1.0 : quality(element.substr(semicolon + 1));
    if (iequals(name, coding)) named = q;
    if (name == "*") any = q;
  }
  return named ? *named > 0 : any && *any > 0;
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

// `file` as stored, or its precompressed copy (`encoding`, whose name the ETag carries so that
// caches and If-None-Match tell the two apart). The Content-Type is always the original's.
Response serve_file(const fs::path& file, const fs::path& stored, const Encoding* encoding,
                    const char* cache_control) {
  std::error_code ec;
  const auto size = fs::file_size(stored, ec);
  const auto modified = fs::last_write_time(stored, ec);
  std::ifstream in(stored, std::ios::binary);
  if (ec || !in) throw not_found("file");
  std::string body;
  body.reserve(size);
  body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(ErrorCode::internal, "cannot read " + stored.string());

  Response response;
  response.set_header("Content-Type", content_type_for(file));
  response.set_header("Cache-Control", cache_control);
  response.set_header("X-Content-Type-Options", "nosniff");
  // Whatever this answer is, another Accept-Encoding may get other bytes for the same URL.
  response.set_header("Vary", "Accept-Encoding");
  if (encoding) response.set_header("Content-Encoding", std::string(encoding->name));
  response.etag = fmt::format("{:x}-{:x}{}{}", body.size(),
                              static_cast<std::uint64_t>(modified.time_since_epoch().count()),
                              encoding ? "-" : "", encoding ? encoding->name : "");
  response.accept_ranges = true;
  response.body = std::move(body);
  return response;
}

// The smallest form of `file` that the request accepts: a precompressed copy beside it, when the
// build made one and Accept-Encoding allows its coding, else the file itself.
Response serve_best(const Request& request, const fs::path& root, const fs::path& file,
                    const char* cache_control) {
  const auto accept_encoding = request.header("accept-encoding").value_or("");
  for (const auto& encoding : kEncodings) {
    if (!accepts(accept_encoding, encoding.name)) continue;
    auto name = file.filename();
    name += fs::path(encoding.suffix);
    if (const auto copy = find_file(root, file.lexically_relative(root).replace_filename(name))) {
      return serve_file(file, *copy, &encoding, cache_control);
    }
  }
  return serve_file(file, file, nullptr, cache_control);
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
        return serve_best(
            request, root, *file,
            path.starts_with(kAssetsPrefix) && !is_index ? kImmutableCache : kRevalidateCache);
      }
      if (relative.has_extension()) throw not_found("file");
    }
    const auto index = find_file(root, kIndexFile);
    if (!index) throw not_found("web app");
    return serve_best(request, root, *index, kRevalidateCache);
  };
}

}  // namespace rendermart::http
