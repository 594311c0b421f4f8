#pragma once

// Any OpenAI-compatible image API as a Provider: POST {base_url}/v1/images/generations with an
// API key (https://platform.openai.com/docs/api-reference/images/create). Works with OpenAI and
// with self-hosted servers that speak the same API. The API takes no seed and no negative
// prompt, so images from these models cannot be made again from their parameters.
//
// The models offered are discovered: at start and at every refresh() the provider lists the
// service's models (GET {base_url}/v1/models) and offers those it knows how to drive
// (openai_models.hpp), or, when the configuration names models, exactly those of them that the
// service lists. A model's `shutdown_date` decides with the lifecycle rule (model_lifecycle.hpp).

#include <chrono>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "net/http_client.hpp"
#include "providers/model_check.hpp"
#include "providers/model_lifecycle.hpp"
#include "providers/openai/openai_models.hpp"
#include "providers/provider.hpp"

namespace rendermart {

// One model as RenderMart drives it.
struct OpenAiModel {
  std::string name;  // as the API knows it, e.g. "gpt-image-2"
  OpenAiCapabilities capabilities;
};

// Parses RENDERMART_OPENAI_MODELS: models separated by commas, each "name" (a model of one of
// `families`) or "name=WxH WxH.../N" with its sizes (separated by spaces) and the most images a
// request may ask for (a known model narrowed, or a self-hosted one). A model OpenAI retired on
// or before `today` is refused, naming the replacement OpenAI documents. Throws
// Error(invalid_argument, field "openai_models").
std::vector<OpenAiModel> parse_openai_models(const std::string& text,
                                             const std::vector<OpenAiFamily>& families,
                                             const std::string& today);

struct OpenAiOptions {
  std::string base_url;  // e.g. https://api.openai.com (the API is at {base_url}/v1/...)
  std::string api_key;   // sent as "Authorization: Bearer <key>"; may be empty for local servers
  std::vector<OpenAiFamily> families;  // the image models the service may list
  std::vector<OpenAiModel> named;      // empty: offer every listed model of `families`
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};
  net::RetryPolicy retry{.retry_timeouts = false};
};

class OpenAiProvider : public Provider {
 public:
  // Offers nothing until the first refresh(); makes no request.
  explicit OpenAiProvider(OpenAiOptions options);

  // Model ids are "openai/<name>", so that they cannot clash with other providers'.
  std::vector<ModelInfo> models() const override;
  // The first refresh(), at start-up; a named model that the listing shows shut down is a
  // configuration error (Error(invalid_argument)) naming the replacement OpenAI documents.
  void start();
  // Lists the service's models and offers what the lifecycle rule allows. Never throws: a
  // listing that fails keeps what was offered before (nothing at start) and logs why; the next
  // refresh tries again.
  void refresh() override;
  // One request for all params.count images (inpaint: an edit with the mask); 429 and 5xx are
  // retried with jittered backoff. When the family streams and progress is watched, the answer
  // is a stream of events whose partial images reach `progress` as previews.
  std::vector<RawImage> generate(const GenerationParams& params, const GenerationInputs& inputs,
                                 const ProgressFn& progress, const CancelFlag& cancel) override;

  // For `rendermart providers check`: the listing, and for each model that would be offered or
  // is named, whether it is usable and any shutdown warning. Throws provider_error when the API
  // is unreachable.
  std::vector<ModelCheck> check() const;

 private:
  // One model the service lists, or one the configuration names.
  struct Candidate {
    OpenAiModel model;
    bool listed = false;
    Lifecycle lifecycle;
    Offer offer = Offer::always;
  };
  void discover(bool at_start);

  using Listing = std::vector<std::pair<std::string, Lifecycle>>;  // model id, its lifecycle

  // GET /v1/models; throws Error (provider_error, provider_misconfigured) when it fails.
  Listing list() const;
  // The named models, or every listed model of a known family, with what the rule decides.
  std::vector<Candidate> candidates(const Listing& listing, const std::string& today) const;
  ModelInfo info_for(const OpenAiModel& model, const Lifecycle& lifecycle) const;
  OpenAiModel model_for(const std::string& model_id) const;
  // The images of a JSON answer: base64, or URLs that are downloaded.
  std::vector<RawImage> answered_images(const net::HttpResponse& response, const std::string& where,
                                        const CancelFlag& cancel) const;

  OpenAiOptions options_;
  mutable std::mutex mutex_;  // guards offered_
  std::vector<std::pair<OpenAiModel, ModelInfo>> offered_;
};

}  // namespace rendermart
