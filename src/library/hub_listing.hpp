#pragma once

// What the Hub's API says of one revision of a model repository
// (GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true): the commit it resolves to,
// every file with its size (and, for files stored with Git LFS, their sha256), the license from
// the model card's metadata and whether the repository is gated.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rendermart::library {

struct RepoFile {
  std::string path;  // relative to the repository root, '/'-separated
  std::int64_t size = 0;
  std::string lfs_sha256;  // lowercase hex; empty for files kept in git itself (small ones)
};

struct RepoListing {
  std::string commit;  // the full commit sha the revision resolves to
  std::vector<RepoFile> files;
  std::string license;  // the model card's license ("other": its license_name); empty: none
  bool gated = false;   // downloads need an accepted license and a token
};

// Parses the API's JSON. Throws Error(provider_error) when it is not the shape the Hub answers
// with (no commit sha, a file without a size, a path that leaves the repository).
RepoListing parse_listing(std::string_view json_text);

// The file at `path`, or nullptr.
const RepoFile* find_file(const RepoListing& listing, std::string_view path);

}  // namespace rendermart::library
