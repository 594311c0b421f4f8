// S3BlobStore against tests/support/s3/server.mjs: s3rver behind a front that checks every
// SigV4 signature with the AWS SDK for JavaScript's signer. Everything runs on 127.0.0.1.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include "../../support/s3/s3_test_server.hpp"
#include "aws/service_errors.hpp"
#include "blob/s3/s3_blob_store.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "net/http_client.hpp"
#include "support/local_http_server.hpp"

namespace rendermart {
namespace {

using namespace std::chrono_literals;

// Quick retries: the failure tests wait for them.
const net::RetryPolicy test_retry{
    .max_attempts = 4, .base_delay = 10ms, .max_delay = 100ms, .max_total = 5000ms};

class S3BlobStoreTest : public ::testing::Test {
 protected:
  // One server for the suite: node and s3rver take a while to start.
  static void SetUpTestSuite() {
    server_ = std::make_unique<testing::S3TestServer>(
        std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path());
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    server_->command({{"up", true}, {"slowdown", 0}});
    prefix_ = "t-" + random_hex(4);
  }

  S3Options options() const {
    S3Options out;
    out.bucket = server_->bucket();
    out.prefix = prefix_;
    out.region = server_->region();
    out.endpoint = server_->endpoint();
    out.path_style = true;
    out.retry = test_retry;
    return out;
  }

  std::unique_ptr<S3BlobStore> store(S3Options opts, const std::string& secret = {}) const {
    return std::make_unique<S3BlobStore>(
        std::move(opts), std::make_shared<aws::CredentialsCache>([&] {
          std::vector<std::unique_ptr<aws::CredentialsProvider>> chain;
          chain.push_back(aws::static_provider(
              {server_->access_key_id(), secret.empty() ? server_->secret_access_key() : secret, "",
               std::nullopt}));
          return chain;
        }()));
  }
  std::unique_ptr<S3BlobStore> store() const { return store(options()); }

