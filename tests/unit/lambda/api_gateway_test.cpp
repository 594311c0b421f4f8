#include "lambda/api_gateway.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace rendermart::lambda {
namespace {

using nlohmann::json;

json v2_event() {
  return json::parse(R"({
    "version": "2.0", "routeKey": "$default", "rawPath": "/prod/api/v1/images",
    "rawQueryString": "limit=2&tag=a&tag=b%20c", "cookies": ["rm_session=abc", "theme=dark"],
    "headers": {"Content-Type": "application/json", "x-forwarded-for": "1.2.3.4"},
    "queryStringParameters": {"limit": "2", "tag": "a,b c"},
    "requestContext": {"stage": "prod", "requestId": "req-2",
                       "http": {"method": "GET", "path": "/prod/api/v1/images", "sourceIp": "1.2.3.4"}},
    "isBase64Encoded": false})");
}

json rest_event() {
  return json::parse(R"({
    "resource": "/{proxy+}", "path": "/api/v1/images", "httpMethod": "POST",
    "headers": {"Cookie": "rm_session=abc"},
    "multiValueHeaders": {"Cookie": ["rm_session=abc"], "Accept": ["a", "b"]},
    "queryStringParameters": {"tag": "b"},
    "multiValueQueryStringParameters": {"tag": ["a", "b c"]},
    "requestContext": {"stage": "prod", "requestId": "req-1", "identity": {"sourceIp": "5.6.7.8"}},
    "body": "aGVsbG8=", "isBase64Encoded": true})");
}

TEST(ApiGateway, RecognisesTheThreeShapes) {
  EXPECT_EQ(payload_version(v2_event()), PayloadVersion::http_v2);
  EXPECT_EQ(payload_version(rest_event()), PayloadVersion::rest_v1);
  auto http_v1 = rest_event();
  http_v1["version"] = "1.0";
  EXPECT_EQ(payload_version(http_v1), PayloadVersion::http_v1);
  EXPECT_THROW(payload_version(json::parse(R"({"Records": []})")), InvalidEvent);
  EXPECT_THROW(payload_version(json::parse(R"([1])")), InvalidEvent);
  EXPECT_THROW(payload_version(json::parse(R"({"version": "3.0"})")), InvalidEvent);
}

TEST(ApiGateway, MapsPayload2WithoutTheStage) {
  const auto request = to_request(v2_event(), PayloadVersion::http_v2, 1024);
  EXPECT_EQ(request.method, http::Method::GET);
  EXPECT_EQ(request.path, "/api/v1/images");
  EXPECT_EQ(request.target, "/api/v1/images?limit=2&tag=a&tag=b%20c");
  EXPECT_EQ(request.query.count("tag"), 2u);
  EXPECT_EQ(request.query_param("limit").value_or(""), "2");
  EXPECT_EQ(request.header("cookie").value_or(""), "rm_session=abc; theme=dark");
  EXPECT_EQ(request.header("content-type").value_or(""), "application/json");
  EXPECT_EQ(request.remote_address, "1.2.3.4");
  EXPECT_EQ(request.request_id, "req-2");
}

TEST(ApiGateway, MapsRestPayloadWithMultipleValuesAndBase64) {
  const auto request = to_request(rest_event(), PayloadVersion::rest_v1, 1024);
  EXPECT_EQ(request.method, http::Method::POST);
  EXPECT_EQ(request.path, "/api/v1/images");
  EXPECT_EQ(request.body, "hello");
  const auto tags = request.query.equal_range("tag");
  std::vector<std::string> values;
  for (auto it = tags.first; it != tags.second; ++it) values.push_back(it->second);
  EXPECT_EQ(values, (std::vector<std::string>{"a", "b c"}));
  int accepts = 0;
  for (const auto& [name, value] : request.headers) accepts += name == "accept";
  EXPECT_EQ(accepts, 2);
  EXPECT_EQ(request.remote_address, "5.6.7.8");
}

