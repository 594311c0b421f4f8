#include "http/router.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

#include "core/error.hpp"
#include "http/status.hpp"

namespace rendermart::http {
namespace {

Request make_request(Method method, std::string target) {
  Request request;
  request.method = method;
  request.target = target;
  request.path = target.substr(0, target.find('?'));
  request.request_id = "req-1";
  return request;
}

Response text(std::string body) {
  Response response;
  response.set_header("Content-Type", "text/plain");
  response.body = std::move(body);
  return response;
}

nlohmann::json error_of(const Response& response) {
  return nlohmann::json::parse(response.body).at("error");
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router.add(Method::GET, "/api/v1/images", [](Request&) { return text("list"); });
    router.add(Method::POST, "/api/v1/images", [](Request&) { return text("created"); });
    router.add(Method::GET, "/api/v1/images/{id}",
               [](Request& request) { return text("image " + request.param("id")); });
    router.add(Method::DELETE_, "/api/v1/images/{id}", [](Request&) { return text("deleted"); });
    router.add(Method::GET, "/api/v1/images/search", [](Request&) { return text("search"); });
    router.add(Method::GET, "/api/v1/users/{user}/images/{id}", [](Request& request) {
      return text(request.param("user") + "/" + request.param("id"));
    });
    router.add(Method::GET, "/file", [](Request&) {
      auto response = text("0123456789");
      response.etag = "v1";
      response.accept_ranges = true;
      return response;
    });
  }

  Response get(std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto request = make_request(Method::GET, std::move(target));
    request.headers = std::move(headers);
    return router.handle(request);
  }

