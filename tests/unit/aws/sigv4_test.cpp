// Published examples: the Amazon S3 API reference, "Signature Calculations for the Authorization
// Header" and "Authenticating Requests: Using Query Parameters"; the IAM user guide's
// "Create a signed AWS API request" example (ListUsers). Keys are AWS's documented example keys.

#include <gtest/gtest.h>

#include "aws/sigv4.hpp"
#include "core/error.hpp"

namespace rendermart::aws {
namespace {

constexpr const char* example_key_id = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* example_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr const char* empty_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Clock::time_point at(std::int64_t epoch_seconds) {
  return Clock::time_point(std::chrono::seconds(epoch_seconds));
}
// 2013-05-24T00:00:00Z, the date of the S3 examples.
const Clock::time_point s3_example_time = at(1369353600);

Signer s3_signer() {
  return Signer({.region = "us-east-1",
                 .service = "s3",
                 .s3_path_rules = true,
                 .add_content_sha256_header = true});
}

std::string header(const SignableRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return {};
}

TEST(Hashes, KnownValues) {
  EXPECT_EQ(sha256_hex(""), empty_sha256);
  EXPECT_EQ(to_hex(hmac_sha256("key", "The quick brown fox jumps over the lazy dog")),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST(SigV4, S3GetObjectExample) {
  SignableRequest request{
      .method = "GET",
      .path = "/test.txt",
      .query = {},
      .headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}},
      .payload_hash = empty_sha256};
  const Signer signer = s3_signer();
  signer.sign(request, {example_key_id, example_secret, "", std::nullopt}, s3_example_time);
  EXPECT_EQ(header(request, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(header(request, "x-amz-date"), "20130524T000000Z");
  EXPECT_EQ(header(request, "x-amz-content-sha256"), empty_sha256);
}

TEST(SigV4, S3GetObjectExampleCanonicalRequest) {
  const SignableRequest request{.method = "GET",
                                .path = "/test.txt",
                                .query = {},
                                .headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                                            {"Range", "bytes=0-9"},
                                            {"x-amz-content-sha256", empty_sha256},
                                            {"x-amz-date", "20130524T000000Z"}},
                                .payload_hash = empty_sha256};
  const Signer signer = s3_signer();
  const std::string canonical = signer.canonical_request(request);
  EXPECT_EQ(canonical,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:" +
                std::string(empty_sha256) +
                "\nx-amz-date:20130524T000000Z\n\n"
                "host;range;x-amz-content-sha256;x-amz-date\n" +
                empty_sha256);
  EXPECT_EQ(signer.string_to_sign(canonical, s3_example_time),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
}

TEST(SigV4, S3PutObjectExample) {
  const std::string body = "Welcome to Amazon S3.";
  SignableRequest request{.method = "PUT",
                          .path = "/test$file.text",
                          .query = {},
                          .headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                                      {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                                      {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                          .payload_hash = sha256_hex(body)};
  s3_signer().sign(request, {example_key_id, example_secret, "", std::nullopt}, s3_example_time);
  EXPECT_EQ(header(request, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
            "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, S3GetBucketLifecycleExample) {
  SignableRequest request{.method = "GET",
                          .path = "/",
                          .query = {{"lifecycle", ""}},
                          .headers = {{"Host", "examplebucket.s3.amazonaws.com"}},
                          .payload_hash = empty_sha256};
  s3_signer().sign(request, {example_key_id, example_secret, "", std::nullopt}, s3_example_time);
  EXPECT_NE(header(request, "Authorization")
                .find("Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
            std::string::npos)
      << header(request, "Authorization");
}

TEST(SigV4, S3ListObjectsExample) {
  SignableRequest request{.method = "GET",
                          .path = "/",
                          .query = {{"prefix", "J"}, {"max-keys", "2"}},
                          .headers = {{"Host", "examplebucket.s3.amazonaws.com"}},
                          .payload_hash = empty_sha256};
  s3_signer().sign(request, {example_key_id, example_secret, "", std::nullopt}, s3_example_time);
  EXPECT_NE(header(request, "Authorization")
                .find("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
            std::string::npos)
      << header(request, "Authorization");
}

TEST(SigV4, S3PresignedUrlExample) {
  const SignableRequest request{.method = "GET",
                                .path = "/test.txt",
                                .query = {},
                                .headers = {{"Host", "examplebucket.s3.amazonaws.com"}},
                                .payload_hash = std::string(unsigned_payload)};
  const std::string query =
      s3_signer().presign(request, {example_key_id, example_secret, "", std::nullopt},
                          s3_example_time, std::chrono::seconds(86400));
  EXPECT_EQ(query,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
            "&X-Amz-SignedHeaders=host");
}

TEST(SigV4, PresignRejectsExpiriesOutsideSevenDays) {
  const SignableRequest request{.method = "GET",
                                .path = "/k",
                                .query = {},
                                .headers = {{"host", "b.s3.amazonaws.com"}},
                                .payload_hash = std::string(unsigned_payload)};
  const Credentials credentials{example_key_id, example_secret, "", std::nullopt};
  EXPECT_THROW(s3_signer().presign(request, credentials, s3_example_time, std::chrono::seconds(0)),
               Error);
  EXPECT_THROW(s3_signer().presign(request, credentials, s3_example_time,
                                   max_presign_expiry + std::chrono::seconds(1)),
               Error);
  EXPECT_NO_THROW(s3_signer().presign(request, credentials, s3_example_time, max_presign_expiry));
}

TEST(SigV4, PresignWithSessionTokenSignsTheToken) {
  const SignableRequest request{.method = "GET",
                                .path = "/k",
                                .query = {},
                                .headers = {{"host", "b.s3.amazonaws.com"}},
                                .payload_hash = std::string(unsigned_payload)};
  const std::string with_token =
      s3_signer().presign(request, {example_key_id, example_secret, "tok/en+", std::nullopt},
                          s3_example_time, std::chrono::seconds(60));
  EXPECT_NE(with_token.find("X-Amz-Security-Token=tok%2Fen%2B"), std::string::npos);
  const std::string without =
      s3_signer().presign(request, {example_key_id, example_secret, "", std::nullopt},
                          s3_example_time, std::chrono::seconds(60));
  EXPECT_NE(with_token.substr(with_token.find("X-Amz-Signature=")),
            without.substr(without.find("X-Amz-Signature=")));
}

// IAM user guide example: GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08
TEST(SigV4, IamListUsersExample) {
  SignableRequest request{
      .method = "GET",
      .path = "/",
      .query = {{"Version", "2010-05-08"}, {"Action", "ListUsers"}},
      .headers = {{"Host", "iam.amazonaws.com"},
                  {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
      .payload_hash = empty_sha256};
  const Signer signer({.region = "us-east-1", .service = "iam"});
  const auto time = at(1440938160);  // 2015-08-30T12:36:00Z
  EXPECT_EQ(to_hex(signer.signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", time)),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
  signer.sign(request,
              {example_key_id, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", std::nullopt}, time);
  EXPECT_EQ(header(request, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20150830/us-east-1/iam/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4, CanonicalHeadersTrimCollapseAndMergeRepeats) {
  const SignableRequest request{
      .method = "GET",
      .path = "/",
      .query = {},
      .headers = {{"Host", "h"}, {"My-Header1", "  a   b \t c  "}, {"my-header1", "d"}},
      .payload_hash = empty_sha256};
  const std::string canonical = Signer({.region = "r", .service = "s"}).canonical_request(request);
  EXPECT_NE(canonical.find("\nmy-header1:a b c,d\n"), std::string::npos) << canonical;
}

TEST(SigV4, CanonicalQuerySortsEncodedPairsAndKeepsEmptyValues) {
  EXPECT_EQ(Signer::canonical_query({{"b", "2"}, {"a", "z"}, {"a", "y"}, {"c d", ""}, {"~", "*"}}),
            "a=y&a=z&b=2&c%20d=&~=%2A");
}

TEST(SigV4, PathEncodingS3OnceOthersNormalizedAndTwice) {
  const SignableRequest request{.method = "POST",
                                .path = "/model/a:b//./c/../d e/invoke",
                                .query = {},
                                .headers = {{"host", "h"}},
                                .payload_hash = empty_sha256};
  const auto uri_of = [&](bool s3) {
    const std::string canonical =
        Signer({.region = "r", .service = "s", .s3_path_rules = s3}).canonical_request(request);
    const auto start = canonical.find('\n') + 1;
    return canonical.substr(start, canonical.find('\n', start) - start);
  };
  EXPECT_EQ(uri_of(true), "/model/a%3Ab//./c/../d%20e/invoke");
  EXPECT_EQ(uri_of(false), "/model/a%253Ab/d%2520e/invoke");
  EXPECT_EQ(Signer::wire_path("/model/a:b/d e"), "/model/a%3Ab/d%20e");
}

TEST(SigV4, EmptyPathIsTheRoot) {
  const SignableRequest empty{.method = "GET",
                              .path = "",
                              .query = {},
                              .headers = {{"host", "h"}},
                              .payload_hash = empty_sha256};
  SignableRequest root = empty;
  root.path = "/";
  for (const bool s3 : {true, false}) {
    const Signer signer({.region = "r", .service = "s", .s3_path_rules = s3});
    EXPECT_EQ(signer.canonical_request(empty), signer.canonical_request(root));
  }
  EXPECT_EQ(Signer::wire_path(""), "/");
}

TEST(SigV4, SigningAgainReplacesThePreviousSignature) {
  SignableRequest request{
      .method = "GET",
      .path = "/test.txt",
      .query = {},
      .headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}},
      .payload_hash = empty_sha256};
  const Signer signer = s3_signer();
  const Credentials credentials{example_key_id, example_secret, "session", std::nullopt};
  signer.sign(request, credentials, s3_example_time);
  const std::string first = header(request, "Authorization");
  signer.sign(request, credentials, s3_example_time);
  EXPECT_EQ(header(request, "Authorization"), first);
  EXPECT_EQ(request.headers.size(), 6u);
  EXPECT_EQ(header(request, "x-amz-security-token"), "session");
}

}  // namespace
}  // namespace rendermart::aws
