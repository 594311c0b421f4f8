#include "providers/openai/openai_provider.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/list_setting.hpp"
#include "providers/cloud_call.hpp"
#include "providers/image_payload.hpp"

namespace rendermart {
namespace {

using nlohmann::json;

constexpr const char* kIdPrefix = "openai/";

Error bad_models(const std::string& why) {
  return invalid_argument("openai_models", "RENDERMART_OPENAI_MODELS: " + why +
                                               " (expected names separated by commas, each name or "
                                               "name=WIDTHxHEIGHT WIDTHxHEIGHT.../MAX_IMAGES)");
}

// OpenAI's own models, as its API reference documents them.
std::optional<OpenAiModel> known_model(const std::string& name) {
  if (name == "dall-e-2") {
    return OpenAiModel{name, {{256, 256}, {512, 512}, {1024, 1024}}, 10, 1000, {"standard"}, {},
                       true};
  }
  if (name == "dall-e-3") {
    return OpenAiModel{name,
                       {{1024, 1024}, {1792, 1024}, {1024, 1792}},
                       1,
                       4000,
                       {"standard", "hd"},
                       {"vivid", "natural"},
                       true};
  }
  if (name == "gpt-image-1") {
    return OpenAiModel{name,  {{1024, 1024}, {1536, 1024}, {1024, 1536}}, 10,
                       32000, {"auto", "low", "medium", "high"},          {},
                       false};
  }
  return std::nullopt;
}

int parse_positive(const std::string& text, const std::string& what) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) {
    throw bad_models(what + " '" + text + "' is not a positive number");
  }
  return value;
}

Size parse_size(const std::string& text) {
  const auto x = text.find('x');
  if (x == std::string::npos) throw bad_models("size '" + text + "' is not WIDTHxHEIGHT");
  return {parse_positive(text.substr(0, x), "width"), parse_positive(text.substr(x + 1), "height")};
}

OpenAiModel parse_model(const std::string& entry) {
  const auto equals = entry.find('=');
  const std::string name = entry.substr(0, equals);
  if (name.empty()) throw bad_models("a model has no name");
  auto model = known_model(name);
  if (equals == std::string::npos) {
    if (!model) throw bad_models("model '" + name + "' is not one of OpenAI's: list its sizes");
    return *model;
  }
  if (!model) model = OpenAiModel{name, {}, 1, 4000, {}, {}, true};
  std::string rest = entry.substr(equals + 1);
  if (const auto slash = rest.find('/'); slash != std::string::npos) {
    model->max_count = parse_positive(rest.substr(slash + 1), "image count");
    rest.resize(slash);
  }
  model->sizes.clear();
  for (const auto& size : split_list(rest, ' ')) model->sizes.push_back(parse_size(size));
  if (model->sizes.empty()) throw bad_models("model '" + name + "' lists no size");
  return *model;
}

// A string member of an OpenAI error body ({"error": {"message", "code", ...}}), or nothing.
std::optional<std::string> error_member(const aws::HttpResponse& response, const char* member) {
  const auto body = json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object() &&
      body["error"].contains(member) && body["error"][member].is_string()) {
    return body["error"][member].get<std::string>();
  }
  return std::nullopt;
}

Error answer_error(const aws::HttpResponse& response, const std::string& where) {
  const std::string detail =
      "HTTP " + std::to_string(response.status) + ": " +
      error_member(response, "message").value_or(response.body.substr(0, 300));
  const std::string code = error_member(response, "code").value_or("");
  if (code == "content_policy_violation" || code == "moderation_blocked") {
    return Error(ErrorCode::content_filtered, where + " refused the prompt (" + detail + ")");
  }
  if (response.status == 401 || response.status == 403) {
    return Error(ErrorCode::provider_misconfigured,
                 where + " refused the API key (" + detail + "): check RENDERMART_OPENAI_API_KEY");
  }
  if (response.status == 404) {
    return Error(ErrorCode::provider_misconfigured,
                 where + " does not know the model or path (" + detail +
                     "): check RENDERMART_OPENAI_BASE_URL and RENDERMART_OPENAI_MODELS");
  }
  if (response.status == 429) {
    return Error(ErrorCode::rate_limited, where + " is rate limiting this key (" + detail + ")");
  }
  if (response.status >= 400 && response.status < 500) {
    return Error(ErrorCode::invalid_argument, where + " rejected the request (" + detail + ")");
  }
  return Error(ErrorCode::provider_error, where + " failed (" + detail + ")");
}

}  // namespace

std::vector<OpenAiModel> parse_openai_models(const std::string& text) {
  std::vector<OpenAiModel> models;
  for (const auto& entry : split_list(text)) models.push_back(parse_model(entry));
  if (models.empty()) throw bad_models("no model is named");
  return models;
}

OpenAiProvider::OpenAiProvider(OpenAiOptions options) : options_(std::move(options)) {
  while (options_.base_url.ends_with('/')) options_.base_url.pop_back();
}

std::string OpenAiProvider::endpoint() const {
  return options_.base_url + "/v1/images/generations";
}

