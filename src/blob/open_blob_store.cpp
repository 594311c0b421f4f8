#include "blob/blob_store.hpp"
#include "blob/local/file_blob_store.hpp"
#include "blob/s3/s3_blob_store.hpp"
#include "core/error.hpp"

namespace rendermart {

std::unique_ptr<BlobStore> open_blob_store(const std::string& url) {
  const std::string file_scheme = "file://";
  if (url.rfind(file_scheme, 0) == 0 && url.size() > file_scheme.size()) {
    return std::make_unique<FileBlobStore>(url.substr(file_scheme.size()));
  }
  if (url.starts_with("s3://")) {
    return std::make_unique<S3BlobStore>(parse_s3_url(url), aws::default_credentials());
  }
  throw invalid_argument("storage_url",
                         "storage URL '" + url +
                             "' is not supported: use file:///absolute/dir, file://relative/dir or "
                             "s3://bucket/prefix?region=..");
}

}  // namespace rendermart