TEST(ApiGateway, StripsANamedStageOnlyFromHttpApis) {
  auto event = rest_event();
  event["path"] = "/prod/api/v1/images";
  EXPECT_EQ(to_request(event, PayloadVersion::rest_v1, 1024).path, "/prod/api/v1/images");
  event["version"] = "1.0";
  EXPECT_EQ(to_request(event, PayloadVersion::http_v1, 1024).path, "/api/v1/images");
  auto v2 = v2_event();
  v2["requestContext"]["stage"] = "$default";
  v2["rawPath"] = "/prod/x";
  EXPECT_EQ(to_request(v2, PayloadVersion::http_v2, 1024).path, "/prod/x");
}

TEST(ApiGateway, RefusesBadBodiesAndMethods) {
  auto event = rest_event();
  event["body"] = "not base64!";
  try {
    to_request(event, PayloadVersion::rest_v1, 1024);
    FAIL() << "bad base64 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
  }
  event["body"] = std::string(2000, 'a');
  event["isBase64Encoded"] = false;
  try {
    to_request(event, PayloadVersion::rest_v1, 1024);
    FAIL() << "body over the limit accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::payload_too_large);
  }
  event = rest_event();
  event["httpMethod"] = "TRACE";
  EXPECT_THROW(to_request(event, PayloadVersion::rest_v1, 1024), Error);
}

http::Response sample_response(std::string type, std::string body) {
  http::Response response;
  response.status = 201;
  response.set_header("Content-Type", std::move(type));
  response.headers.emplace_back("Set-Cookie", "a=1; HttpOnly");
  response.headers.emplace_back("Set-Cookie", "b=2");
  response.headers.emplace_back("Vary", "Cookie");
  response.headers.emplace_back("Vary", "Accept");
  response.body = std::move(body);
  return response;
}

TEST(ApiGateway, RendersPayload2ResponsesWithCookiesAndJoinedHeaders) {
  const auto out = to_gateway_response(sample_response("application/json", R"({"a":1})"),
                                       PayloadVersion::http_v2);
  EXPECT_EQ(out["statusCode"], 201);
  EXPECT_EQ(out["isBase64Encoded"], false);
  EXPECT_EQ(out["body"], R"({"a":1})");
  EXPECT_EQ(out["cookies"], json::array({"a=1; HttpOnly", "b=2"}));
  EXPECT_EQ(out["headers"]["Vary"], "Cookie, Accept");
  EXPECT_FALSE(out["headers"].contains("Set-Cookie"));
}

TEST(ApiGateway, RendersPayload1ResponsesWithMultiValueHeadersAndBase64Bodies) {
  const std::string png("\x89PNG\r\n\x1a\n\x00", 9);
  const auto out = to_gateway_response(sample_response("image/png", png), PayloadVersion::rest_v1);
  EXPECT_EQ(out["isBase64Encoded"], true);
  EXPECT_EQ(out["body"], "iVBORw0KGgoA");
  EXPECT_EQ(out["multiValueHeaders"]["Set-Cookie"], json::array({"a=1; HttpOnly", "b=2"}));
  EXPECT_EQ(out["multiValueHeaders"]["Content-Type"], json::array({"image/png"}));
}

TEST(ApiGateway, CompressedTextGoesAsBase64) {
  const std::string brotli("\x1b\x0d\x00\xf8\xff", 5);
  auto response = sample_response("text/javascript; charset=utf-8", brotli);
  response.set_header("Content-Encoding", "br");
  const auto out = to_gateway_response(response, PayloadVersion::http_v2);
  EXPECT_EQ(out["isBase64Encoded"], true);
  EXPECT_EQ(out["body"], "Gw0A+P8=");
  EXPECT_EQ(out["headers"]["Content-Encoding"], "br");
}

}  // namespace
}  // namespace rendermart::lambda