  Router router;
};

TEST_F(RouterTest, MatchesLiteralRoutes) {
  auto request = make_request(Method::GET, "/api/v1/images");
  const auto response = router.handle(request);
  EXPECT_EQ(response.status, 200U);
  EXPECT_EQ(response.body, "list");
  EXPECT_EQ(request.route, "/api/v1/images");
}

TEST_F(RouterTest, ExtractsPercentDecodedParams) {
  auto request = make_request(Method::GET, "/api/v1/users/a%20b/images/x%2Fy");
  const auto response = router.handle(request);
  EXPECT_EQ(response.body, "a b/x/y");  // an encoded slash stays inside its segment
  EXPECT_EQ(request.route, "/api/v1/users/{user}/images/{id}");
  EXPECT_EQ(request.params.at("id"), "x/y");
}

TEST_F(RouterTest, LiteralSegmentsWinOverParameters) {
  EXPECT_EQ(get("/api/v1/images/search").body, "search");
  EXPECT_EQ(get("/api/v1/images/abc").body, "image abc");
}

TEST_F(RouterTest, IgnoresTheQueryWhenMatching) {
  EXPECT_EQ(get("/api/v1/images?limit=5").body, "list");
}

TEST_F(RouterTest, UnknownPathIsJson404) {
  auto request = make_request(Method::GET, "/nope");
  const auto response = router.handle(request);
  EXPECT_EQ(response.status, 404U);
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(error_of(response).at("code"), "not_found");
  EXPECT_FALSE(error_of(response).contains("field"));
  EXPECT_TRUE(request.route.empty());
  EXPECT_EQ(get("/api/v1/images/").status, 404U);  // no trailing-slash aliasing
}

TEST_F(RouterTest, KnownPathWithOtherMethodIs405WithAllow) {
  auto request = make_request(Method::PUT, "/api/v1/images");
  const auto response = router.handle(request);
  EXPECT_EQ(response.status, 405U);
  EXPECT_EQ(error_of(response).at("code"), "method_not_allowed");
  EXPECT_EQ(response.header("Allow"), "GET, HEAD, POST");

  auto item = make_request(Method::POST, "/api/v1/images/7");
  EXPECT_EQ(router.handle(item).header("allow"), "GET, HEAD, DELETE");
}

TEST_F(RouterTest, HeadUsesGetHandlerWithoutBody) {
  auto request = make_request(Method::HEAD, "/api/v1/images/42");
  const auto response = router.handle(request);
  EXPECT_EQ(response.status, 200U);
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(response.header("Content-Length"), std::to_string(std::string("image 42").size()));
  EXPECT_EQ(response.header("Content-Type"), "text/plain");
}

TEST_F(RouterTest, ExplicitHeadRouteWins) {
  router.add(Method::HEAD, "/api/v1/images", [](Request&) { return text("head"); });
  auto request = make_request(Method::HEAD, "/api/v1/images");
  EXPECT_EQ(router.handle(request).header("Content-Length"), "4");
}

TEST_F(RouterTest, SetsRequestIdHeaderAndMakesOneWhenMissing) {
  EXPECT_EQ(get("/api/v1/images").header("X-Request-Id"), "req-1");
  auto request = make_request(Method::GET, "/nope");
  request.request_id.clear();
  const auto response = router.handle(request);
  EXPECT_FALSE(request.request_id.empty());
  EXPECT_EQ(response.header("X-Request-Id"), request.request_id);
}

TEST_F(RouterTest, RendersErrorsWithTheirStatusAndField) {
  router.add(Method::GET, "/invalid", [](Request&) -> Response {
    throw invalid_argument("width", "width must be a multiple of 8");
  });
  router.add(Method::GET, "/missing", [](Request&) -> Response { throw not_found("image"); });
  router.add(Method::GET, "/busy", [](Request&) -> Response {
    throw Error(ErrorCode::unavailable, "database unreachable");
  });

  const auto invalid = get("/invalid");
  EXPECT_EQ(invalid.status, 400U);
  EXPECT_EQ(error_of(invalid).at("code"), "invalid_argument");
  EXPECT_EQ(error_of(invalid).at("message"), "width must be a multiple of 8");
  EXPECT_EQ(error_of(invalid).at("field"), "width");
  EXPECT_EQ(invalid.header("X-Request-Id"), "req-1");

  const auto missing = get("/missing");
  EXPECT_EQ(missing.status, 404U);
  EXPECT_EQ(error_of(missing).at("message"), "image not found");
  EXPECT_FALSE(error_of(missing).contains("field"));

  EXPECT_EQ(get("/busy").status, 503U);
}

TEST_F(RouterTest, OtherExceptionsAre500WithoutDetails) {
  router.add(Method::GET, "/bug",
             [](Request&) -> Response { throw std::runtime_error("secret detail"); });
  router.add(Method::GET, "/internal",
             [](Request&) -> Response { throw Error(ErrorCode::internal, "secret detail"); });
  for (const auto* path : {"/bug", "/internal"}) {
    const auto response = get(path);
    EXPECT_EQ(response.status, 500U);
    EXPECT_EQ(error_of(response).at("code"), "internal");
    EXPECT_EQ(error_of(response).at("message"), "internal error (request id req-1)");
  }
}

TEST_F(RouterTest, MalformedPathEncodingIs400) {
  const auto response = get("/api/v1/images/%zz");
  EXPECT_EQ(response.status, 400U);
  EXPECT_EQ(error_of(response).at("field"), "path");
}

TEST_F(RouterTest, FallbackServesUnknownGetPathsOnly) {
  router.set_fallback([](Request&) { return text("app"); });
  auto request = make_request(Method::GET, "/some/page");
  EXPECT_EQ(router.handle(request).body, "app");
  EXPECT_EQ(request.route, "fallback");
  auto post = make_request(Method::POST, "/some/page");
  EXPECT_EQ(router.handle(post).status, 404U);
  // Known paths keep their 405.
  auto put = make_request(Method::PUT, "/api/v1/images");
  EXPECT_EQ(router.handle(put).status, 405U);
}

TEST(HttpStatusTest, MapsEveryCode) {
  EXPECT_EQ(http_status(ErrorCode::invalid_argument), 400U);
  EXPECT_EQ(http_status(ErrorCode::invalid_json), 400U);
  EXPECT_EQ(http_status(ErrorCode::unauthenticated), 401U);
  EXPECT_EQ(http_status(ErrorCode::forbidden), 403U);
  EXPECT_EQ(http_status(ErrorCode::not_found), 404U);
  EXPECT_EQ(http_status(ErrorCode::method_not_allowed), 405U);
  EXPECT_EQ(http_status(ErrorCode::conflict), 409U);
  EXPECT_EQ(http_status(ErrorCode::payload_too_large), 413U);
  EXPECT_EQ(http_status(ErrorCode::unsupported_media_type), 415U);
  EXPECT_EQ(http_status(ErrorCode::range_not_satisfiable), 416U);
  EXPECT_EQ(http_status(ErrorCode::rate_limited), 429U);
  EXPECT_EQ(http_status(ErrorCode::canceled), 409U);
  EXPECT_EQ(http_status(ErrorCode::content_filtered), 422U);
  EXPECT_EQ(http_status(ErrorCode::provider_error), 502U);
  EXPECT_EQ(http_status(ErrorCode::storage_error), 502U);
  EXPECT_EQ(http_status(ErrorCode::unavailable), 503U);
  EXPECT_EQ(http_status(ErrorCode::internal), 500U);
}

// --- Conditional requests and ranges -------------------------------------------------------

TEST_F(RouterTest, AnnouncesEtagAndRanges) {
  const auto response = get("/file");
  EXPECT_EQ(response.status, 200U);
  EXPECT_EQ(response.header("ETag"), "\"v1\"");
  EXPECT_EQ(response.header("Accept-Ranges"), "bytes");
  EXPECT_EQ(response.body, "0123456789");
}

TEST_F(RouterTest, IfNoneMatchGives304) {
  for (const char* value : {"\"v1\"", "W/\"v1\"", "\"other\", \"v1\"", "*"}) {
    const auto response = get("/file", {{"if-none-match", value}});
    EXPECT_EQ(response.status, 304U) << value;
    EXPECT_TRUE(response.body.empty());
    EXPECT_EQ(response.header("ETag"), "\"v1\"");
  }
  EXPECT_EQ(get("/file", {{"if-none-match", "\"v2\""}}).status, 200U);
  EXPECT_EQ(get("/file", {{"if-none-match", "v1"}}).status, 200U);  // unquoted: malformed

  auto head = make_request(Method::HEAD, "/file");
  head.headers = {{"if-none-match", "\"v1\""}};
  const auto response = router.handle(head);
  EXPECT_EQ(response.status, 304U);
  EXPECT_FALSE(response.header("Content-Length"));
}

TEST_F(RouterTest, ClosedRangeGives206) {
  const auto response = get("/file", {{"range", "bytes=2-5"}});
  EXPECT_EQ(response.status, 206U);
  EXPECT_EQ(response.body, "2345");
  EXPECT_EQ(response.header("Content-Range"), "bytes 2-5/10");
  EXPECT_EQ(response.header("Content-Type"), "text/plain");
}

TEST_F(RouterTest, OpenEndedAndClampedRanges) {
  auto response = get("/file", {{"range", "bytes=7-"}});
  EXPECT_EQ(response.status, 206U);
  EXPECT_EQ(response.body, "789");
  EXPECT_EQ(response.header("Content-Range"), "bytes 7-9/10");

  response = get("/file", {{"range", "bytes=8-100"}});
  EXPECT_EQ(response.body, "89");
  EXPECT_EQ(response.header("Content-Range"), "bytes 8-9/10");
}

TEST_F(RouterTest, SuffixRanges) {
  auto response = get("/file", {{"range", "bytes=-3"}});
  EXPECT_EQ(response.status, 206U);
  EXPECT_EQ(response.body, "789");
  EXPECT_EQ(response.header("Content-Range"), "bytes 7-9/10");

  response = get("/file", {{"range", "bytes=-50"}});
  EXPECT_EQ(response.status, 206U);
  EXPECT_EQ(response.body, "0123456789");
  EXPECT_EQ(response.header("Content-Range"), "bytes 0-9/10");
}

TEST_F(RouterTest, UnsatisfiableRangeGives416) {
  for (const char* value : {"bytes=10-", "bytes=10-20", "bytes=-0"}) {
    const auto response = get("/file", {{"range", value}});
    EXPECT_EQ(response.status, 416U) << value;
    EXPECT_EQ(response.header("Content-Range"), "bytes */10");
    EXPECT_EQ(error_of(response).at("code"), "range_not_satisfiable");
  }
}

TEST_F(RouterTest, MultipleOrInvalidRangesGiveTheFullBody) {
  for (const char* value : {"bytes=0-1,4-5", "bytes=5-2", "bytes=x-y", "items=0-1", "bytes=1"}) {
    const auto response = get("/file", {{"range", value}});
    EXPECT_EQ(response.status, 200U) << value;
    EXPECT_EQ(response.body, "0123456789");
  }
}

TEST_F(RouterTest, IfRangeMustMatchTheCurrentEtag) {
  EXPECT_EQ(get("/file", {{"range", "bytes=0-1"}, {"if-range", "\"v1\""}}).status, 206U);
  EXPECT_EQ(get("/file", {{"range", "bytes=0-1"}, {"if-range", "\"v0\""}}).status, 200U);
  EXPECT_EQ(get("/file", {{"range", "bytes=0-1"}, {"if-range", "W/\"v1\""}}).status, 200U);
}

TEST_F(RouterTest, HeadIgnoresRange) {
  auto request = make_request(Method::HEAD, "/file");
  request.headers = {{"range", "bytes=0-1"}};
  const auto response = router.handle(request);
  EXPECT_EQ(response.status, 200U);
  EXPECT_EQ(response.header("Content-Length"), "10");
}

TEST_F(RouterTest, RangesOnlyApplyToResponsesThatAcceptThem) {
  const auto response = get("/api/v1/images", {{"range", "bytes=0-1"}});
  EXPECT_EQ(response.status, 200U);
  EXPECT_EQ(response.body, "list");
  EXPECT_FALSE(response.header("Accept-Ranges"));
}

}  // namespace
}  // namespace rendermart::http

