// Where clients reach the service: trusted proxies, public origins and absolute URL bases, and
// the headers every response gets.

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "http/media_type.hpp"
#include "http/public_url.hpp"
#include "http/security_headers.hpp"
#include "http/trusted_proxies.hpp"

namespace rendermart::http {
namespace {

Request request_from(std::string remote, std::vector<std::pair<std::string, std::string>> headers) {
  Request request;
  request.remote_address = std::move(remote);
  request.local_address = "127.0.0.1:3300";
  request.headers = std::move(headers);
  return request;
}

TEST(TrustedProxiesTest, MatchesAddressesAndNetworksOfBothFamilies) {
  const auto proxies = TrustedProxies::parse("10.0.0.0/8, 192.168.1.7 ,fd00::/8, ::1", "S");
  EXPECT_TRUE(proxies.contains("10.42.0.3"));
  EXPECT_TRUE(proxies.contains("::ffff:10.1.2.3"));  // IPv4 on a dual-stack socket
  EXPECT_TRUE(proxies.contains("192.168.1.7"));
  EXPECT_FALSE(proxies.contains("192.168.1.8"));
  EXPECT_FALSE(proxies.contains("11.0.0.1"));
  EXPECT_TRUE(proxies.contains("fd12::1"));
  EXPECT_TRUE(proxies.contains("::1"));
  EXPECT_FALSE(proxies.contains("fe80::1"));
  EXPECT_FALSE(proxies.contains("not an address"));
  EXPECT_TRUE(TrustedProxies::parse("", "S").empty());
  EXPECT_TRUE(TrustedProxies::parse("0.0.0.0/0", "S").contains("203.0.113.9"));
}

TEST(TrustedProxiesTest, RefusesEntriesThatAreNoAddress) {
  for (const char* bad : {"10.0.0.0/33", "example.com", "10.0.0.0/", "10.0.0.0/x", "::1/129"}) {
    try {
      TrustedProxies::parse(bad, "RENDERMART_TRUSTED_PROXIES");
      ADD_FAILURE() << bad;
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::invalid_argument) << bad;
      EXPECT_NE(std::string(error.what()).find("RENDERMART_TRUSTED_PROXIES"), std::string::npos);
    }
  }
}

TEST(TrustedProxiesTest, ClientAddressSkipsTrustedHopsFromTheRight) {
  const auto proxies = TrustedProxies::parse("10.0.0.0/8", "S");
  // A client cannot choose its address by sending X-Forwarded-For itself...
  EXPECT_EQ(proxies.client_address(request_from("203.0.113.9", {{"x-forwarded-for", "1.2.3.4"}})),
            "203.0.113.9");
  // ...and what it sent ahead of the proxies' own entries is skipped.
  EXPECT_EQ(proxies.client_address(
                request_from("10.0.0.2", {{"x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.0.0.9"}})),
            "198.51.100.7");
  EXPECT_EQ(proxies.client_address(request_from("10.0.0.2", {})), "10.0.0.2");
}

TEST(PublicUrlTest, ConfiguredBaseDecidesOriginAndBase) {
  const PublicUrl url("HTTPS://Images.Example.com:443/rm/", TrustedProxies::parse("0.0.0.0/0", "S"),
                      "RENDERMART_PUBLIC_URL");
  const auto request =
      request_from("10.0.0.2", {{"host", "evil.example"}, {"x-forwarded-host", "evil.example"}});
  EXPECT_EQ(url.origin(request), "https://images.example.com");
  EXPECT_EQ(url.base(request), "https://images.example.com/rm");
}

TEST(PublicUrlTest, WithoutBaseOnlyTrustedProxiesMayNameTheHost) {
  const PublicUrl url("", TrustedProxies::parse("10.0.0.0/8", "S"), "S");
  const auto spoofed = request_from("203.0.113.9", {{"host", "evil.example"},
                                                    {"x-forwarded-proto", "https"},
                                                    {"x-forwarded-host", "evil.example"}});
  EXPECT_EQ(url.base(spoofed), "http://127.0.0.1:3300");  // the listener, never the Host
  EXPECT_EQ(url.origin(spoofed), "http://evil.example");  // what a browser there would send

  const auto proxied = request_from("10.0.0.2", {{"host", "internal:3300"},
                                                 {"x-forwarded-proto", "https, http"},
                                                 {"x-forwarded-host", "images.example.com"}});
  EXPECT_EQ(url.base(proxied), "https://images.example.com");
  EXPECT_EQ(url.origin(proxied), "https://images.example.com");

  auto local = request_from("127.0.0.1", {{"host", "LocalHost:80"}});
  EXPECT_EQ(url.origin(local), "http://localhost");
  local.scheme = "https";
  local.local_address = "abc.execute-api.us-east-1.amazonaws.com";
  EXPECT_EQ(url.base(local), "https://abc.execute-api.us-east-1.amazonaws.com");
}

TEST(PublicUrlTest, RefusesWhatIsNoBaseUrl) {
  for (const char* bad : {"images.example.com", "ftp://x", "https://", "https://x/?a=1",
                          "https://u:p@x", "https://x/#top"}) {
    try {
      PublicUrl(bad, {}, "RENDERMART_PUBLIC_URL");
      ADD_FAILURE() << bad;
    } catch (const Error& error) {
      EXPECT_EQ(error.field(), "RENDERMART_PUBLIC_URL") << bad;
    }
  }
}

TEST(MediaTypeTest, ParsesTheTypeWithoutParameters) {
  EXPECT_EQ(media_type("application/json"), "application/json");
  EXPECT_EQ(media_type("Application/JSON ; charset=utf-8"), "application/json");
  EXPECT_EQ(media_type("text/plain; a=json"), "text/plain");
  EXPECT_EQ(media_type("application/x-www-form-urlencoded"), "application/x-www-form-urlencoded");
  EXPECT_EQ(media_type(""), "");
}

TEST(SecurityHeadersTest, EveryResponseAndHtmlAndJson) {
  const Request request;
  Response html;
  html.set_header("Content-Type", "text/html; charset=utf-8");
  html.set_header("Cache-Control", "no-cache");
  SecurityHeaders{}(request, html);
  EXPECT_EQ(html.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(html.header("x-frame-options"), "DENY");
  EXPECT_EQ(html.header("referrer-policy"), "no-referrer");
  EXPECT_EQ(html.header("content-security-policy"), kContentSecurityPolicy);
  EXPECT_EQ(html.header("cache-control"), "no-cache");
  EXPECT_FALSE(html.header("strict-transport-security"));

  auto json = json_response(200, "{}");
  SecurityHeaders{.https_only = true}(request, json);
  EXPECT_EQ(json.header("cache-control"), "no-store");
  EXPECT_FALSE(json.header("content-security-policy"));
  EXPECT_EQ(json.header("strict-transport-security"), kStrictTransportSecurity);

  Response image;
  image.set_header("Content-Type", "image/webp");
  image.set_header("Cache-Control", "private, max-age=31536000, immutable");
  SecurityHeaders{}(request, image);
  EXPECT_EQ(image.header("cache-control"), "private, max-age=31536000, immutable");
  image.headers.emplace_back("Set-Cookie", "a=b");
  SecurityHeaders{}(request, image);
  EXPECT_EQ(image.header("cache-control"), "no-store");
}

}  // namespace
}  // namespace rendermart::http
