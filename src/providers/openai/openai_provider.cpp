#include "providers/openai/openai_provider.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/list_setting.hpp"
#include "providers/cloud_call.hpp"
#include "providers/image_payload.hpp"
#include "providers/openai/openai_request.hpp"
#include "providers/openai/openai_stream.hpp"

namespace rendermart {
namespace {

using nlohmann::json;

constexpr const char* kIdPrefix = "openai/";
constexpr const char* kSetting = "RENDERMART_OPENAI_MODELS";

Error bad_models(const std::string& why) {
  return invalid_argument("openai_models", std::string(kSetting) + ": " + why +
                                               " (expected names separated by commas, each name or "
                                               "name=WIDTHxHEIGHT WIDTHxHEIGHT.../MAX_IMAGES)");
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

OpenAiModel parse_model(const std::string& entry, const std::vector<OpenAiFamily>& families,
                        const std::string& today) {
  const auto equals = entry.find('=');
  const std::string name = entry.substr(0, equals);
  if (name.empty()) throw bad_models("a model has no name");
  if (const auto retired = find_retired(retired_openai_models(), name);
      retired && retired->shutdown_date <= today) {
    throw_retired("openai_models", kSetting, *retired);
  }
  const OpenAiFamily* family = find_openai_family(families, name);
  if (equals == std::string::npos) {
    if (!family) {
      throw bad_models("model '" + name +
                       "' is of no image model family RenderMart knows: list "
                       "its sizes, or describe its family in RENDERMART_OPENAI_FAMILIES_FILE");
    }
    return {name, family->capabilities};
  }
  OpenAiModel model{name, family ? family->capabilities : OpenAiCapabilities{}};
  std::string rest = entry.substr(equals + 1);
  if (const auto slash = rest.find('/'); slash != std::string::npos) {
    model.capabilities.max_count = parse_positive(rest.substr(slash + 1), "image count");
    rest.resize(slash);
  }
  model.capabilities.sizes.clear();
  for (const auto& size : split_list(rest, ' '))
    model.capabilities.sizes.push_back(parse_size(size));
  if (model.capabilities.sizes.empty()) throw bad_models("model '" + name + "' lists no size");
  model.capabilities.default_size = model.capabilities.sizes.front();
  return model;
}

// A string member of an OpenAI error body ({"error": {"message", "code", ...}}), or nothing.
std::optional<std::string> error_member(const net::HttpResponse& response, const char* member) {
  const auto body = json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object() &&
      body["error"].contains(member) && body["error"][member].is_string()) {
    return body["error"][member].get<std::string>();
  }
  return std::nullopt;
}

Error answer_error(const net::HttpResponse& response, const std::string& where) {
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

std::vector<OpenAiModel> parse_openai_models(const std::string& text,
                                             const std::vector<OpenAiFamily>& families,
                                             const std::string& today) {
  std::vector<OpenAiModel> models;
  for (const auto& entry : split_list(text)) models.push_back(parse_model(entry, families, today));
  if (models.empty()) throw bad_models("no model is named");
  return models;
}

OpenAiProvider::OpenAiProvider(OpenAiOptions options) : options_(std::move(options)) {
  while (options_.base_url.ends_with('/')) options_.base_url.pop_back();
}

OpenAiProvider::Listing OpenAiProvider::list() const {
  net::HttpRequest request;
  request.url = options_.base_url + "/v1/models";
  if (!options_.api_key.empty())
    request.headers = {{"Authorization", "Bearer " + options_.api_key}};
  request.timeout = options_.timeout;
  const std::string where = options_.base_url + "/v1/models";
  const auto response = call_with_retries(
      options_.retry, [&] { return net::send(request); }, where);
  if (response.status != 200) throw answer_error(response, where);
  const auto body = json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.contains("data") || !body["data"].is_array()) {
    throw Error(ErrorCode::provider_error, where + " answered without a data array");
  }
  Listing listing;
  for (const auto& item : body["data"]) {
    if (!item.is_object() || !item.contains("id") || !item["id"].is_string()) continue;
    Lifecycle lifecycle;
    // "The date when the model will shut down, or null if not announced" (YYYY-MM-DD).
    if (item.contains("shutdown_date") && item["shutdown_date"].is_string()) {
      lifecycle.shutdown_date = item["shutdown_date"].get<std::string>().substr(0, 10);
    }
    listing.emplace_back(item["id"].get<std::string>(), lifecycle);
  }
  return listing;
}

std::vector<OpenAiProvider::Candidate> OpenAiProvider::candidates(const Listing& listing,
                                                                  const std::string& today) const {
  std::vector<Candidate> out;
  const auto decide = [&](Candidate candidate) {
    candidate.offer = offer_for(candidate.lifecycle, today);
    out.push_back(std::move(candidate));
  };
  if (!options_.named.empty()) {
    for (const auto& model : options_.named) {
      Candidate candidate{model, false, {}, Offer::always};
      for (const auto& [id, lifecycle] : listing) {
        if (id == model.name) candidate = {model, true, lifecycle, Offer::always};
      }
      decide(candidate);
    }
    return out;
  }
  for (const auto& [id, lifecycle] : listing) {
    if (const auto* family = find_openai_family(options_.families, id)) {
      decide({{id, family->capabilities}, true, lifecycle, Offer::always});
    }
  }
  return out;
}

ModelInfo OpenAiProvider::info_for(const OpenAiModel& model, const Lifecycle& lifecycle) const {
  const auto& caps = model.capabilities;
  ModelInfo info;
  info.id = kIdPrefix + model.name;
  info.name = model.name;
  info.provider = "openai";
  info.kind = "cloud";
  info.family = "openai";
  info.description = "'" + model.name + "' through the OpenAI-compatible image API at " +
                     options_.base_url + ". It takes no seed: an image cannot be made again.";
  info.shutdown_date = lifecycle.shutdown_date;
  info.fixed_sizes = caps.sizes;
  if (caps.sizes.empty()) {
    info.min_side = caps.min_side;
    info.max_side = caps.max_side;
    info.size_multiple = caps.size_multiple;
    info.max_pixels = caps.max_pixels;
    info.max_aspect_ratio = caps.max_aspect_ratio;
  }
  info.default_size = caps.default_size;
  info.max_count = caps.max_count;
  info.negative_prompt = false;
  info.max_prompt_length = caps.max_prompt_length;
  info.qualities = caps.qualities;
  info.styles = caps.styles;
  info.backgrounds = caps.backgrounds;
  info.moderations = caps.moderations;
  if (caps.edits) info.tasks.push_back(GenerationTask::inpaint);
  return info;
}

void OpenAiProvider::start() { discover(true); }

void OpenAiProvider::refresh() { discover(false); }

void OpenAiProvider::discover(bool at_start) {
  Listing listing;
  try {
    listing = list();
  } catch (const Error& e) {
    std::lock_guard lock(mutex_);
    spdlog::error(
        "cannot list the models of the OpenAI-compatible API at {} ({}); {}; trying "
        "again at the next refresh",
        options_.base_url, e.what(),
        offered_.empty() ? "no model of it is offered"
                         : "it keeps offering the models it listed last");
    return;
  }
  std::vector<std::pair<OpenAiModel, ModelInfo>> offered;
  for (const auto& candidate : candidates(listing, utc_today())) {
    const std::string id = kIdPrefix + candidate.model.name;
    if (!candidate.listed) {
      spdlog::warn("model {} is not offered: {} does not list '{}' for this key", id,
                   options_.base_url, candidate.model.name);
    } else if (candidate.offer == Offer::never) {
      if (at_start && !options_.named.empty()) {
        const auto documented = find_retired(retired_openai_models(), candidate.model.name);
        throw_retired("openai_models", kSetting,
                      {candidate.model.name, candidate.lifecycle.shutdown_date,
                       documented ? documented->replacement : ""});
      }
      spdlog::error("model {} is not offered: the service shut it down on {}", id,
                    candidate.lifecycle.shutdown_date);
    } else if (candidate.offer == Offer::when_named && options_.named.empty()) {
      spdlog::info(
          "model {} is not offered: it shuts down on {}; name it in {} to offer it until "
          "then",
          id, candidate.lifecycle.shutdown_date, kSetting);
    } else {
      if (candidate.offer == Offer::when_named) {
        spdlog::warn("{}", shutdown_warning(id, candidate.lifecycle, kSetting));
      }
      offered.emplace_back(candidate.model, info_for(candidate.model, candidate.lifecycle));
    }
  }
  std::lock_guard lock(mutex_);
  offered_ = std::move(offered);
}

std::vector<ModelInfo> OpenAiProvider::models() const {
  std::lock_guard lock(mutex_);
  std::vector<ModelInfo> out;
  for (const auto& [model, info] : offered_) out.push_back(info);
  return out;
}

std::vector<ModelCheck> OpenAiProvider::check() const {
  Listing listing;
  try {
    listing = list();
  } catch (const Error& e) {
    if (e.code() == ErrorCode::provider_error) throw;
    std::vector<ModelCheck> checks;
    for (const auto& model : options_.named)
      checks.push_back({kIdPrefix + model.name, false, e.what(), ""});
    if (checks.empty()) checks.push_back({options_.base_url + "/v1/models", false, e.what(), ""});
    return checks;
  }
  std::vector<ModelCheck> checks;
  for (const auto& candidate : candidates(listing, utc_today())) {
    // Discovered models that the rule leaves out are not offered, and nobody asked for them.
    if (options_.named.empty() && candidate.offer != Offer::always) continue;
    ModelCheck check{kIdPrefix + candidate.model.name, false, "", ""};
    if (!candidate.listed) {
      check.detail = "not among the models the API lists for this key";
    } else if (candidate.offer == Offer::never) {
      check.detail = "the service shut it down on " + candidate.lifecycle.shutdown_date;
    } else {
      check.usable = true;
      check.detail = "listed by the API for this key";
      if (candidate.offer == Offer::when_named) {
        check.warning = shutdown_warning(check.model, candidate.lifecycle, kSetting);
      }
    }
    checks.push_back(std::move(check));
  }
  if (checks.empty()) {
    checks.push_back({options_.base_url + "/v1/models", false,
                      "lists no image model RenderMart knows how to drive: name the models in " +
                          std::string(kSetting) +
                          " or describe their family in "
                          "RENDERMART_OPENAI_FAMILIES_FILE",
                      ""});
  }
  return checks;
}

OpenAiModel OpenAiProvider::model_for(const std::string& model_id) const {
  std::lock_guard lock(mutex_);
  for (const auto& [model, info] : offered_) {
    if (info.id == model_id) return model;
  }
  throw invalid_argument("model", "unknown OpenAI-compatible model '" + model_id + "'");
}

std::vector<RawImage> OpenAiProvider::generate(const GenerationParams& params,
                                               const GenerationInputs& inputs,
                                               const ProgressFn& progress,
                                               const CancelFlag& cancel) {
  const OpenAiModel model = model_for(params.model);
  const std::string where = "the OpenAI-compatible API at " + options_.base_url;
  if (cancel) throw Error(ErrorCode::canceled, "generation canceled");

  const bool edit = params.task == GenerationTask::inpaint;
  const bool stream = openai_streams(model.capabilities, static_cast<bool>(progress));
  const OpenAiBody body =
      edit ? openai_edit_body(params, model.name, model.capabilities, inputs, stream)
           : openai_generation_body(params, model.name, model.capabilities, stream);

  net::HttpRequest request;
  request.method = "POST";
  request.url = options_.base_url + (edit ? "/v1/images/edits" : "/v1/images/generations");
  request.headers = {{"Content-Type", body.content_type}};
  if (!options_.api_key.empty())
    request.headers.emplace_back("Authorization", "Bearer " + options_.api_key);
  request.body = body.body;
  request.timeout = options_.timeout;
  request.cancel = &cancel;

  // A streamed answer: each partial image is a preview of the job as it forms.
  std::optional<OpenAiImageStream> events;
  const int expected_partials = model.capabilities.partial_images * params.count;
  const auto attempt = [&] {
    if (stream) {
      events.emplace(where, [&, seen = 0](RawImage partial) mutable {
        ++seen;
        progress({std::min(0.95, static_cast<double>(seen) / (expected_partials + 1)),
                  std::move(partial)});
      });
      request.body_sink = [&](const net::HttpResponse&, std::string_view piece) {
        events->feed(piece);
      };
    }
    return net::send(request);
  };
  const net::HttpResponse response = call_with_retries(options_.retry, attempt, where);
  if (response.status != 200) throw answer_error(response, where);
  std::vector<RawImage> images =
      stream ? events->finish() : answered_images(response, where, cancel);
  if (static_cast<int>(images.size()) != params.count) {
    throw Error(ErrorCode::provider_error, where + " answered " + std::to_string(images.size()) +
                                               " images instead of " +
                                               std::to_string(params.count));
  }
  if (progress) progress({1.0, std::nullopt});
  return images;
}

std::vector<RawImage> OpenAiProvider::answered_images(const net::HttpResponse& response,
                                                      const std::string& where,
                                                      const CancelFlag& cancel) const {
  const auto answer = json_answer(response.body, where);
  if (!answer.contains("data") || !answer["data"].is_array()) {
    throw Error(ErrorCode::provider_error, where + " answered without a data array");
  }
  std::vector<RawImage> images;
  for (const auto& item : answer["data"]) {
    if (item.contains("b64_json") && item["b64_json"].is_string()) {
      images.push_back(image_from_base64(item["b64_json"].get<std::string>(), where));
    } else if (item.contains("url") && item["url"].is_string()) {
      net::HttpRequest download;
      download.url = item["url"].get<std::string>();
      download.timeout = options_.timeout;
      download.cancel = &cancel;
      const net::HttpResponse file = call_with_retries(
          options_.retry, [&] { return net::send(download); }, where + " (an image download)");
      if (file.status != 200) {
        throw Error(ErrorCode::provider_error,
                    where + ": downloading an image answered HTTP " + std::to_string(file.status));
      }
      images.push_back(image_from_png(file.body, where));
    } else {
      throw Error(ErrorCode::provider_error, where + " answered an image without b64_json or url");
    }
  }
  return images;
}

}  // namespace rendermart
