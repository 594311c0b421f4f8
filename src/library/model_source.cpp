#include "library/model_source.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "core/error.hpp"
#include "core/text.hpp"

namespace rendermart::library {
namespace {

constexpr std::size_t kMaxRepoNameLength = 96;  // the Hub's own limit
constexpr std::size_t kMaxModelNameLength = 100;
constexpr std::string_view kSafetensors = ".safetensors";

bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// One part of a repository id as the Hub accepts it: letters, digits, '_', '-' and '.', neither
// starting nor ending with '-' or '.'.
bool valid_repo_part(std::string_view part) {
  return !part.empty() && is_word(part.front()) && is_word(part.back()) &&
         std::all_of(part.begin(), part.end(),
                     [](char c) { return is_word(c) || c == '-' || c == '.'; });
}

HubRepo parse_repo(const std::string& text) {
  const auto at = text.find('@');
  HubRepo repo;
  repo.id = text.substr(0, at);
  repo.revision = at == std::string::npos ? "main" : text.substr(at + 1);
  const auto slash = repo.id.find('/');
  const auto bad = [&](const std::string& why) {
    return invalid_argument("source", "'" + text + "' is not a Hugging Face repository: " + why +
                                          " (write OWNER/NAME or OWNER/NAME@REVISION, e.g. "
                                          "stabilityai/sd-turbo)");
  };
  if (slash == std::string::npos || repo.id.find('/', slash + 1) != std::string::npos) {
    throw bad("it needs exactly one '/'");
  }
  const std::string_view owner(repo.id.data(), slash);
  const std::string_view name = std::string_view(repo.id).substr(slash + 1);
  if (!valid_repo_part(owner) || !valid_repo_part(name) || name.size() > kMaxRepoNameLength ||
      repo.id.find("--") != std::string::npos || repo.id.find("..") != std::string::npos) {
    throw bad(
        "owner and name are letters, digits, '_', '-' and '.', at most 96 characters, and "
        "neither starts nor ends with '-' or '.'");
  }
  const bool printable = std::all_of(repo.revision.begin(), repo.revision.end(), [](char c) {
    return static_cast<unsigned char>(c) > ' ' && c != 0x7f;
  });
  if (repo.revision.empty() || !printable)
    throw bad("the revision after '@' is empty or has spaces");
  return repo;
}

// The URL's path, without scheme, host, query and fragment.
std::string_view url_path(std::string_view url) {
  const auto scheme_end = url.find("://");
  auto rest = url.substr(scheme_end == std::string_view::npos ? 0 : scheme_end + 3);
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return {};
  rest.remove_prefix(slash);
  return rest.substr(0, rest.find_first_of("?#"));
}

std::string_view url_host(std::string_view url) {
  auto rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.find('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (rest.starts_with("[")) return rest.substr(0, rest.find(']') + 1);
  return rest.substr(0, rest.find(':'));
}

ModelSource parse_url(const std::string& text) {
  const auto scheme = ascii_lower(text.substr(0, text.find("://")));
  const auto host = ascii_lower(url_host(text));
  if (host.empty()) throw invalid_argument("source", "'" + text + "' has no host");
  const bool loopback = host == "127.0.0.1" || host == "localhost" || host == "[::1]";
  if (scheme != "https" && !(scheme == "http" && loopback)) {
    throw invalid_argument("source",
                           "checkpoints are downloaded over https only (http only from "
                           "this machine): " +
                               text);
  }
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; })) {
    throw invalid_argument("source",
                           "the URL has spaces or control characters; percent-encode them");
  }
  const auto path = ascii_lower(url_path(text));
  for (const std::string_view pickled : {".ckpt", ".pt", ".pth", ".bin"}) {
    if (path.ends_with(pickled)) {
      throw invalid_argument("source", "'" + text + "' is a pickled checkpoint (" +
                                           std::string(pickled) +
                                           "), which can run code when "
                                           "loaded: RenderMart only loads .safetensors files");
    }
  }
  ModelSource source;
  source.kind = ModelSource::Kind::url;
  source.url = text;
  return source;
}

}  // namespace

ModelSource parse_source(const std::string& text) {
  if (text.find("://") != std::string::npos) return parse_url(text);
  ModelSource source;
  source.kind = ModelSource::Kind::hub;
  source.repo = parse_repo(text);
  return source;
}

std::string describe_source(const ModelSource& source) {
  if (source.kind == ModelSource::Kind::url) return source.url;
  return "hf:" + source.repo.id + "@" + source.repo.revision;
}

std::string default_name(const ModelSource& source) {
  if (source.kind == ModelSource::Kind::hub)
    return source.repo.id.substr(source.repo.id.find('/') + 1);
  const auto path = url_path(source.url);
  const auto file = path.substr(path.rfind('/') + 1);
  if (!ascii_lower(file).ends_with(kSafetensors)) {
    throw invalid_argument("name", "the URL names no .safetensors file: give the model a name");
  }
  auto name = std::string(file.substr(0, file.size() - kSafetensors.size()));
  check_model_name(name);
  return name;
}

void check_model_name(const std::string& name) {
  const bool valid = !name.empty() && name.size() <= kMaxModelNameLength && name.front() != '.' &&
                     !ascii_lower(name).ends_with(kSafetensors) &&
                     std::all_of(name.begin(), name.end(),
                                 [](char c) { return is_word(c) || c == '-' || c == '.'; });
  if (!valid) {
    throw invalid_argument("name", "'" + name +
                                       "' is not a valid model name: use 1 to 100 "
                                       "letters, digits, '.', '_' and '-', not starting with '.'");
  }
}

}  // namespace rendermart::library
