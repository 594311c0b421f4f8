#include "library/hub_listing.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/text.hpp"

namespace rendermart::library {
namespace {

Error bad_listing(const std::string& why) {
  return Error(ErrorCode::provider_error,
               "the Hugging Face Hub answered with an unexpected file listing: " + why);
}

// A repository path never climbs out of the folder it is downloaded into.
bool safe_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.find('\\') != std::string::npos ||
      path.find('\0') != std::string::npos) {
    return false;
  }
  std::size_t start = 0;
  for (;;) {
    const auto end = path.find('/', start);
    const auto part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string::npos) return true;
    start = end + 1;
  }
}

std::string card_license(const nlohmann::json& root) {
  const auto card = root.find("cardData");
  if (card == root.end() || !card->is_object()) return {};
  const auto license = card->find("license");
  std::string id;
  if (license != card->end() && license->is_string()) id = license->get<std::string>();
  // Some cards list several licenses; the first is the one the Hub shows.
  if (license != card->end() && license->is_array() && !license->empty() &&
      (*license)[0].is_string()) {
    id = (*license)[0].get<std::string>();
  }
  // "other" says only that the license is not one the Hub knows; license_name says which.
  const auto name = card->find("license_name");
  if (id == "other" && name != card->end() && name->is_string()) id = name->get<std::string>();
  return id;
}

}  // namespace

RepoListing parse_listing(std::string_view json_text) {
  const auto root = nlohmann::json::parse(json_text, nullptr, false);
  if (!root.is_object()) throw bad_listing("not a JSON object");
  RepoListing listing;
  const auto sha = root.find("sha");
  if (sha == root.end() || !sha->is_string() || sha->get<std::string>().empty()) {
    throw bad_listing("no commit sha");
  }
  listing.commit = sha->get<std::string>();
  const auto siblings = root.find("siblings");
  if (siblings == root.end() || !siblings->is_array()) throw bad_listing("no file list (siblings)");
  for (const auto& entry : *siblings) {
    if (!entry.is_object() || !entry.contains("rfilename") || !entry["rfilename"].is_string()) {
      throw bad_listing("a file without a name");
    }
    RepoFile file;
    file.path = entry["rfilename"].get<std::string>();
    if (!safe_path(file.path))
      throw bad_listing("a file path outside the repository: " + file.path);
    const auto size = entry.find("size");
    if (size == entry.end() || !size->is_number_unsigned()) {
      throw bad_listing("no size for " + file.path +
                        " (the listing was asked for with blobs=true)");
    }
    file.size = size->get<std::int64_t>();
    const auto lfs = entry.find("lfs");
    if (lfs != entry.end() && lfs->is_object()) {
      const auto hash = lfs->find("sha256");
      if (hash == lfs->end() || !hash->is_string() || hash->get<std::string>().size() != 64) {
        throw bad_listing("a large file without its sha256: " + file.path);
      }
      file.lfs_sha256 = hash->get<std::string>();
      file.lfs_sha256 = ascii_lower(file.lfs_sha256);
    }
    listing.files.push_back(std::move(file));
  }
  listing.license = card_license(root);
  // false, or the gating mode: "auto" (approved at once) or "manual" (approved by the owners).
  const auto gated = root.find("gated");
  listing.gated =
      gated != root.end() && (gated->is_string() || (gated->is_boolean() && gated->get<bool>()));
  return listing;
}

const RepoFile* find_file(const RepoListing& listing, std::string_view path) {
  for (const auto& file : listing.files) {
    if (file.path == path) return &file;
  }
  return nullptr;
}

}  // namespace rendermart::library
