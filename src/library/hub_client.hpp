#pragma once

// The Hugging Face Hub's HTTP API, as far as pulling a model needs it: a revision's file
// listing, and where each file is downloaded from. Failures become errors that say what to do.

#include <string>

#include "core/error.hpp"
#include "library/hub_listing.hpp"
#include "library/hub_settings.hpp"
#include "library/model_source.hpp"
#include "net/http_client.hpp"

namespace rendermart::library {

class HubClient {
 public:
  explicit HubClient(HubSettings settings);

  const HubSettings& settings() const { return settings_; }

  // GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true. Throws Error:
  // unavailable (HF_HUB_OFFLINE, or the Hub cannot be reached), not_found (no such repository
  // or revision), forbidden (private, or gated without access), rate_limited, provider_error
  // (the Hub failed or answered something unexpected).
  RepoListing listing(const HubRepo& repo) const;

  // A request for one file at one commit: {endpoint}/{repo}/resolve/{commit}/{path}, with the
  // token, which goes to the Hub's own host only (large files redirect to a CDN).
  net::HttpRequest file_request(const std::string& repo_id, const std::string& commit,
                                const std::string& path) const;

  // The error for an answer about `repo` that is not a success (status and X-Error-Code).
  Error answer_error(const net::HttpResponse& response, const std::string& repo,
                     const std::string& what) const;
  // The error for a transfer that got no answer.
  Error unreachable(const net::TransportError& error) const;

 private:
  // A pull's GET of a URL of the Hub, with the token when there is one.
  net::HttpRequest hub_request(std::string url) const;

  HubSettings settings_;
};

}  // namespace rendermart::library
