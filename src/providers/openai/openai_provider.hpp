#pragma once

// Any OpenAI-compatible image API as a Provider: POST {base_url}/v1/images/generations with an
// API key (https://platform.openai.com/docs/api-reference/images/create). Works with OpenAI and
// with self-hosted servers that speak the same API. The API takes no seed and no negative
// prompt, so images from these models cannot be made again from their parameters.

#include <chrono>
#include <string>
#include <vector>

#include "aws/http_client.hpp"
#include "providers/model_check.hpp"
#include "providers/provider.hpp"

namespace rendermart {

// What one configured model can do.
struct OpenAiModel {
  std::string name;  // as the API knows it, e.g. "dall-e-3"
  std::vector<Size> sizes;
  int max_count = 1;
  int max_prompt_length = 4000;
  std::vector<std::string> qualities;
  std::vector<std::string> styles;
  // dall-e models take response_format; gpt-image models always answer base64 and refuse it.
  bool response_format = true;
};

// Parses RENDERMART_OPENAI_MODELS: models separated by commas, each "name", or
// "name=WxH WxH.../N" with its sizes (separated by spaces) and the most images a request may ask
// for. OpenAI's own models (dall-e-2, dall-e-3, gpt-image-1) have their documented sizes, counts,
// qualities and styles when only named; other models must list their sizes. Throws
// Error(invalid_argument, field "openai_models").
std::vector<OpenAiModel> parse_openai_models(const std::string& text);

struct OpenAiOptions {
  std::string base_url;  // e.g. https://api.openai.com (the API is at {base_url}/v1/...)
  std::string api_key;   // sent as "Authorization: Bearer <key>"; may be empty for local servers
  std::vector<OpenAiModel> models;
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};
  aws::RetryPolicy retry{.retry_timeouts = false};
};

class OpenAiProvider : public Provider {
 public:
  explicit OpenAiProvider(OpenAiOptions options);

  // Model ids are "openai/<name>", so that they cannot clash with other providers'.
  std::vector<ModelInfo> models() const override;
  // One request for all params.count images; 429 and 5xx are retried with jittered backoff.
  std::vector<RawImage> generate(const GenerationParams& params, const GenerationInputs& inputs,
                                 const ProgressFn& progress, const CancelFlag& cancel) override;

  // For `rendermart providers check`: GET {base_url}/v1/models with the key, and whether each
  // configured model is among those listed. Throws provider_error when the API is unreachable.
  std::vector<ModelCheck> check() const;

 private:
  const OpenAiModel& model_for(const std::string& model_id) const;
  std::string endpoint() const;

  OpenAiOptions options_;
};

}  // namespace rendermart
