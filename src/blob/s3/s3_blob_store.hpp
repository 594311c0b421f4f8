#pragma once

// Blobs as objects in an Amazon S3 bucket (or an S3-compatible server), signed with SigV4.
// A single PUT is atomic in S3, and so is CompleteMultipartUpload, which is what makes put
// atomic as the BlobStore contract requires.

#include <cstddef>
#include <memory>
#include <string>

#include "aws/credentials.hpp"
#include "aws/sigv4.hpp"
#include "blob/blob_store.hpp"
#include "net/http_client.hpp"

namespace rendermart {

inline constexpr std::size_t default_multipart_threshold = 16 * 1024 * 1024;
inline constexpr std::size_t default_part_size = 8 * 1024 * 1024;
// S3's limits: at most 10000 parts per upload, each but the last at least 5 MiB. The part size is
// raised to stay under the count; the 5 MiB floor is left to the configuration, since
// S3-compatible servers (and the tests) accept smaller parts.
inline constexpr std::size_t s3_max_parts = 10000;

struct S3Options {
  std::string bucket;
  std::string prefix;  // without leading or trailing '/'; may be empty
  std::string region = "us-east-1";
  // Empty: AWS (https://s3.{region}.amazonaws.com). Otherwise scheme://host[:port].
  std::string endpoint;
  // Path style: {endpoint}/{bucket}/{key}; virtual-hosted: {bucket}.{endpoint host}/{key}.
  bool path_style = false;
  std::size_t multipart_threshold = default_multipart_threshold;
  std::size_t part_size = default_part_size;
  net::RetryPolicy retry;
};

// Parses "s3://bucket/prefix?region=..&endpoint=..&path_style=true|false
// &multipart_threshold=BYTES&part_size=BYTES". path_style defaults to true when an endpoint is
// given (S3-compatible servers rarely have per-bucket DNS) and false against AWS.
// Throws invalid_argument (field "storage_url") on anything else.
S3Options parse_s3_url(const std::string& url);

class S3BlobStore : public BlobStore {
 public:
  S3BlobStore(S3Options options, std::shared_ptr<aws::CredentialsCache> credentials);

  void put(const std::string& key, const std::string& bytes,
           const std::string& content_type) override;
  std::string get(const std::string& key) override;
  std::optional<BlobInfo> head(const std::string& key) override;
  void remove(const std::string& key) override;
  std::optional<std::string> presigned_get_url(const std::string& key,
                                               std::chrono::seconds expiry) override;
  void ping() override;

 private:
  struct Target {
    std::string base_url;  // scheme://host[:port]
    std::string host;      // the Host header
    std::string path;      // decoded
  };
  Target target_for(const std::string& key) const;
  std::string object_name(const std::string& key) const;
  // The current credentials; a failure to get them is a storage_error.
  aws::Credentials credentials() const;
  net::HttpResponse call(const std::string& method, const std::string& key,
                         const aws::QueryList& query, const aws::HeaderList& headers,
                         const std::string& body);
  // Throws the Error that a failed response means; `what` says what was attempted.
  [[noreturn]] void fail(const net::HttpResponse& response, const std::string& what,
                         const std::string& key) const;
  void put_multipart(const std::string& key, const std::string& bytes,
                     const std::string& content_type);

  S3Options options_;
  std::shared_ptr<aws::CredentialsCache> credentials_;
  aws::Signer signer_;
  std::string scheme_;
  std::string endpoint_host_;  // host[:port] of the endpoint, without the bucket
};

}  // namespace rendermart
