#pragma once

// Maps method + path pattern to a handler. Patterns are literal segments and {name} segments,
// e.g. "/api/v1/images/{id}/thumbnail". Unknown paths answer 404, known paths with another
// method 405 with an Allow header. HEAD is answered by the GET handler without a body.

#include <functional>
#include <string>
#include <vector>

#include "http/message.hpp"

namespace rendermart::http {

using Handler = std::function<Response(Request&)>;
// Refuses a request by throwing rendermart::Error; returning lets it through.
using Guard = std::function<void(const Request&)>;

class Router {
 public:
  void add(Method method, std::string pattern, Handler handler);
  // Serves paths that match no route (e.g. the web app with SPA fallback); GET and HEAD only.
  void set_fallback(Handler handler);
  // Runs before the handler of every route (the fallback serves only GET and HEAD, which
  // change nothing), so that a rule such as CSRF protection holds for routes added later too.
  void set_guard(Guard guard);
  // Adds headers to every response handle() returns (security headers).
  void set_finisher(std::function<void(const Request&, Response&)> finisher);
  // Runs the finisher on a response made outside handle(): a deferred response's real answer.
  void finish(const Request& request, Response& response) const;

  // Routes one request. Everything a request needs is done here, so that every transport
  // (the HTTP server, the Lambda runtime) behaves the same: path matching, 404/405, errors thrown
  // as rendermart::Error rendered as JSON with their status, other exceptions as 500 internal,
  // the X-Request-Id header, conditional requests (ETag, If-None-Match) and Range, HEAD bodies.
  Response handle(Request& request) const;

 private:
  struct Route {
    Method method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  // Finds the route and runs its handler; 404/405 as responses, handler errors propagate.
  Response dispatch(Request& request) const;
  std::vector<Route> routes_;
  Handler fallback_;
  Guard guard_;
  std::function<void(const Request&, Response&)> finisher_;
};

}  // namespace rendermart::http
