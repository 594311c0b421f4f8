#include "http/static_files.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "core/ids.hpp"

namespace rendermart::http {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base = fs::temp_directory_path() / ("rendermart-static-" + random_hex(6));
    root = base / "dist";
    write_file(root / "index.html", "<!doctype html><title>RenderMart</title>");
    write_file(root / "assets" / "index-3f2a.js", "console.log(1)");
    write_file(root / "assets" / "index-3f2a.css", "body{}");
    write_file(root / "favicon.ico", "ico");
    write_file(root / "robots.txt", "User-agent: *");
    write_file(base / "secret.txt", "do not serve");
    fs::create_symlink(base / "secret.txt", root / "leak.txt");
    fs::create_symlink(root / "robots.txt", root / "robots-link.txt");
    router.set_fallback(static_files(root));
  }

  void TearDown() override { fs::remove_all(base); }

  Response request(Method method, const std::string& path,
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request req;
    req.method = method;
    req.path = path;
    req.headers = std::move(headers);
    req.request_id = "t";
    return router.handle(req);
  }
  Response get(const std::string& path) { return request(Method::GET, path); }

  fs::path base;
  fs::path root;
  Router router;
};

TEST_F(StaticFilesTest, ServesFilesWithContentTypes) {
  auto response = get("/assets/index-3f2a.js");
  EXPECT_EQ(response.status, 200U);
  EXPECT_EQ(response.body, "console.log(1)");
  EXPECT_EQ(response.header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(get("/assets/index-3f2a.css").header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(get("/favicon.ico").header("Content-Type"), "image/x-icon");
  EXPECT_EQ(get("/robots.txt").header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(get("/index.html").header("Content-Type"), "text/html; charset=utf-8");
}

TEST_F(StaticFilesTest, HashedAssetsAreImmutableIndexIsRevalidated) {
  EXPECT_EQ(get("/assets/index-3f2a.js").header("Cache-Control"),
            "public, max-age=31536000, immutable");
  EXPECT_EQ(get("/").header("Cache-Control"), "no-cache");
  EXPECT_EQ(get("/index.html").header("Cache-Control"), "no-cache");
  EXPECT_EQ(get("/robots.txt").header("Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, SpaFallbackForPathsWithoutExtension) {
  for (const char* path : {"/", "/images", "/images/01HX/details", "/settings/"}) {
    const auto response = get(path);
    EXPECT_EQ(response.status, 200U) << path;
    EXPECT_EQ(response.header("Content-Type"), "text/html; charset=utf-8") << path;
    EXPECT_EQ(response.header("Cache-Control"), "no-cache") << path;
  }
}

TEST_F(StaticFilesTest, MissingFilesWithExtensionAre404Json) {
  const auto response = get("/assets/missing-123.js");
  EXPECT_EQ(response.status, 404U);
  EXPECT_EQ(response.header("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "not_found");
}

TEST_F(StaticFilesTest, ApiPathsNeverFallBack) {
  for (const char* path : {"/api", "/api/v1/nothing", "/api/v1/images/x"}) {
    const auto response = get(path);
    EXPECT_EQ(response.status, 404U) << path;
    EXPECT_EQ(response.header("Content-Type"), "application/json") << path;
  }
}

TEST_F(StaticFilesTest, RejectsTraversal) {
  for (const char* path : {"/../secret.txt", "/assets/../../secret.txt", "/..", "/a\\..\\b.txt"}) {
    const auto response = get(path);
    EXPECT_EQ(response.status, 400U) << path;
    EXPECT_EQ(response.body.find("do not serve"), std::string::npos);
  }
  const auto nul = get(std::string("/index.html\0.png", 16));
  EXPECT_EQ(nul.status, 400U);
}

TEST_F(StaticFilesTest, SymlinksMayNotLeaveTheRoot) {
  const auto response = get("/leak.txt");
  EXPECT_EQ(response.status, 404U);
  EXPECT_EQ(response.body.find("do not serve"), std::string::npos);
  EXPECT_EQ(get("/robots-link.txt").body, "User-agent: *");  // inside root: fine
}

TEST_F(StaticFilesTest, EtagAllowsNotModified) {
  const auto first = get("/assets/index-3f2a.js");
  const auto etag = first.header("ETag");
  ASSERT_TRUE(etag);
  const auto second = request(Method::GET, "/assets/index-3f2a.js", {{"if-none-match", *etag}});
  EXPECT_EQ(second.status, 304U);
  EXPECT_TRUE(second.body.empty());

  const auto ranged = request(Method::GET, "/robots.txt", {{"range", "bytes=0-9"}});
  EXPECT_EQ(ranged.status, 206U);
  EXPECT_EQ(ranged.body, "User-agent");
}

TEST_F(StaticFilesTest, ChangedFileGetsNewEtag) {
  const auto before = get("/robots.txt").header("ETag");
  write_file(root / "robots.txt", "User-agent: * Disallow: /");
  EXPECT_NE(get("/robots.txt").header("ETag"), before);
}

TEST_F(StaticFilesTest, HeadKeepsLengthWithoutBody) {
  const auto response = request(Method::HEAD, "/assets/index-3f2a.js");
  EXPECT_EQ(response.status, 200U);
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(response.header("Content-Length"), "14");
}

TEST_F(StaticFilesTest, OnlyGetAndHead) {
  auto handler = static_files(root);
  Request req;
  req.method = Method::POST;
  req.path = "/index.html";
  const auto response = handler(req);
  EXPECT_EQ(response.status, 405U);
  EXPECT_EQ(response.header("Allow"), "GET, HEAD");
}

// The build writes name.br and name.gz beside text files (web/vite.config.ts).
class PrecompressedFilesTest : public StaticFilesTest {
 protected:
  void SetUp() override {
    StaticFilesTest::SetUp();
    write_file(root / "assets" / "index-3f2a.js.br", "brotli bytes");
    write_file(root / "assets" / "index-3f2a.js.gz", "gzip bytes");
    write_file(root / "index.html.gz", "gzip index");
  }

  Response get_with(const std::string& path, const std::string& accept_encoding) {
    return request(Method::GET, path, {{"accept-encoding", accept_encoding}});
  }
};

TEST_F(PrecompressedFilesTest, BrotliFirstThenGzipWithTheOriginalsType) {
  const auto br = get_with("/assets/index-3f2a.js", "gzip, deflate, br, zstd");
  EXPECT_EQ(br.body, "brotli bytes");
  EXPECT_EQ(br.header("Content-Encoding"), "br");
  EXPECT_EQ(br.header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(br.header("Vary"), "Accept-Encoding");
  EXPECT_EQ(br.header("Cache-Control"), "public, max-age=31536000, immutable");

  const auto gz = get_with("/assets/index-3f2a.js", "gzip");
  EXPECT_EQ(gz.body, "gzip bytes");
  EXPECT_EQ(gz.header("Content-Encoding"), "gzip");
  EXPECT_NE(gz.header("ETag"), br.header("ETag"));
}

TEST_F(PrecompressedFilesTest, TheFileItselfWhenNoCodingIsAccepted) {
  for (const std::string accept :
       {"", "identity", "br;q=0, gzip;q=0", "deflate", "*;q=0", "gzip;q=0.000, br;q=0"}) {
    const auto plain = get_with("/assets/index-3f2a.js", accept);
    EXPECT_EQ(plain.body, "console.log(1)") << accept;
    EXPECT_FALSE(plain.header("Content-Encoding")) << accept;
    EXPECT_EQ(plain.header("Vary"), "Accept-Encoding") << accept;
  }
  EXPECT_EQ(get_with("/assets/index-3f2a.js", "*").header("Content-Encoding"), "br");
  EXPECT_EQ(get_with("/assets/index-3f2a.js", "BR;Q=0.5").header("Content-Encoding"), "br");
  EXPECT_EQ(get_with("/assets/index-3f2a.js", "br;q=0, *").header("Content-Encoding"), "gzip");
  // A file without a compressed copy is sent as it is.
  EXPECT_FALSE(get_with("/assets/index-3f2a.css", "br, gzip").header("Content-Encoding"));
}

TEST_F(PrecompressedFilesTest, TheSpaFallbackAndIndexStayRevalidated) {
  const auto index = get_with("/gallery", "br, gzip");
  EXPECT_EQ(index.body, "gzip index");
  EXPECT_EQ(index.header("Content-Encoding"), "gzip");
  EXPECT_EQ(index.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.header("Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, MissingAppIs404) {
  fs::remove(root / "index.html");
  EXPECT_EQ(get("/").status, 404U);
}

}  // namespace
}  // namespace rendermart::http
