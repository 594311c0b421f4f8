#pragma once

// Serves the built web app (Vite output) from a directory, as the router's fallback:
//   router.set_fallback(static_files("web/dist"));
// - files under `root` by request path; "..", NUL and backslashes are refused (400), and files
//   whose real path (symlinks resolved) lies outside root are not served (404);
// - Content-Type by extension; ETag (size and modification time) so that If-None-Match gives 304,
//   and byte ranges;
// - precompressed copies: when the build wrote `name.br` or `name.gz` beside a file and the
//   request's Accept-Encoding allows that coding, the copy is sent (brotli first) with
//   Content-Encoding and the original's Content-Type; every answer says Vary: Accept-Encoding;
// - Cache-Control "public, max-age=31536000, immutable" under /assets/ (hashed file names),
//   "no-cache" for everything else, index.html included;
// - SPA fallback: a path whose last segment has no extension and names no file gets index.html;
//   a missing file with an extension answers 404 JSON, as does every path under /api/;
// - GET and HEAD only (405 otherwise).

#include <filesystem>

#include "http/router.hpp"

namespace rendermart::http {

Handler static_files(std::filesystem::path root);

}  // namespace rendermart::http
