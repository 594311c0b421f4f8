#include "blob/blob_store.hpp"
#include "blob/local/file_blob_store.hpp"
#include "core/error.hpp"

namespace rendermart {

std::unique_ptr<BlobStore> open_blob_store(const std::string& url) {
  const std::string file_scheme = "file://";
  if (url.rfind(file_scheme, 0) == 0 && url.size() > file_scheme.size()) {
    return std::make_unique<FileBlobStore>(url.substr(file_scheme.size()));
  }
  throw invalid_argument("storage_url",
                         "storage URL '" + url +
                             "' is not supported: use file:///absolute/dir or file://relative/dir");
}

}  // namespace rendermart