namespace rendermart::http {
namespace {

TEST(RouterGuardTest, GuardRunsBeforeEveryRouteAndFinisherOnEveryResponse) {
  Router router;
  int created = 0;
  router.add(Method::POST, "/things", [&created](Request&) {
    ++created;
    return text("created");
  });
  router.set_fallback([](Request&) { return text("page"); });
  router.set_guard([](const Request& request) {
    if (!request.header("origin")) throw Error(ErrorCode::cross_site_request, "no origin");
  });
  router.set_finisher(
      [](const Request&, Response& response) { response.set_header("X-Finished", "yes"); });

  auto refused = make_request(Method::POST, "/things");
  const auto refusal = router.handle(refused);
  EXPECT_EQ(refusal.status, 403U);
  EXPECT_EQ(error_of(refusal).at("code"), "cross_site_request");
  EXPECT_EQ(refusal.header("x-finished"), "yes");
  EXPECT_EQ(created, 0);

  auto allowed = make_request(Method::POST, "/things");
  allowed.headers.emplace_back("origin", "http://here");
  EXPECT_EQ(router.handle(allowed).body, "created");
  EXPECT_EQ(created, 1);

  auto page = make_request(Method::GET, "/somewhere");  // the fallback: no guard
  const auto served = router.handle(page);
  EXPECT_EQ(served.body, "page");
  EXPECT_EQ(served.header("x-finished"), "yes");
}

}  // namespace
}  // namespace rendermart::http
