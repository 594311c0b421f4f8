#include <atomic>
#include <climits>
#include <memory>
#include <mutex>
#include <vector>

#include "api/authentication.hpp"
#include "api/filed_sources.hpp"
#include "api/job_wait.hpp"
#include "api/json_body.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"
#include "core/base64.hpp"
#include "core/error.hpp"
#include "http/status.hpp"

namespace rendermart::api {
namespace {

// The most pixels outpainting may add on one side: the model's own size limits apply to the
// result; this keeps a request from making the server build an absurd canvas first.
constexpr std::int64_t kMaxOutpaintMargin = 2048;

// {"left", "right", "top", "bottom"}: pixels to add on each side (absent: 0).
std::optional<Margins> parse_outpaint(const nlohmann::json& body) {
  if (!body.contains("outpaint") || body["outpaint"].is_null()) return std::nullopt;
  const auto& sides = body["outpaint"];
  if (!sides.is_object()) {
    throw invalid_argument("outpaint", "outpaint must be an object: {left, right, top, bottom}");
  }
  for (const auto& [key, value] : sides.items()) {
    if (key != "left" && key != "right" && key != "top" && key != "bottom") {
      throw invalid_argument("outpaint", "outpaint takes left, right, top and bottom, not " + key);
    }
  }
  const auto side = [&](const char* name) {
    try {
      return static_cast<int>(optional_integer(sides, name, 0, kMaxOutpaintMargin).value_or(0));
    } catch (const Error& e) {
      throw invalid_argument(std::string("outpaint.") + name, std::string("outpaint.") + e.what());
    }
  };
  Margins margins{side("left"), side("right"), side("top"), side("bottom")};
  if (margins.left + margins.right + margins.top + margins.bottom == 0) {
    throw invalid_argument("outpaint", "outpaint needs at least one side to extend");
  }
  return margins;
}

// loras: [{name, weight}], the weight 1 when left out.
std::vector<LoraUse> parse_loras(const nlohmann::json& body) {
  if (!body.contains("loras") || body["loras"].is_null()) return {};
  const auto& loras = body["loras"];
  if (!loras.is_array() || loras.size() > kMaxLoras) {
    throw invalid_argument("loras", "loras must be an array of at most " +
                                        std::to_string(kMaxLoras) + " {name, weight} objects");
  }
  std::vector<LoraUse> out;
  for (const auto& item : loras) {
    if (!item.is_object()) throw invalid_argument("loras", "each LoRA is a {name, weight} object");
    for (const auto& [key, value] : item.items()) {
      if (key != "name" && key != "weight") {
        throw invalid_argument("loras", "a LoRA takes name and weight, not " + key);
      }
    }
    auto name = optional_string(item, "name");
    if (!name || name->empty()) throw invalid_argument("loras", "each LoRA needs a name");
    out.push_back({std::move(*name), optional_number(item, "weight").value_or(1), {}});
  }
  return out;
}

// A mask sent with the request instead of naming a stored one: a PNG, JPEG or WebP (white:
// repaint) as base64, or as a data: URL of it.
std::optional<std::string> parse_inline_mask(const nlohmann::json& body) {
  auto text = optional_string(body, "mask");
  if (!text) return std::nullopt;
  std::string_view encoded = *text;
  if (encoded.starts_with("data:"))
    encoded.remove_prefix(std::min(encoded.find(',') + 1, encoded.size()));
  auto bytes = base64_decode(encoded);
  if (!bytes) {
    throw invalid_argument("mask", "mask must be a picture in base64 (or a data: URL of one)");
  }
  return bytes;
}

// A generation request, and what it brings instead of a stored mask: the margins of an outpaint,
// or the mask itself.
struct ParsedGeneration {
  GenerationRequest generation;
  std::optional<Margins> outpaint;
  std::optional<std::string> mask;
};

ParsedGeneration parse_generation_request(const http::Request& request) {
  const auto body = parse_object(request, {"prompt",
                                           "negative_prompt",
                                           "model",
                                           "style",
                                           "width",
                                           "height",
                                           "steps",
                                           "cfg_scale",
                                           "seed",
                                           "count",
                                           "quality",
                                           "task",
                                           "source_image_id",
                                           "mask_image_id",
                                           "strength",
                                           "mask_blur",
                                           "outpaint",
                                           "mask",
                                           "loras",
                                           "background",
                                           "moderation",
                                           "search_prompt",
                                           "style_image_id",
                                           "creativity",
                                           "control_strength",
                                           "style_preset",
                                           "grow_mask",
                                           "composition_fidelity",
                                           "change_strength"});
  const auto integer = [&](const char* field) -> std::optional<int> {
    // Wide bounds here catch type errors; the model's own limits are checked by validation.
    if (auto v = optional_integer(body, field, INT_MIN, INT_MAX)) return static_cast<int>(*v);
    return std::nullopt;
  };
  ParsedGeneration parsed;
  parsed.outpaint = parse_outpaint(body);
  parsed.mask = parse_inline_mask(body);
  auto& out = parsed.generation;
  if (auto task = optional_string(body, "task")) {
    out.task = generation_task_from_string(*task);
    if (!out.task) {
      throw invalid_argument("task",
                             "task must be text_to_image, image_to_image, inpaint, outpaint, "
                             "remove_background, upscale, erase, search_replace, search_recolor, "
                             "sketch, structure, style_guide or style_transfer");
    }
  }
  // remove_background takes no prompt; every other task needs one (checked by validation).
  out.prompt = optional_string(body, "prompt").value_or("");
  out.negative_prompt = optional_string(body, "negative_prompt");
  out.model = optional_string(body, "model");
  out.style = optional_string(body, "style");
  out.width = integer("width");
  out.height = integer("height");
  out.steps = integer("steps");
  out.cfg_scale = optional_number(body, "cfg_scale");
  if (auto seed = optional_integer(body, "seed", 0, UINT32_MAX)) {
    out.seed = static_cast<std::uint32_t>(*seed);
  }
  out.count = integer("count");
  out.quality = optional_string(body, "quality");
  out.source_image_id = optional_string(body, "source_image_id");
  out.mask_image_id = optional_string(body, "mask_image_id");
  out.strength = optional_number(body, "strength");
  out.mask_blur = integer("mask_blur");
  out.loras = parse_loras(body);
  out.background = optional_string(body, "background");
  out.moderation = optional_string(body, "moderation");
  out.search_prompt = optional_string(body, "search_prompt");
  out.style_image_id = optional_string(body, "style_image_id");
  out.creativity = optional_number(body, "creativity");
  out.control_strength = optional_number(body, "control_strength");
  out.style_preset = optional_string(body, "style_preset");
  out.grow_mask = integer("grow_mask");
  out.composition_fidelity = optional_number(body, "composition_fidelity");
  out.change_strength = optional_number(body, "change_strength");
  return parsed;
}

void write_job(JsonWriter& w, GenerationService& generations, const Job& job) {
  write_generation(w, job, generations.queue_position(job));
}

std::string render_job(GenerationService& generations, const Job& job) {
  JsonWriter w;
  write_job(w, generations, job);
  return w.take();
}

std::string render_progress(const JobEvent& event) {
  JsonWriter w;
  w.begin_object();
  w.key("id");
  w.value(event.job_id);
  w.key("progress");
  w.value(event.progress);
  if (!event.preview.empty()) {
    w.key("preview");
    w.value(event.preview);
  }
  w.key("stage");
  w.value(to_string(event.stage));
  w.end_object();
  return w.take();
}

http::SseEvent sse(const char* name, std::string data) { return {name, std::move(data), {}}; }

// Streams a job's events until it reaches a final state: "status" first (the job as it is now),
// "progress" while it runs, "status" on every change, and "done" with the final job.
http::Response stream_events(ApiContext& context, const User& user, const Job& initial) {
  auto channel = std::make_shared<http::SseChannel>();
  auto finished = std::make_shared<std::atomic<bool>>(false);
  // Progress that arrives before the first status is dropped: the stream starts with the job's
  // state, and that state already carries the progress so far.
  auto started = std::make_shared<std::atomic<bool>>(false);
  auto& generations = context.generations;

  const auto send_state = [channel, finished, &generations](const Job& job) {
    if (*finished) return;
    channel->push(sse("status", render_job(generations, job)));
    if (is_final(job.status) && !finished->exchange(true)) {
      channel->push(sse("done", render_job(generations, job)));
      channel->close();
    }
  };

  // Subscribe before reading the current state, so that no change falls between the two.
  auto subscription = generations.events().subscribe(
      initial.id, [channel, finished, started, send_state, &generations, user,
                   id = initial.id](const JobEvent& event) {
        if (*finished) return;
        if (event.type == JobEvent::Type::progress) {
          if (!*started) return;
          channel->push(sse("progress", render_progress(event)));
          return;
        }
        try {
          send_state(generations.get(user, id));
        } catch (const std::exception&) {
          // The job is gone or the database is unreachable; the stream ends.
          finished->store(true);
          channel->close();
        }
      });
  channel->set_on_disconnect([subscription]() mutable { subscription.reset(); });
  send_state(generations.get(user, initial.id));
  started->store(true);

  http::Response response;
  response.events = channel;
  return response;
}

// A stream's events before its snapshot wait for it; then they go out in the order they came.
class StreamStart {
 public:
  explicit StreamStart(std::shared_ptr<http::SseChannel> channel) : channel_(std::move(channel)) {}

