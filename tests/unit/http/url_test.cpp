#include "http/url.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "http/message.hpp"

namespace rendermart::http {
namespace {

TEST(PercentDecodeTest, DecodesEscapes) {
  EXPECT_EQ(percent_decode("a%20b%2Fc%e2%82%ac"), "a b/c\xe2\x82\xac");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
}

TEST(PercentDecodeTest, RejectsMalformedEscapes) {
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("abc%2"));
  EXPECT_FALSE(percent_decode("%zz"));
}

TEST(ParseQueryTest, SplitsAndDecodes) {
  const auto query = parse_query("q=red+fox&tag=a&tag=b%26c&flag&&empty=");
  EXPECT_EQ(query.count("tag"), 2U);
  EXPECT_EQ(query.find("q")->second, "red fox");
  EXPECT_EQ(query.find("flag")->second, "");
  EXPECT_EQ(query.find("empty")->second, "");
  auto tags = query.equal_range("tag");
  EXPECT_EQ(tags.first->second, "a");
  EXPECT_EQ(std::next(tags.first)->second, "b&c");
}

TEST(ParseQueryTest, MalformedEscapeIsInvalidArgument) {
  try {
    parse_query("a=%zz");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::invalid_argument);
    EXPECT_EQ(error.field(), "query");
  }
}

TEST(MessageTest, HeadersAreCaseInsensitive) {
  Request request;
  request.headers = {{"content-type", "application/json"}};
  EXPECT_EQ(request.header("Content-Type"), "application/json");
  EXPECT_FALSE(request.header("accept"));

  Response response;
  response.set_header("Content-Type", "text/plain");
  response.set_header("content-type", "application/json");
  EXPECT_EQ(response.headers.size(), 1U);
  EXPECT_EQ(response.header("CONTENT-TYPE"), "application/json");
}

TEST(MessageTest, QueryAndPathParams) {
  Request request;
  request.query = {{"limit", "5"}};
  request.params = {{"id", "42"}};
  EXPECT_EQ(request.query_param("limit"), "5");
  EXPECT_FALSE(request.query_param("cursor"));
  EXPECT_EQ(request.param("id"), "42");
  EXPECT_THROW(request.param("other"), Error);
}

TEST(MessageTest, MethodNames) {
  EXPECT_STREQ(to_string(Method::DELETE_), "DELETE");
  EXPECT_EQ(method_from_string("PATCH"), Method::PATCH);
  EXPECT_FALSE(method_from_string("TRACE"));
  EXPECT_FALSE(method_from_string("get"));
}

TEST(MessageTest, JsonResponse) {
  const auto response = json_response(201, "{\"id\":\"x\"}");
  EXPECT_EQ(response.status, 201U);
  EXPECT_EQ(response.header("Content-Type"), "application/json");
  EXPECT_EQ(response.body, "{\"id\":\"x\"}");
}

}  // namespace
}  // namespace rendermart::http
