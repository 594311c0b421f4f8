// The model library for administrators: what the models folder holds, pulls from the Hugging
// Face Hub or a URL (run on the library's own thread, followed through server-sent events),
// cancel, remove. To everyone else these paths do not exist.

#include <memory>
#include <mutex>

#include "api/authentication.hpp"
#include "api/json_body.hpp"
#include "api/render.hpp"
#include "api/routes.hpp"
#include "core/error.hpp"
#include "core/iso_time.hpp"
#include "library/recommended_models.hpp"

namespace rendermart::api {
namespace {

// The library, for an administrator; the same 404 as an unknown path for anyone else, and when
// this process has no local engine (no models folder to manage).
library::PullManager& admin_library(ApiContext& context, const http::Request& request) {
  const auto user = require_user(context, request);
  if (!user.is_admin || !context.model_library)
    throw Error(ErrorCode::not_found, "no route for " + request.path);
  return *context.model_library;
}

void write_pull(JsonWriter& w, const library::Pull& pull) {
  const auto& p = pull.progress;
  w.begin_object();
  w.key("bytes_done");
  w.value(p.bytes_done);
  w.key("bytes_total");
  if (p.bytes_total)
    w.value(*p.bytes_total);
  else
    w.null();
  w.key("created_at");
  w.value(format_iso8601(pull.created_at));
  w.key("current_file");
  write_optional_text(w, p.current_file);
  w.key("error");
  if (pull.error) {
    w.begin_object();
    w.key("code");
    w.value(to_string(pull.error->code()));
    w.key("message");
    w.value(pull.error->what());
    w.end_object();
  } else {
    w.null();
  }
  w.key("files_done");
  w.value(p.files_done);
  w.key("files_total");
  if (p.files_total)
    w.value(*p.files_total);
  else
    w.null();
  w.key("finished_at");
  if (pull.finished_at)
    w.value(format_iso8601(*pull.finished_at));
  else
    w.null();
  w.key("id");
  w.value(pull.id);
  w.key("lora");
  w.value(pull.lora);
  w.key("name");
  w.value(pull.name);
  w.key("source");
  w.value(pull.source);
  w.key("status");
  w.value(library::to_string(pull.status));
  w.end_object();
}

std::string render_pull(const library::Pull& pull) { return render(pull, write_pull); }

void write_installed(JsonWriter& w, const library::InstalledModel& model, bool offered) {
  w.begin_object();
  w.key("family");
  write_optional_text(w, model.check.family);
  w.key("format");
  w.value(library::to_string(model.format));
  w.key("license");
  write_optional_text(w, model.license);
  w.key("model_id");
  write_optional_text(w, offered ? model.name : std::string());
  w.key("name");
  w.value(model.name);
  w.key("problem");
  write_optional_text(w, model.check.problem);
  w.key("size_bytes");
  w.value(model.size_bytes);
  w.key("source");
  write_optional_text(w, model.source);
  w.end_object();
}

void write_recommended(JsonWriter& w, const library::RecommendedModel& model) {
  w.begin_object();
  w.key("description");
  w.value(model.description);
  w.key("download_bytes");
  w.value(model.download_bytes);
  w.key("license");
  w.value(model.license);
  w.key("name");
  w.value(model.name);
  w.key("source");
  w.value(model.source);
  w.end_object();
}

std::string render_library(ApiContext& context, library::PullManager& pulls) {
  JsonWriter w;
  w.begin_object();
  w.key("installed");
  w.begin_array();
  for (const auto& model : pulls.installed()) {
    const auto entry = context.catalog.find(model.name);
    write_installed(w, model,
                    model.check.problem.empty() && entry && entry->info.provider == "local");
  }
  w.end_array();
  w.key("models_dir");
  w.value(pulls.folder().dir());
  w.key("pulls");
  w.begin_array();
  for (const auto& pull : pulls.list()) write_pull(w, pull);
  w.end_array();
  w.key("recommended");
  w.begin_array();
  for (const auto& model : library::recommended_models()) write_recommended(w, model);
  w.end_array();
  w.end_object();
  return w.take();
}

library::PullOptions parse_pull_request(const http::Request& request) {
  const auto body = parse_object(request, {"source", "name", "variant", "lora", "file"});
  library::PullOptions options;
  options.source = required_string(body, "source");
  options.name = optional_string(body, "name").value_or("");
  options.lora = optional_bool(body, "lora").value_or(false);
  options.file = optional_string(body, "file").value_or("");
  if (!options.file.empty() && !options.lora) {
    throw invalid_argument("file", "file names the LoRA of a LoRA pull: set lora to true");
  }
  if (const auto variant = optional_string(body, "variant")) {
    const auto parsed = library::variant_from_string(*variant);
    if (!parsed) throw invalid_argument("variant", "variant must be auto, fp16 or full");
    options.variant = *parsed;
  }
  return options;
}

http::SseEvent sse(const char* name, const library::Pull& pull) {
  return {name, render_pull(pull), {}};
}

// "status" with the pull as it is, "progress" as it changes, "done" with the final pull.
http::Response stream_pull(library::PullManager& pulls, const std::string& id) {
  struct Stream {
    std::mutex mutex;
    bool started = false;  // changes before the first status are in it: they are dropped
    bool finished = false;
    std::shared_ptr<http::SseChannel> channel = std::make_shared<http::SseChannel>();

    // Needs mutex.
    void send(const library::Pull& pull, const char* event) {
      if (finished) return;
      channel->push(sse(pull.final() ? "done" : event, pull));
      if (pull.final()) {
        finished = true;
        channel->close();
      }
    }
  };
  auto stream = std::make_shared<Stream>();
  // Listen before reading the current state, so that no change falls between the two.
  auto listening = pulls.listen(id, [stream](const library::Pull& pull) {
    std::lock_guard lock(stream->mutex);
    if (stream->started) stream->send(pull, "progress");
  });
  stream->channel->set_on_disconnect([listening]() mutable { listening.reset(); });
  {
    std::lock_guard lock(stream->mutex);
    const auto now = pulls.get(id);
    if (now.final()) stream->channel->push(sse("status", now));
    stream->send(now, "status");
    stream->started = true;
  }
  http::Response response;
  response.events = stream->channel;
  return response;
}

}  // namespace

void add_library_routes(http::Router& router, ApiContext& context) {
  using http::Method;

  router.add(Method::GET, "/api/v1/admin/models", [&context](http::Request& request) {
    auto& pulls = admin_library(context, request);
    return json_reply(200, render_library(context, pulls));
  });

  router.add(Method::DELETE_, "/api/v1/admin/models/{name}", [&context](http::Request& request) {
    admin_library(context, request).remove(request.param("name"));
    http::Response response;
    response.status = 204;
    return response;
  });

  router.add(Method::POST, "/api/v1/admin/models/pulls", [&context](http::Request& request) {
    auto& pulls = admin_library(context, request);
    const auto started = pulls.start(parse_pull_request(request));
    auto response = json_reply(started.existing ? 200 : 202, render_pull(started.pull));
    if (!started.existing)
      response.set_header("Location", "/api/v1/admin/models/pulls/" + started.pull.id);
    return response;
  });

  router.add(Method::GET, "/api/v1/admin/models/pulls/{id}", [&context](http::Request& request) {
    return json_reply(200, render_pull(admin_library(context, request).get(request.param("id"))));
  });

  router.add(Method::POST, "/api/v1/admin/models/pulls/{id}/cancel",
             [&context](http::Request& request) {
               return json_reply(
                   200, render_pull(admin_library(context, request).cancel(request.param("id"))));
             });

  router.add(Method::GET, "/api/v1/admin/models/pulls/{id}/events",
             [&context](http::Request& request) {
               return stream_pull(admin_library(context, request), request.param("id"));
             });
}

}  // namespace rendermart::api
