#include <algorithm>

#include "api/render.hpp"
#include "api/routes.hpp"

namespace rendermart::api {

void add_health_routes(http::Router& router, ApiContext& context) {
  using http::Method;

  // Liveness: the process answers. Nothing else, so a slow database never gets it restarted.
  router.add(Method::GET, "/healthz",
             [](http::Request&) { return json_reply(200, R"({"status":"ok"})"); });

  // Readiness: the database and the storage both answer.
  router.add(Method::GET, "/readyz", [&context](http::Request&) {
    const auto checks = context.readiness.check();
    const bool ready = std::all_of(checks.begin(), checks.end(),
                                   [](const auto& check) { return check.error.empty(); });
    // "checks" comes before "status" (keys are alphabetical, see render.hpp).
    JsonWriter w;
    w.begin_object();
    w.key("checks");
    w.begin_object();
    for (const auto& check : checks) {
      w.key(check.name);
      w.value(check.error.empty() ? std::string("ok") : "failed: " + check.error);
    }
    w.end_object();
    w.key("status");
    w.value(ready ? "ready" : "not_ready");
    w.end_object();
    return json_reply(ready ? 200 : 503, w.take());
  });

  router.add(Method::GET, "/metrics", [&context](http::Request&) {
    http::Response response;
    response.body = context.metrics.render();
    response.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return response;
  });
}

}  // namespace rendermart::api
