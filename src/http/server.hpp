#pragma once

// The HTTP/1.1 server: Boost.Beast on one io_context run by a pool of threads, one coroutine per
// connection. It owns sockets, parsing, limits, timeouts, keep-alive and Server-Sent Events;
// everything about a request's meaning is the Router's.
//
// Per request it writes one JSON access-log line on the spdlog logger named "access" (created on
// stdout with pattern "%v" unless the application registered one first) and updates
//   http_requests_total{method,route,status}           counter
//   http_request_duration_seconds{method,route}        histogram
// where route is the matched pattern ("unmatched" when none), so that label sets stay bounded.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "http/router.hpp"

namespace rendermart::http {

// A route that takes larger bodies than the rest (uploads): requests whose method and path
// (without the query) are exactly these may send up to max_body_bytes.
struct BodyLimit {
  Method method = Method::POST;
  std::string path;
  std::size_t max_body_bytes = 0;
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 3300;  // 0: any free port, see Server::port()
  int threads = 0;             // threads running the io_context; 0 or less: one per CPU
  std::size_t max_body_bytes = 1024 * 1024;  // larger bodies: 413 payload_too_large, then close
  std::vector<BodyLimit> route_body_limits;  // overrides max_body_bytes on those routes
  std::size_t max_header_bytes = 16 * 1024;  // larger request line + headers: 400, then close
  // Once a request's first byte arrived, the time allowed for its headers, and again for its body.
  std::chrono::seconds header_timeout{30};
  // How long a keep-alive connection may wait for its next request.
  std::chrono::seconds idle_timeout{75};
  // An idle event stream gets a ": keep-alive" comment this often, so proxies keep it open.
  std::chrono::seconds sse_heartbeat{15};
};

class Server {
 public:
  // The router and metrics must outlive the server.
  Server(ServerOptions options, const Router& router, Metrics& metrics);
  // Stops (as stop()) and waits.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens, then runs the threads and returns. Throws Error(unavailable) naming the
  // address when it cannot listen (e.g. the port is in use), Error(invalid_argument, field
  // "address") for an address that is not an IP address.
  void start();
  // The bound port (the chosen one when options.port was 0); 0 before start().
  unsigned short port() const;
  // Graceful and non-blocking, callable from any thread (signal handlers included), idempotent:
  // stops accepting, closes idle keep-alive connections, ends event streams, lets in-flight
  // requests finish (their responses say Connection: close) for at most 10 s, then closes the
  // rest. wait() returns when all of that is done.
  void stop();
  // Blocks until the server stopped; returns at once if it never started. Not from a handler.
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rendermart::http