std::vector<ModelInfo> OpenAiProvider::models() const {
  std::vector<ModelInfo> out;
  for (const auto& model : options_.models) {
    ModelInfo info;
    info.id = kIdPrefix + model.name;
    info.name = model.name;
    info.provider = "openai";
    info.kind = "cloud";
    info.family = "openai";
    info.description = "'" + model.name + "' through the OpenAI-compatible image API at " +
                       options_.base_url + ". It takes no seed: an image cannot be made again.";
    info.fixed_sizes = model.sizes;
    info.default_size = model.sizes.front();
    info.max_count = model.max_count;
    info.negative_prompt = false;
    info.max_prompt_length = model.max_prompt_length;
    info.qualities = model.qualities;
    info.styles = model.styles;
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<ModelCheck> OpenAiProvider::check() const {
  aws::HttpRequest request;
  request.url = options_.base_url + "/v1/models";
  if (!options_.api_key.empty())
    request.headers = {{"Authorization", "Bearer " + options_.api_key}};
  request.timeout = options_.timeout;
  aws::HttpResponse response;
  try {
    response = aws::with_retries(options_.retry, [&] { return aws::send(request); });
  } catch (const aws::TransportError& e) {
    throw Error(ErrorCode::provider_error, options_.base_url + " is unreachable: " + e.what());
  }
  std::vector<ModelCheck> checks;
  const auto listed = json::parse(response.body, nullptr, false);
  const bool listing = response.status == 200 && listed.is_object() && listed.contains("data") &&
                       listed["data"].is_array();
  for (const auto& model : options_.models) {
    ModelCheck check{kIdPrefix + model.name, false, ""};
    if (!listing) {
      check.detail = answer_error(response, options_.base_url + "/v1/models").what();
    } else {
      for (const auto& item : listed["data"]) {
        if (item.is_object() && item.value("id", "") == model.name) check.usable = true;
      }
      check.detail = check.usable ? "listed by the API for this key"
                                  : "not among the models the API lists for this key";
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

const OpenAiModel& OpenAiProvider::model_for(const std::string& model_id) const {
  for (const auto& model : options_.models) {
    if (kIdPrefix + model.name == model_id) return model;
  }
  throw invalid_argument("model", "unknown OpenAI-compatible model '" + model_id + "'");
}

std::vector<RawImage> OpenAiProvider::generate(const GenerationParams& params,
                                               const GenerationInputs&, const ProgressFn& progress,
                                               const CancelFlag& cancel) {
  const OpenAiModel& model = model_for(params.model);
  const std::string where = "the OpenAI-compatible API at " + options_.base_url;
  if (cancel) throw Error(ErrorCode::canceled, "generation canceled");

  json body = {{"model", model.name},
               {"prompt", params.prompt},
               {"n", params.count},
               {"size", std::to_string(params.width) + "x" + std::to_string(params.height)}};
  if (!params.quality.empty()) body["quality"] = params.quality;
  if (!params.style.empty()) body["style"] = params.style;
  if (model.response_format) body["response_format"] = "b64_json";

  aws::HttpRequest request;
  request.method = "POST";
  request.url = endpoint();
  request.headers = {{"Content-Type", "application/json"}};
  if (!options_.api_key.empty())
    request.headers.emplace_back("Authorization", "Bearer " + options_.api_key);
  request.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  request.timeout = options_.timeout;
  request.cancel = &cancel;

  const aws::HttpResponse response =
      call_with_retries(options_.retry, [&] { return aws::send(request); }, where);
  if (response.status != 200) throw answer_error(response, where);

  const auto answer = json_answer(response.body, where);
  if (!answer.contains("data") || !answer["data"].is_array()) {
    throw Error(ErrorCode::provider_error, where + " answered without a data array");
  }
  std::vector<RawImage> images;
  for (const auto& item : answer["data"]) {
    if (item.contains("b64_json") && item["b64_json"].is_string()) {
      images.push_back(image_from_base64(item["b64_json"].get<std::string>(), where));
    } else if (item.contains("url") && item["url"].is_string()) {
      aws::HttpRequest download;
      download.url = item["url"].get<std::string>();
      download.timeout = options_.timeout;
      download.cancel = &cancel;
      const aws::HttpResponse file = call_with_retries(
          options_.retry, [&] { return aws::send(download); }, where + " (an image download)");
      if (file.status != 200) {
        throw Error(ErrorCode::provider_error,
                    where + ": downloading an image answered HTTP " + std::to_string(file.status));
      }
      images.push_back(image_from_png(file.body, where));
    } else {
      throw Error(ErrorCode::provider_error, where + " answered an image without b64_json or url");
    }
    if (progress) progress({static_cast<double>(images.size()) / params.count, std::nullopt});
  }
  if (static_cast<int>(images.size()) != params.count) {
    throw Error(ErrorCode::provider_error, where + " answered " + std::to_string(images.size()) +
                                               " images instead of " +
                                               std::to_string(params.count));
  }
  return images;
}

}  // namespace rendermart