  void push(http::SseEvent event) {
    std::lock_guard lock(mutex_);
    if (started_) {
      channel_->push(std::move(event));
    } else {
      early_.push_back(std::move(event));
    }
  }
  void start(http::SseEvent first) {
    std::lock_guard lock(mutex_);
    channel_->push(std::move(first));
    for (auto& event : early_) channel_->push(std::move(event));
    early_.clear();
    started_ = true;
  }

 private:
  std::shared_ptr<http::SseChannel> channel_;
  std::mutex mutex_;
  std::vector<http::SseEvent> early_;
  bool started_ = false;
};

std::string render_unfinished(const UnfinishedJob& unfinished) {
  JsonWriter w;
  write_generation(w, unfinished.job, unfinished.queue_position);
  return w.take();
}

std::string render_snapshot(const std::vector<UnfinishedJob>& jobs) {
  JsonWriter w;
  w.begin_object();
  w.key("jobs");
  w.begin_array();
  for (const auto& unfinished : jobs) {
    write_generation(w, unfinished.job, unfinished.queue_position);
  }
  w.end_array();
  w.end_object();
  return w.take();
}

std::string render_positions(const std::vector<QueuePosition>& positions) {
  JsonWriter w;
  w.begin_object();
  w.key("positions");
  w.begin_array();
  for (const auto& position : positions) {
    w.begin_object();
    w.key("id");
    w.value(position.job_id);
    w.key("queue_position");
    w.value(position.position);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

// Streams the events of all of the user's jobs until the client goes away: "snapshot" first
// (every unfinished job as it is now; after a reconnection it replaces what the client knew of
// them, and a job it knew that is missing has ended since), then "status" whenever a job is
// queued or changes status, "progress" while one runs, and "queue" with the positions of all of
// the user's queued jobs whenever they move.
http::Response stream_user_events(ApiContext& context, const User& user) {
  auto channel = std::make_shared<http::SseChannel>();
  auto start = std::make_shared<StreamStart>(channel);
  JobFeed::Follower follower{
      .on_status =
          [start](const UnfinishedJob& job) { start->push(sse("status", render_unfinished(job))); },
      .on_progress =
          [start](const JobEvent& event) { start->push(sse("progress", render_progress(event))); },
      .on_positions =
          [start](const std::vector<QueuePosition>& positions) {
            start->push(sse("queue", render_positions(positions)));
          },
  };
  auto followed = context.generations.feed().follow(user.id, std::move(follower));
  channel->set_on_disconnect(
      [subscription = std::move(followed.first)]() mutable { subscription.reset(); });
  start->start(sse("snapshot", render_snapshot(followed.second)));

  http::Response response;
  response.events = channel;
  return response;
}

}  // namespace

void add_generation_routes(http::Router& router, ApiContext& context) {
  using http::Method;
  auto& generations = context.generations;

  router.add(Method::POST, "/api/v1/generations", [&context, &generations](http::Request& request) {
    const auto user = require_user(context, request);
    require_time_to_generate(request);
    auto [generation, margins, mask] = parse_generation_request(request);
    if (margins && mask) {
      throw invalid_argument("mask", "outpaint with margins makes its own mask: leave mask out");
    }
    std::vector<std::string> filed;
    if (margins) filed = file_outpaint_canvas(context, user, *margins, generation);
    if (mask) filed = {file_inline_mask(context, user, *mask, generation)};
    const auto job = filed.empty() ? generations.create(user, generation)
                                   : create_on_filed_sources(context, user, generation, filed);
    if (request.deadline_ms) {
      // Nothing runs the job after the answer: answer with the ended generation.
      return await_job_end(
          context, user, job,
          [&generations](const Job& ended) {
            return json_reply(200, render_job(generations, ended));
          },
          [](const Error& e) { return http::error_response(e); });
    }
    auto response = json_reply(202, render_job(generations, job));
    response.set_header("Location", "/api/v1/generations/" + job.id);
    return response;
  });

  router.add(Method::GET, "/api/v1/generations", [&context, &generations](http::Request& request) {
    const auto user = require_user(context, request);
    const Page page{cursor_param(request), limit_param(request)};
    const auto write = [&](JsonWriter& w, const Job& job) { write_job(w, generations, job); };
    return json_reply(200, render_page(generations.list(user, page), page.limit, write));
  });

  router.add(Method::GET, "/api/v1/generations/events", [&context](http::Request& request) {
    return stream_user_events(context, require_user(context, request));
  });

  router.add(
      Method::GET, "/api/v1/generations/{id}", [&context, &generations](http::Request& request) {
        const auto user = require_user(context, request);
        return json_reply(200, render_job(generations, generations.get(user, request.param("id"))));
      });

  router.add(Method::POST, "/api/v1/generations/{id}/cancel",
             [&context, &generations](http::Request& request) {
               const auto user = require_user(context, request);
               return json_reply(
                   200, render_job(generations, generations.cancel(user, request.param("id"))));
             });

  router.add(Method::GET, "/api/v1/generations/{id}/events",
             [&context, &generations](http::Request& request) {
               const auto user = require_user(context, request);
               return stream_events(context, user, generations.get(user, request.param("id")));
             });
}

}  // namespace rendermart::api
