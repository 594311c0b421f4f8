#include "library/hub_client.hpp"

#include "library/file_download.hpp"
#include "net/url.hpp"

namespace rendermart::library {
namespace {

// The listing of a large repository is a few hundred kilobytes; a Hub that takes this long is
// down.
constexpr std::chrono::seconds kListingTimeout{60};

}  // namespace

HubClient::HubClient(HubSettings settings) : settings_(std::move(settings)) {
  if (net::origin_of(settings_.endpoint).empty()) {
    throw invalid_argument("HF_ENDPOINT", "HF_ENDPOINT " + settings_.endpoint +
                                              " is not a URL (e.g. https://huggingface.co)");
  }
}

net::HttpRequest HubClient::hub_request(std::string url) const {
  auto request = download_request(std::move(url));
  if (!settings_.token.empty())
    request.headers.emplace_back("Authorization", "Bearer " + settings_.token);
  return request;
}

RepoListing HubClient::listing(const HubRepo& repo) const {
  if (settings_.offline) {
    throw Error(
        ErrorCode::unavailable,
        "HF_HUB_OFFLINE is set, so the Hugging Face Hub is not contacted: unset it to pull " +
            repo.id);
  }
  auto get = hub_request(settings_.endpoint + "/api/models/" + repo.id + "/revision/" +
                         net::percent_encode(repo.revision) + "?blobs=true");
  get.timeout = kListingTimeout;
  net::HttpResponse response;
  try {
    response = net::send(get);
  } catch (const net::TransportError& e) {
    throw unreachable(e);
  }
  if (response.status != 200) throw answer_error(response, repo.id, "revision " + repo.revision);
  return parse_listing(response.body);
}

net::HttpRequest HubClient::file_request(const std::string& repo_id, const std::string& commit,
                                         const std::string& path) const {
  return hub_request(settings_.endpoint + "/" + repo_id + "/resolve/" +
                     net::percent_encode(commit) + "/" + net::percent_encode(path, true));
}

Error HubClient::answer_error(const net::HttpResponse& response, const std::string& repo,
                              const std::string& what) const {
  const auto code = response.header("x-error-code").value_or("");
  const auto status = std::to_string(response.status);
  const auto page = settings_.endpoint + "/" + repo;
  if (code == "GatedRepo" || ((response.status == 401 || response.status == 403) && code.empty())) {
    const bool gated = code == "GatedRepo";
    const auto access = gated ? repo + " is gated: accept its license on " + page +
                                    " with your Hugging Face account, then "
                              : "no access to " + repo + " (" + status + "): ";
    if (settings_.token.empty()) {
      return Error(ErrorCode::forbidden,
                   access +
                       "set HF_TOKEN to an access token of that account "
                       "(https://huggingface.co/settings/tokens) and pull again");
    }
    return Error(ErrorCode::forbidden, access +
                                           "check that the token in HF_TOKEN belongs to an "
                                           "account that has access (" +
                                           status + ")");
  }
  if (code == "RevisionNotFound") {
    return Error(ErrorCode::not_found, repo + " has no " + what + " (" + page + ")");
  }
  if (code == "EntryNotFound") {
    return Error(ErrorCode::not_found, repo + " has no file " + what + " any more: pull again");
  }
  if (code == "RepoNotFound" || response.status == 404 || response.status == 401) {
    return Error(ErrorCode::not_found,
                 "no model repository " + repo + " on " + settings_.endpoint +
                     ": check the name (OWNER/NAME); a private repository needs HF_TOKEN");
  }
  if (response.status == 429) {
    return Error(ErrorCode::rate_limited,
                 "the Hugging Face Hub is limiting requests (429): wait a minute and pull again");
  }
  const auto message = response.header("x-error-message").value_or(response.body.substr(0, 200));
  return Error(ErrorCode::provider_error,
               "the Hugging Face Hub answered " + status + " for " + what + " of " + repo +
                   (message.empty() ? "" : ": " + message) + "; try again later");
}

Error HubClient::unreachable(const net::TransportError& error) const {
  if (error.canceled()) return Error(ErrorCode::canceled, "pull canceled");
  return Error(ErrorCode::unavailable,
               "cannot reach the Hugging Face Hub at " + settings_.endpoint + ": " + error.what() +
                   "; check the network, or set HF_ENDPOINT to use a mirror");
}

}  // namespace rendermart::library
