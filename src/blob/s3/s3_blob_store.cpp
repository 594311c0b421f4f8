#include "blob/s3/s3_blob_store.hpp"

#include <algorithm>
#include <charconv>

#include "aws/service_errors.hpp"
#include "aws/xml.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"

namespace rendermart {
namespace {

constexpr std::string_view s3_scheme = "s3://";
// S3's limit on object names, in bytes.
constexpr std::size_t max_object_name = 1024;
constexpr std::size_t ping_object_bytes = 16;

Error storage_error(std::string message) {
  return Error(ErrorCode::storage_error, std::move(message));
}

Error bad_url(const std::string& url, const std::string& why) {
  return invalid_argument("storage_url", "storage URL '" + url + "': " + why +
                                             " (expected s3://bucket/prefix?region=..&endpoint=.."
                                             "&path_style=true|false)");
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned value = 0;
    if (text[i] == '%' && i + 2 < text.size() &&
        std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16).ptr ==
            text.data() + i + 3) {
      out += static_cast<char>(value);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string trim_slashes(std::string text) {
  while (text.starts_with('/')) text.erase(0, 1);
  while (text.ends_with('/')) text.pop_back();
  return text;
}

std::size_t parse_size(const std::string& url, const std::string& name, const std::string& value) {
  std::size_t out = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (error != std::errc() || end != value.data() + value.size() || out == 0) {
    throw bad_url(url, name + " must be a positive number of bytes, not '" + value + "'");
  }
  return out;
}

}  // namespace

S3Options parse_s3_url(const std::string& url) {
  if (!url.starts_with(s3_scheme)) throw bad_url(url, "not an s3:// URL");
  std::string rest = url.substr(s3_scheme.size());
  std::string query;
  if (const auto question = rest.find('?'); question != std::string::npos) {
    query = rest.substr(question + 1);
    rest.resize(question);
  }
  S3Options options;
  const auto slash = rest.find('/');
  options.bucket = rest.substr(0, slash);
  if (slash != std::string::npos) options.prefix = trim_slashes(percent_decode(rest.substr(slash)));
  if (options.bucket.empty()) throw bad_url(url, "no bucket name");
  std::optional<bool> path_style;
  std::size_t start = 0;
  while (start < query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    const std::string name = percent_decode(pair.substr(0, equals));
    const std::string value =
        equals == std::string::npos ? "" : percent_decode(pair.substr(equals + 1));
    if (name == "region") {
      options.region = value;
    } else if (name == "endpoint") {
      if (!value.starts_with("http://") && !value.starts_with("https://")) {
        throw bad_url(url, "endpoint must start with http:// or https://");
      }
      options.endpoint = value;
      while (options.endpoint.ends_with('/')) options.endpoint.pop_back();
    } else if (name == "path_style") {
      if (value != "true" && value != "false")
        throw bad_url(url, "path_style must be true or false");
      path_style = value == "true";
    } else if (name == "multipart_threshold") {
      options.multipart_threshold = parse_size(url, name, value);
    } else if (name == "part_size") {
      options.part_size = parse_size(url, name, value);
    } else {
      throw bad_url(url, "unknown parameter '" + name + "'");
    }
  }
  if (options.region.empty()) throw bad_url(url, "region is empty");
  options.path_style = path_style.value_or(!options.endpoint.empty());
  return options;
}

S3BlobStore::S3BlobStore(S3Options options, std::shared_ptr<aws::CredentialsCache> credentials)
    : options_(std::move(options)),
      credentials_(std::move(credentials)),
      signer_({.region = options_.region,
               .service = "s3",
               .s3_path_rules = true,
               .add_content_sha256_header = true}) {
  const std::string endpoint = options_.endpoint.empty()
                                   ? "https://s3." + options_.region + ".amazonaws.com"
                                   : options_.endpoint;
  const auto separator = endpoint.find("://");
  scheme_ = endpoint.substr(0, separator);
  endpoint_host_ = endpoint.substr(separator + 3);
}

std::string S3BlobStore::object_name(const std::string& key) const {
  if (key.empty() || key.starts_with('/')) {
    throw invalid_argument("key", "blob key '" + key + "' must be a non-empty relative path");
  }
  std::string name = options_.prefix.empty() ? key : options_.prefix + "/" + key;
  if (name.size() > max_object_name) {
    throw invalid_argument(
        "key", "blob key is longer than S3's " + std::to_string(max_object_name) + " bytes");
  }
  return name;
}

S3BlobStore::Target S3BlobStore::target_for(const std::string& key) const {
  // An empty key addresses the bucket itself.
  const std::string object = key.empty() ? "" : object_name(key);
  if (options_.path_style) {
    return {scheme_ + "://" + endpoint_host_, endpoint_host_,
            "/" + options_.bucket + (object.empty() ? "" : "/" + object)};
  }
  const std::string host = options_.bucket + "." + endpoint_host_;
  return {scheme_ + "://" + host, host, "/" + object};
}

aws::Credentials S3BlobStore::credentials() const {
  try {
    return credentials_->get();
  } catch (const Error& e) {
    // A server without credentials is misconfigured; that is not the API caller's 401.
    throw storage_error("S3 bucket '" + options_.bucket + "': " + e.what());
  }
}

net::HttpResponse S3BlobStore::call(const std::string& method, const std::string& key,
                                    const aws::QueryList& query, const aws::HeaderList& headers,
                                    const std::string& body) {
  const Target target = target_for(key);
  const std::string payload_hash = aws::sha256_hex(body);
  try {
    return net::with_retries(
        options_.retry,
        [&] {
          aws::SignableRequest signable{.method = method,
                                        .path = target.path,
                                        .query = query,
                                        .headers = headers,
                                        .payload_hash = payload_hash};
          signable.headers.emplace_back("host", target.host);
          signer_.sign(signable, credentials(), aws::Clock::now());
          net::HttpRequest request;
          request.method = method;
          request.url = target.base_url + aws::Signer::wire_path(target.path);
          if (!query.empty()) request.url += "?" + aws::Signer::canonical_query(query);
          request.headers = std::move(signable.headers);
          request.body = body;
          return net::send(request);
        },
        aws::is_retryable);
  } catch (const net::TransportError& e) {
    throw storage_error("S3 endpoint " + scheme_ + "://" + endpoint_host_ + " for bucket '" +
                        options_.bucket + "' is unreachable after " +
                        std::to_string(options_.retry.max_attempts) + " attempts: " + e.what());
  }
}

void S3BlobStore::fail(const net::HttpResponse& response, const std::string& what,
                       const std::string& key) const {
  const std::string code = aws::error_code(response);
  const std::string message = aws::xml_text(response.body, "Message").value_or("");
  const std::string detail = "HTTP " + std::to_string(response.status) +
                             (code.empty() ? "" : " " + code) +
                             (message.empty() ? "" : ": " + message);
  if (response.status == 404 && code == "NoSuchKey") throw not_found("object '" + key + "'");
  if (response.status == 404 && code == "NoSuchBucket") {
    throw storage_error("S3 bucket '" + options_.bucket + "' does not exist (region " +
                        options_.region + ", endpoint " + scheme_ + "://" + endpoint_host_ +
                        "): create it or fix RENDERMART_STORAGE_URL");
  }
  if (response.status == 403 || response.status == 401) {
    if (code == "ExpiredToken" || code == "InvalidAccessKeyId") credentials_->invalidate();
    throw storage_error("S3 denied " + what + " in bucket '" + options_.bucket + "' (" + detail +
                        "): check the AWS credentials (access key, secret, session token, clock "
                        "skew) and that the IAM policy and the bucket policy of '" +
                        options_.bucket + "' allow it");
  }
  throw storage_error("S3 " + what + " in bucket '" + options_.bucket + "' failed: " + detail);
}

void S3BlobStore::put(const std::string& key, const std::string& bytes,
                      const std::string& content_type) {
  if (bytes.size() >= options_.multipart_threshold) {
    put_multipart(key, bytes, content_type);
    return;
  }
  aws::HeaderList headers;
  if (!content_type.empty()) headers.emplace_back("Content-Type", content_type);
  const auto response = call("PUT", key, {}, headers, bytes);
  if (response.status != 200) fail(response, "PUT of '" + key + "'", key);
}

void S3BlobStore::put_multipart(const std::string& key, const std::string& bytes,
                                const std::string& content_type) {
  aws::HeaderList headers;
  if (!content_type.empty()) headers.emplace_back("Content-Type", content_type);
  const auto created = call("POST", key, {{"uploads", ""}}, headers, "");
  if (created.status != 200) fail(created, "CreateMultipartUpload of '" + key + "'", key);
  const std::string upload_id = aws::xml_text(created.body, "UploadId").value_or("");
  if (upload_id.empty()) throw storage_error("S3 CreateMultipartUpload returned no UploadId");

  try {
    // At most s3_max_parts parts, whatever the configured part size.
    const std::size_t part_size =
        std::max(options_.part_size, (bytes.size() + s3_max_parts - 1) / s3_max_parts);
    std::string complete = "<CompleteMultipartUpload>";
    int number = 1;
    for (std::size_t offset = 0; offset < bytes.size(); offset += part_size, ++number) {
      const auto part =
          call("PUT", key, {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}}, {},
               bytes.substr(offset, part_size));
      if (part.status != 200)
        fail(part, "UploadPart " + std::to_string(number) + " of '" + key + "'", key);
      const auto etag = part.header("etag");
      if (!etag) throw storage_error("S3 UploadPart of '" + key + "' returned no ETag");
      complete += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>" +
                  aws::xml_escape(*etag) + "</ETag></Part>";
    }
    complete += "</CompleteMultipartUpload>";
    const auto done = call("POST", key, {{"uploadId", upload_id}},
                           {{"Content-Type", "application/xml"}}, complete);
    // CompleteMultipartUpload can fail after its 200 status line: the error is in the body.
    if (done.status != 200 || done.body.find("<Error>") != std::string::npos) {
      fail(done, "CompleteMultipartUpload of '" + key + "'", key);
    }
  } catch (...) {
    // Parts of an abandoned upload are billed until aborted; the abort is best effort.
    try {
      call("DELETE", key, {{"uploadId", upload_id}}, {}, "");
    } catch (const Error&) {
    }
    throw;
  }
}

std::string S3BlobStore::get(const std::string& key) {
  auto response = call("GET", key, {}, {}, "");
  if (response.status != 200) fail(response, "GET of '" + key + "'", key);
  return std::move(response.body);
}

std::optional<BlobInfo> S3BlobStore::head(const std::string& key) {
  const auto response = call("HEAD", key, {}, {}, "");
  // HEAD answers have no body, so a 404 cannot tell a missing key from a missing bucket.
  if (response.status == 404) return std::nullopt;
  if (response.status != 200) fail(response, "HEAD of '" + key + "'", key);
  BlobInfo info;
  if (const auto length = response.header("content-length")) {
    std::from_chars(length->data(), length->data() + length->size(), info.size);
  }
  return info;
}

void S3BlobStore::remove(const std::string& key) {
  const auto response = call("DELETE", key, {}, {}, "");
  if (response.status != 204 && response.status != 200 && response.status != 404) {
    fail(response, "DELETE of '" + key + "'", key);
  }
}

std::optional<std::string> S3BlobStore::presigned_get_url(const std::string& key,
                                                          std::chrono::seconds expiry) {
  const Target target = target_for(key);
  const aws::SignableRequest request{.method = "GET",
                                     .path = target.path,
                                     .query = {},
                                     .headers = {{"host", target.host}},
                                     .payload_hash = std::string(aws::unsigned_payload)};
  return target.base_url + aws::Signer::wire_path(target.path) + "?" +
         signer_.presign(request, credentials(), aws::Clock::now(), expiry);
}

void S3BlobStore::ping() {
  const std::string key = ".rendermart-ping/" + random_hex(8);
  const std::string bytes = random_hex(ping_object_bytes / 2);
  put(key, bytes, "text/plain");
  const std::string read = get(key);
  remove(key);
  if (read != bytes) {
    throw storage_error("S3 bucket '" + options_.bucket +
                        "' returned different bytes than were written");
  }
}

}  // namespace rendermart