  static std::unique_ptr<testing::S3TestServer> server_;
  std::string prefix_;
};

std::unique_ptr<testing::S3TestServer> S3BlobStoreTest::server_;

ErrorCode code_of(const std::function<void()>& action, std::string* message = nullptr) {
  try {
    action();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no Error thrown";
  return ErrorCode::internal;
}

TEST_F(S3BlobStoreTest, PutGetHeadRemove) {
  auto s3 = store();
  const std::string bytes("\x89PNG\0binary", 11);
  s3->put("images/u1/a.png", bytes, "image/png");
  EXPECT_EQ(s3->get("images/u1/a.png"), bytes);
  ASSERT_TRUE(s3->head("images/u1/a.png"));
  EXPECT_EQ(s3->head("images/u1/a.png")->size, 11);
  s3->put("images/u1/a.png", "new", "image/png");
  EXPECT_EQ(s3->get("images/u1/a.png"), "new");
  s3->remove("images/u1/a.png");
  EXPECT_FALSE(s3->head("images/u1/a.png"));
  EXPECT_NO_THROW(s3->remove("images/u1/a.png"));
}

TEST_F(S3BlobStoreTest, MissingObjectIsNotFound) {
  auto s3 = store();
  EXPECT_EQ(code_of([&] { s3->get("nothing/here.png"); }), ErrorCode::not_found);
  EXPECT_FALSE(s3->head("nothing/here.png"));
}

TEST_F(S3BlobStoreTest, KeysWithSpecialCharacters) {
  auto s3 = store();
  for (const std::string key : {"a b/c d.png", "sym/!$&'()*+,;=:@.bin", "pct/%41%2F%zz", "q/x?y#z",
                                "unicode/\xc3\xbc\xe2\x82\xac\xf0\x9f\x96\xbc.png", "tilde~/-._"}) {
    SCOPED_TRACE(key);
    s3->put(key, "v:" + key, "application/octet-stream");
    EXPECT_EQ(s3->get(key), "v:" + key);
    ASSERT_TRUE(s3->head(key));
    s3->remove(key);
    EXPECT_FALSE(s3->head(key));
  }
}

TEST_F(S3BlobStoreTest, MultipartUploadAboveTheThreshold) {
  S3Options opts = options();
  opts.multipart_threshold = 64 * 1024;
  opts.part_size = 20 * 1024;
  auto s3 = store(opts);
  std::string bytes(100 * 1024 + 7, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 % 251);
  const int before = server_->command({{"stats", true}})["requests"];
  s3->put("big/object.bin", bytes, "application/octet-stream");
  const int after = server_->command({{"stats", true}})["requests"];
  EXPECT_EQ(after - before, 1 + 6 + 1);  // create, 6 parts, complete
  EXPECT_EQ(s3->get("big/object.bin"), bytes);
  EXPECT_EQ(s3->head("big/object.bin")->size, static_cast<std::int64_t>(bytes.size()));
  // Below the threshold: one PUT.
  s3->put("small/object.bin", bytes.substr(0, 1000), "application/octet-stream");
  EXPECT_EQ(server_->command({{"stats", true}})["requests"].get<int>() - after, 3);
}

TEST_F(S3BlobStoreTest, PresignedGetWorksAndTamperedOrExpiredIsRefused) {
  auto s3 = store();
  s3->put("shared/p q.png", "picture", "image/png");
  const auto url = s3->presigned_get_url("shared/p q.png", 600s);
  ASSERT_TRUE(url);
  EXPECT_EQ(net::send({.method = "GET", .url = *url}).body, "picture");
  EXPECT_EQ(net::send({.method = "GET", .url = *url}).status, 200);

  std::string tampered = *url;
  const auto signature = tampered.find("X-Amz-Signature=") + 16;
  tampered[signature] = tampered[signature] == 'a' ? 'b' : 'a';
  const auto refused = net::send({.method = "GET", .url = tampered});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(aws::error_code(refused), "SignatureDoesNotMatch");

  std::string other_key = *url;
  other_key.replace(other_key.find("p%20q"), 5, "p%20r");
  EXPECT_EQ(net::send({.method = "GET", .url = other_key}).status, 403);

  const auto short_lived = s3->presigned_get_url("shared/p q.png", 1s);
  std::this_thread::sleep_for(2100ms);
  const auto expired = net::send({.method = "GET", .url = *short_lived});
  EXPECT_EQ(expired.status, 403);
  EXPECT_NE(expired.body.find("expired"), std::string::npos) << expired.body;
  EXPECT_THROW(s3->presigned_get_url("shared/p q.png", 604801s), Error);
}

TEST_F(S3BlobStoreTest, WrongSecretIsAStorageErrorNamingTheBucket) {
  auto s3 = store(options(), "not-the-secret");
  std::string message;
  EXPECT_EQ(code_of([&] { s3->put("k.png", "x", "image/png"); }, &message),
            ErrorCode::storage_error);
  EXPECT_NE(message.find("'" + server_->bucket() + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("SignatureDoesNotMatch"), std::string::npos) << message;
  EXPECT_NE(message.find("credentials"), std::string::npos) << message;
  EXPECT_EQ(code_of([&] { s3->ping(); }), ErrorCode::storage_error);
}

TEST_F(S3BlobStoreTest, SlowDownIsRetried) {
  auto s3 = store();
  const int before = server_->command({{"slowdown", 2}})["requests"];
  s3->put("retry/a.png", "bytes", "image/png");
  const auto stats = server_->command({{"stats", true}});
  EXPECT_EQ(stats["slowdown_left"], 0);
  EXPECT_EQ(stats["requests"].get<int>() - before, 3);
  EXPECT_EQ(s3->get("retry/a.png"), "bytes");
}

TEST_F(S3BlobStoreTest, TooMuchSlowDownFailsWithTheCode) {
  auto s3 = store();
  server_->command({{"slowdown", test_retry.max_attempts}});
  std::string message;
  EXPECT_EQ(code_of([&] { s3->put("retry/b.png", "bytes", "image/png"); }, &message),
            ErrorCode::storage_error);
  EXPECT_NE(message.find("SlowDown"), std::string::npos) << message;
}

TEST_F(S3BlobStoreTest, UnreachableServerFailsAfterBoundedRetries) {
  auto s3 = store();
  server_->command({{"down_ms", 30000}});
  const auto start = std::chrono::steady_clock::now();
  std::string message;
  EXPECT_EQ(code_of([&] { s3->get("any.png"); }, &message), ErrorCode::storage_error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, test_retry.max_total + 2s);
  EXPECT_NE(message.find("unreachable"), std::string::npos) << message;
  server_->command({{"up", true}});
  s3->put("after/up.png", "ok", "image/png");
  EXPECT_EQ(s3->get("after/up.png"), "ok");
}

TEST_F(S3BlobStoreTest, ConcurrentPutsAndGets) {
  auto s3 = store();
  constexpr int threads = 6;
  constexpr int objects_per_thread = 5;
  std::vector<std::thread> workers;
  std::atomic<int> failures = 0;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < objects_per_thread; ++i) {
        const std::string key = "c/" + std::to_string(t) + "/" + std::to_string(i);
        try {
          s3->put(key, key, "text/plain");
          if (s3->get(key) != key) ++failures;
        } catch (const Error&) {
          ++failures;
        }
      }
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(failures, 0);
}

TEST_F(S3BlobStoreTest, MissingCredentialsAreAStorageError) {
  std::vector<std::unique_ptr<aws::CredentialsProvider>> none;
  S3BlobStore s3(options(), std::make_shared<aws::CredentialsCache>(std::move(none)));
  std::string message;
  EXPECT_EQ(code_of([&] { s3.get("k"); }, &message), ErrorCode::storage_error);
  EXPECT_NE(message.find(server_->bucket()), std::string::npos) << message;
}

TEST_F(S3BlobStoreTest, PingWritesReadsAndDeletes) { EXPECT_NO_THROW(store()->ping()); }

TEST_F(S3BlobStoreTest, OpenBlobStoreWithCredentialsFromTheEnvironment) {
  setenv("AWS_ACCESS_KEY_ID", server_->access_key_id().c_str(), 1);
  setenv("AWS_SECRET_ACCESS_KEY", server_->secret_access_key().c_str(), 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);  // never reach for 169.254.169.254 here
  // Credentials are loaded on first use, so the variables stay set until the calls are done.
  auto s3 = open_blob_store("s3://" + server_->bucket() + "/" + prefix_ +
                            "?region=" + server_->region() + "&endpoint=" + server_->endpoint());
  s3->put("via/url.txt", "hello", "text/plain");
  EXPECT_EQ(s3->get("via/url.txt"), "hello");
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
}

// curl resolves every *.localhost name to the loopback address, which lets a local server stand
// in for {bucket}.s3.{region}.amazonaws.com.
TEST(S3VirtualHosted, BucketIsInTheHostAndTheKeyIsThePath) {
  testing::LocalHttpServer server([](const testing::LocalRequest&) {
    return testing::LocalResponse{200, "", {}};
  });
  const std::string port = server.url().substr(server.url().rfind(':') + 1);
  S3Options options =
      parse_s3_url("s3://my-bucket/pre?endpoint=http://localhost:" + port + "&path_style=false");
  std::vector<std::unique_ptr<aws::CredentialsProvider>> chain;
  chain.push_back(aws::static_provider({"AKID", "secret", "", std::nullopt}));
  S3BlobStore s3(options, std::make_shared<aws::CredentialsCache>(std::move(chain)));
  s3.put("a b.png", "x", "image/png");
  const auto request = server.requests().at(0);
  EXPECT_EQ(request.headers.at("host"), "my-bucket.localhost:" + port);
  EXPECT_EQ(request.target, "/pre/a%20b.png");
  EXPECT_NE(request.headers.at("authorization").find("SignedHeaders=content-type;host;"),
            std::string::npos);
  const auto url = s3.presigned_get_url("a b.png", std::chrono::seconds(60));
  EXPECT_TRUE(url->starts_with("http://my-bucket.localhost:" + port + "/pre/a%20b.png?X-Amz-"));
}

TEST(S3Url, ParsesEveryOption) {
  const S3Options o = parse_s3_url(
      "s3://bucket/some/prefix/?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1%3A9000/"
      "&path_style=false&multipart_threshold=1000&part_size=500");
  EXPECT_EQ(o.bucket, "bucket");
  EXPECT_EQ(o.prefix, "some/prefix");
  EXPECT_EQ(o.region, "eu-west-1");
  EXPECT_EQ(o.endpoint, "http://127.0.0.1:9000");
  EXPECT_FALSE(o.path_style);
  EXPECT_EQ(o.multipart_threshold, 1000u);
  EXPECT_EQ(o.part_size, 500u);
}

TEST(S3Url, DefaultsToVirtualHostedAwsAndPathStyleForCustomEndpoints) {
  const S3Options aws = parse_s3_url("s3://bucket");
  EXPECT_EQ(aws.prefix, "");
  EXPECT_EQ(aws.region, "us-east-1");
  EXPECT_EQ(aws.endpoint, "");
  EXPECT_FALSE(aws.path_style);
  EXPECT_EQ(aws.multipart_threshold, default_multipart_threshold);
  EXPECT_TRUE(parse_s3_url("s3://b?endpoint=http://127.0.0.1:9000").path_style);
}

TEST(S3Url, RejectsMistakes) {
  for (const std::string url :
       {"s3://", "s3:///prefix", "s3://b?colour=red", "s3://b?path_style=yes",
        "s3://b?endpoint=127.0.0.1:9000", "s3://b?part_size=0", "s3://b?multipart_threshold=12x",
        "s3://b?region="}) {
    EXPECT_EQ(code_of([&] { parse_s3_url(url); }), ErrorCode::invalid_argument) << url;
  }
}

}  // namespace
}  // namespace rendermart
