#include "http/server.hpp"

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility> (g++ 12).
#include <utility>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cmath>
#include <limits>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/json_writer.hpp"
#include "http/status.hpp"
#include "http/url.hpp"

namespace rendermart::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// stop(): how long in-flight requests and their responses may take before connections are closed.
constexpr auto kDrainTimeout = std::chrono::seconds(10);
// A client that accepts no bytes of a response (or an event) for this long is dropped.
constexpr auto kWriteTimeout = std::chrono::seconds(30);
// After an error response that closes the connection, the rest of the client's upload is read
// and discarded for at most this long / this many bytes: closing a socket with unread data sends
// a reset, which can destroy the response before the client reads it.
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 4 * 1024 * 1024;
// Bytes read at once while waiting for the next request on a keep-alive connection.
constexpr std::size_t kReadChunk = 16 * 1024;
// After a failed accept (e.g. out of file descriptors), the pause before trying again.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
// Incoming X-Request-Id values are kept when they are this short and use only safe characters.
constexpr std::size_t kMaxRequestIdLength = 64;
// Random bytes in request ids made here (hex: twice as many characters).
constexpr std::size_t kRequestIdBytes = 8;
// The route label of requests that matched no route (404, transport errors).
constexpr const char* kUnmatchedRoute = "unmatched";
// The method label of requests whose method this server does not know.
constexpr const char* kOtherMethod = "OTHER";

// Completion token for awaited operations that report failure in `ec` instead of throwing.
auto redirect(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

// Beast 1.74 has its own string_view (boost::string_view).
std::string_view view(beast::string_view text) { return {text.data(), text.size()}; }

bool valid_request_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxRequestIdLength &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
         });
}

bool safe_header(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

// "127.0.0.1:3300", "[::1]:3300": an endpoint as the authority of a URL.
std::string host_and_port(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  std::string host = address.to_string();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    host = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  } else if (address.is_v6()) {
    host = "[" + host + "]";
  }
  return host + ":" + std::to_string(endpoint.port());
}

std::string utc_timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(now)), millis);
}

std::shared_ptr<spdlog::logger> access_logger() {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (auto logger = spdlog::get("access")) return logger;
  auto logger = spdlog::stdout_logger_mt("access");
  logger->set_pattern("%v");  // the line is a complete JSON object
  return logger;
}

// Lets producer threads wake one event stream. The connection deactivates it before its timer
// goes away; wake-ups and the peer watch run on the connection's strand, so after deactivation
// nothing touches the connection. Posts are coalesced: one pending wake-up at most.
struct SseWaker : std::enable_shared_from_this<SseWaker> {
  SseWaker(asio::any_io_executor strand, asio::steady_timer& wait_timer)
      : executor(std::move(strand)), timer(&wait_timer) {}

  void wake() {
    std::lock_guard lock(mutex);
    if (!active || wake_pending) return;
    wake_pending = true;
    asio::post(executor, [self = shared_from_this()] {
      std::lock_guard inner(self->mutex);
      self->wake_pending = false;
      if (self->active) self->timer->cancel();
    });
  }

  // Any completion of the watch read (EOF, reset, or data a stream client must not send) ends
  // the stream.
  void watch_peer(tcp::socket& socket) {
    socket.async_read_some(asio::buffer(scratch),
                           [self = shared_from_this()](error_code, std::size_t) {
                             std::lock_guard lock(self->mutex);
                             if (!self->active) return;
                             self->peer_gone = true;
                             self->timer->cancel();
                           });
  }

  bool gone() {
    std::lock_guard lock(mutex);
    return peer_gone;
  }

  void deactivate() {
    std::lock_guard lock(mutex);
    active = false;
    timer = nullptr;
  }

  std::mutex mutex;
  asio::any_io_executor executor;
  asio::steady_timer* timer;
  bool active = true;
  bool wake_pending = false;
  bool peer_gone = false;
  std::array<char, 256> scratch{};
};

struct Connection {
  Connection(tcp::socket socket, std::string remote_address, std::string local_address)
      : stream(std::move(socket)),
        remote(std::move(remote_address)),
        local(std::move(local_address)) {}

  beast::tcp_stream stream;
  std::string remote;
  std::string local;  // host:port the client connected to
  // Touched on the connection's strand only (its coroutine and posted stop requests).
  bool idle = false;                        // waiting for the next request
  asio::steady_timer* sse_timer = nullptr;  // set while streaming events
};

// What the access log and the metrics record about one exchange.
struct Exchange {
  std::string request_id;
  std::string method = kOtherMethod;
  std::string path;
  std::string route = kUnmatchedRoute;
  std::string remote;
  unsigned status = 0;
  std::size_t bytes = 0;
  Clock::time_point started = Clock::now();
};

std::size_t largest_body_limit(const ServerOptions& options) {
  std::size_t largest = options.max_body_bytes;
  for (const auto& route : options.route_body_limits) {
    largest = std::max(largest, route.max_body_bytes);
  }
  return largest;
}

std::size_t route_body_limit(const ServerOptions& options,
                             const bhttp::request<bhttp::string_body>& message) {
  const auto method = method_from_string(view(message.method_string()));
  const auto target = view(message.target());
  const auto path = target.substr(0, target.find('?'));
  for (const auto& route : options.route_body_limits) {
    if (method == route.method && path == route.path) return route.max_body_bytes;
  }
  return options.max_body_bytes;
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions server_options, const Router& request_router, Metrics& server_metrics)
      : options(std::move(server_options)),
        router(request_router),
        metrics(server_metrics),
        control(asio::make_strand(ioc)),
        acceptor(control),
        drain_timer(control),
        access_log(access_logger()) {
    metrics.describe("http_requests_total", "counter",
                     "HTTP requests by method, route pattern and status.");
    metrics.describe("http_request_duration_seconds", "histogram",
                     "Time from the start of a request to the end of its response (event streams: "
                     "to their end), by method and route pattern.",
                     Metrics::latency_buckets());
  }

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(std::shared_ptr<Connection> connection);
  asio::awaitable<bool> serve_one(Connection& connection, beast::flat_buffer& buffer);
  asio::awaitable<void> reject(Connection& connection, beast::flat_buffer& buffer,
                               Exchange& exchange, const Error& error);
  asio::awaitable<void> stream_events(Connection& connection, Response& response,
                                      Exchange& exchange);
  asio::awaitable<Response> await_deferred(Connection& connection,
                                           std::shared_ptr<DeferredResponse> deferred);
  asio::awaitable<bool> write_all(Connection& connection, const std::string& data);
  void record(const Exchange& exchange);
  void begin_drain();
  void close_all();

  ServerOptions options;
  const Router& router;
  Metrics& metrics;
  asio::io_context ioc;
  asio::any_io_executor control;  // strand of the acceptor and the drain timer
  tcp::acceptor acceptor;
  asio::steady_timer drain_timer;
  std::shared_ptr<spdlog::logger> access_log;
  std::vector<std::thread> threads;
  std::atomic<bool> started{false};
  std::atomic<bool> stopping{false};
  std::atomic<unsigned short> bound_port{0};
  std::mutex connections_mutex;
  std::set<std::shared_ptr<Connection>> connections;
};

void Server::Impl::record(const Exchange& exchange) {
  const double seconds = std::chrono::duration<double>(Clock::now() - exchange.started).count();
  const std::string status = std::to_string(exchange.status);
  metrics.increment("http_requests_total",
                    {{"method", exchange.method}, {"route", exchange.route}, {"status", status}});
  metrics.observe("http_request_duration_seconds",
                  {{"method", exchange.method}, {"route", exchange.route}}, seconds);

  // With the level above info (e.g. --log-level warn) the line would be built only to be
  // dropped: building it was a measurable share of a small request.
  if (!access_log->should_log(spdlog::level::info)) return;
  JsonWriter line;
  line.begin_object();
  line.key("ts");
  line.value(utc_timestamp());
  line.key("level");
  line.value("info");
  line.key("msg");
  line.value("request");
  line.key("request_id");
  line.value(exchange.request_id);
  line.key("method");
  line.value(exchange.method);
  line.key("path");
  line.value(exchange.path);
  line.key("route");
  line.value(exchange.route);
  line.key("status");
  line.value(exchange.status);
  line.key("bytes");
  line.value(exchange.bytes);
  line.key("duration_ms");
  line.value(std::round(seconds * 1e6) / 1e3);
  line.key("remote");
  line.value(exchange.remote);
  line.end_object();
  access_log->info(line.str());
}

asio::awaitable<void> Server::Impl::accept_loop() {
  asio::steady_timer retry(control);
  for (;;) {
    error_code ec;
    asio::any_io_executor strand = asio::make_strand(ioc);
    tcp::socket socket = co_await acceptor.async_accept(strand, redirect(ec));
    if (stopping || ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      spdlog::warn("http: accept failed: {}", ec.message());
      retry.expires_after(kAcceptRetryDelay);
      co_await retry.async_wait(redirect(ec));
      continue;
    }
    const auto endpoint = socket.remote_endpoint(ec);
    std::string remote = ec ? std::string() : endpoint.address().to_string();
    const auto local_endpoint = socket.local_endpoint(ec);
    std::string local = ec ? std::string() : host_and_port(local_endpoint);
    auto connection =
        std::make_shared<Connection>(std::move(socket), std::move(remote), std::move(local));
    {
      std::lock_guard lock(connections_mutex);
      connections.insert(connection);
    }
    auto executor = connection->stream.get_executor();
    asio::co_spawn(executor, serve(std::move(connection)), [](std::exception_ptr error) {
      if (!error) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        spdlog::error("http: connection failed: {}", e.what());
      }
    });
  }
}

asio::awaitable<void> Server::Impl::serve(std::shared_ptr<Connection> connection) {
  beast::flat_buffer buffer;
  bool first = true;
  try {
    // A stop request sets `stopping` before it visits the connections, and the check below runs
    // on the strand: a connection either sees the flag here or is idle when the visit comes.
    while (!stopping) {
      if (buffer.size() == 0) {
        error_code ec;
        connection->idle = true;
        connection->stream.expires_after(first ? options.header_timeout : options.idle_timeout);
        const auto n =
            co_await connection->stream.async_read_some(buffer.prepare(kReadChunk), redirect(ec));
        connection->idle = false;
        if (ec) break;
        buffer.commit(n);
      }
      first = false;
      if (!co_await serve_one(*connection, buffer)) break;
    }
  } catch (const std::exception& e) {
    spdlog::error("http: connection from {} failed: {}", connection->remote, e.what());
  }

  error_code ignored;
  connection->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  connection->stream.close();
  bool last = false;
  {
    std::lock_guard lock(connections_mutex);
    connections.erase(connection);
    last = connections.empty();
  }
  if (last && stopping) asio::post(control, [this] { drain_timer.cancel(); });
}

// Reads one request, routes it and writes the response. Returns whether the connection stays
// open for another request.
asio::awaitable<bool> Server::Impl::serve_one(Connection& connection, beast::flat_buffer& buffer) {
  auto& stream = connection.stream;
  Exchange exchange;
  exchange.remote = connection.remote;
  error_code ec;

  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  // The parser checks a Content-Length against the limit while it reads the headers, before the
  // route is known: it gets the largest limit, and the route's own is applied once they are in.
  parser.body_limit(largest_body_limit(options));
  std::size_t body_limit = options.max_body_bytes;
  stream.expires_after(options.header_timeout);
  co_await bhttp::async_read_header(stream, buffer, parser, redirect(ec));
  if (!ec && !parser.is_done()) {
    body_limit = route_body_limit(options, parser.get());
    parser.body_limit(body_limit);
    const auto length = parser.content_length();
    if (length && *length > body_limit) ec = bhttp::error::body_limit;
  }
  if (!ec && !parser.is_done()) {
    if (iequals(view(parser.get()[bhttp::field::expect]), "100-continue")) {
      // The client waits for this before it sends the body.
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      if (!co_await write_all(connection, kContinue)) co_return false;
    }
    stream.expires_after(options.header_timeout);
    co_await bhttp::async_read(stream, buffer, parser, redirect(ec));
  }
  if (ec) {
    exchange.request_id = random_hex(kRequestIdBytes);
    // Whatever of the request line was parsed (the limits can stop the parser just after it).
    if (const auto method = method_from_string(view(parser.get().method_string()))) {
      exchange.method = to_string(*method);
    }
    const auto target = view(parser.get().target());
    exchange.path = std::string(target.substr(0, target.find('?')));
    if (ec == bhttp::error::body_limit) {
      co_await reject(
          connection, buffer, exchange,
          Error(ErrorCode::payload_too_large,
                fmt::format("the request body is over the limit of {} bytes", body_limit)));
    } else if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      co_await reject(connection, buffer, exchange,
                      Error(ErrorCode::invalid_argument,
                            fmt::format("the request headers are over the limit of {} bytes",
                                        options.max_header_bytes)));
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
               ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      co_await reject(
          connection, buffer, exchange,
          Error(ErrorCode::invalid_argument, "malformed HTTP request: " + ec.message()));
    }
    // Otherwise the client went away or was too slow: nobody to answer.
    co_return false;
  }

  auto& message = parser.get();
  Request request;
  const auto incoming_id = view(message["X-Request-Id"]);
  request.request_id =
      valid_request_id(incoming_id) ? std::string(incoming_id) : random_hex(kRequestIdBytes);
  request.remote_address = connection.remote;
  request.local_address = connection.local;
  request.target = std::string(message.target());
  const auto query_start = request.target.find('?');
  exchange.request_id = request.request_id;
  exchange.path = request.target.substr(0, query_start);

  Response response;
  const auto method = method_from_string(view(message.method_string()));
  try {
    if (!method) {
      throw Error(ErrorCode::method_not_allowed,
                  "method " + std::string(message.method_string()) + " is not supported");
    }
    request.method = *method;
    exchange.method = to_string(*method);
    if (request.target.empty() || request.target.front() != '/') {
      throw Error(ErrorCode::invalid_argument, "the request target must be a path", "path");
    }
    auto path = percent_decode(exchange.path);
    if (!path) {
      throw Error(ErrorCode::invalid_argument, "malformed percent-encoding in the path", "path");
    }
    request.path = std::move(*path);
    if (query_start != std::string::npos) {
      request.query = parse_query(std::string_view(request.target).substr(query_start + 1));
    }
    for (const auto& field : message) {
      request.headers.emplace_back(lower(view(field.name_string())), std::string(field.value()));
    }
    request.body = std::move(message.body());
    response = router.handle(request);
  } catch (const Error& error) {
    // The request never reached the router: answer as the router would.
    response = error_response(error);
    response.set_header("X-Request-Id", request.request_id);
    router.finish(request, response);
  }
  if (!request.route.empty()) exchange.route = request.route;
  if (response.deferred) {
    response = co_await await_deferred(connection, std::move(response.deferred));
    response.set_header("X-Request-Id", request.request_id);
    router.finish(request, response);
  }

  const bool keep_alive = message.keep_alive() && !stopping;
  if (response.events) {
    exchange.status = response.status;
    co_await stream_events(connection, response, exchange);
    co_return false;
  }

  bhttp::response<bhttp::string_body> out;
  out.version(message.version());
  out.result(response.status);
  for (const auto& [name, value] : response.headers) {
    if (safe_header(name) && safe_header(value)) {
      out.insert(name, value);
    } else {
      spdlog::warn("http: dropped a response header containing CR, LF or NUL (request id {})",
                   request.request_id);
    }
  }
  const bool bodiless =
      response.status / 100 == 1 || response.status == 204 || response.status == 304;
  if (request.method == Method::HEAD || bodiless) {
    // HEAD keeps the Content-Length the router set for the full body; these statuses have none.
    if (bodiless) out.erase(bhttp::field::content_length);
  } else {
    out.body() = std::move(response.body);
    out.content_length(out.body().size());
  }
  out.keep_alive(keep_alive);

  stream.expires_after(kWriteTimeout);
  co_await bhttp::async_write(stream, out, redirect(ec));
  exchange.status = response.status;
  exchange.bytes = out.body().size();
  record(exchange);
  co_return keep_alive && !ec;
}

// Answers a request that could not be read (malformed, too large), then lets the connection
// close gracefully.
asio::awaitable<void> Server::Impl::reject(Connection& connection, beast::flat_buffer& buffer,
                                           Exchange& exchange, const Error& error) {
  auto response = error_response(error);
  bhttp::response<bhttp::string_body> out;
  out.version(11);
  out.result(response.status);
  for (const auto& [name, value] : response.headers) out.insert(name, value);
  out.set("X-Request-Id", exchange.request_id);
  out.set("X-Content-Type-Options", "nosniff");  // as on every response (SecurityHeaders)
  out.body() = std::move(response.body);
  out.content_length(out.body().size());
  out.keep_alive(false);

  auto& stream = connection.stream;
  error_code ec;
  stream.expires_after(kWriteTimeout);
  co_await bhttp::async_write(stream, out, redirect(ec));
  exchange.status = response.status;
  exchange.bytes = out.body().size();
  record(exchange);
  if (ec) co_return;

  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(kLingerTimeout);
  std::size_t drained = 0;
  buffer.clear();
  while (!ec && drained < kLingerBytes) {
    const auto n = co_await stream.async_read_some(buffer.prepare(kReadChunk), redirect(ec));
    drained += n;
  }
}

asio::awaitable<bool> Server::Impl::write_all(Connection& connection, const std::string& data) {
  error_code ec;
  connection.stream.expires_after(kWriteTimeout);
  co_await asio::async_write(connection.stream, asio::buffer(data), redirect(ec));
  co_return !ec;
}

asio::awaitable<void> Server::Impl::stream_events(Connection& connection, Response& response,
                                                  Exchange& exchange) {
  auto& stream = connection.stream;
  auto channel = std::move(response.events);

  bhttp::response<bhttp::empty_body> head;
  head.version(11);
  head.result(response.status);
  for (const auto& [name, value] : response.headers) {
    if (safe_header(name) && safe_header(value)) head.insert(name, value);
  }
  head.set(bhttp::field::content_type, "text/event-stream");
  head.set(bhttp::field::cache_control, "no-cache");
  head.set("X-Accel-Buffering", "no");  // nginx: pass events through unbuffered
  // No Content-Length and no chunking: the stream ends when the connection closes.
  head.keep_alive(false);

  error_code ec;
  bhttp::response_serializer<bhttp::empty_body> serializer(head);
  stream.expires_after(kWriteTimeout);
  co_await bhttp::async_write_header(stream, serializer, redirect(ec));

  asio::steady_timer timer(stream.get_executor());
  auto waker = std::make_shared<SseWaker>(stream.get_executor(), timer);
  if (!ec) {
    connection.sse_timer = &timer;
    waker->watch_peer(stream.socket());
    channel->set_waker([waker] { waker->wake(); });
  }
  bool delivered = !ec;
  while (delivered && !stopping && !waker->gone()) {
    bool closed = false;
    const auto events = channel->take(closed);
    if (!events.empty()) {
      std::string chunk;
      for (const auto& event : events) chunk += format_sse(event);
      delivered = co_await write_all(connection, chunk);
      exchange.bytes += chunk.size();
      continue;  // more may have come meanwhile; the closed flag is read again with them
    }
    if (closed) break;
    timer.expires_after(options.sse_heartbeat);
    co_await timer.async_wait(redirect(ec));
    if (!ec) {  // idle for a whole period, not woken up
      static const std::string kHeartbeat = ": keep-alive\n\n";
      delivered = co_await write_all(connection, kHeartbeat);
      exchange.bytes += kHeartbeat.size();
    }
  }

  waker->deactivate();
  connection.sse_timer = nullptr;
  channel->set_waker(nullptr);
  // Whatever ended the stream, the producer can let go now.
  channel->disconnected();
  record(exchange);
}

// Waits, without holding a thread, until the producer resolves the response; then makes it here.
// A server that stops meanwhile answers 503 (the work the request started goes on without it).
asio::awaitable<Response> Server::Impl::await_deferred(Connection& connection,
                                                       std::shared_ptr<DeferredResponse> deferred) {
  asio::steady_timer timer(connection.stream.get_executor());
  auto waker = std::make_shared<SseWaker>(connection.stream.get_executor(), timer);
  connection.sse_timer = &timer;
  deferred->set_waker([waker] { waker->wake(); });
  std::optional<DeferredResponse::Finish> finish;
  error_code ec;
  while (!(finish = deferred->take()) && !stopping) {
    timer.expires_after(options.sse_heartbeat);
    co_await timer.async_wait(redirect(ec));
    if (!ec) deferred->poll();  // idle for a whole period, not woken up
  }
  waker->deactivate();
  connection.sse_timer = nullptr;
  deferred->set_waker(nullptr);
  if (!finish) {
    deferred->abandon();
    co_return error_response(Error(ErrorCode::unavailable,
                                   "the server is shutting down; the work this request started "
                                   "goes on: look for its result later"));
  }
  try {
    co_return (*finish)();
  } catch (const Error& e) {
    co_return error_response(e);
  } catch (const std::exception& e) {
    spdlog::error("http: a deferred response failed: {}", e.what());
    co_return error_response(Error(ErrorCode::internal, "internal error"));
  }
}

void Server::Impl::begin_drain() {
  error_code ignored;
  acceptor.close(ignored);
  {
    std::lock_guard lock(connections_mutex);
    if (connections.empty()) return;
  }
  drain_timer.expires_after(kDrainTimeout);
  drain_timer.async_wait([this](error_code ec) {
    if (!ec) close_all();
  });
}

void Server::Impl::close_all() {
  std::lock_guard lock(connections_mutex);
  if (!connections.empty()) {
    spdlog::warn("http: closing {} connections still busy after the drain timeout",
                 connections.size());
  }
  for (const auto& connection : connections) {
    asio::post(connection->stream.get_executor(), [connection] {
      connection->stream.close();
      if (connection->sse_timer) connection->sse_timer->cancel();
    });
  }
}

Server::Server(ServerOptions options, const Router& router, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}

Server::~Server() {
  stop();
  wait();
}

void Server::start() {
  auto& impl = *impl_;
  if (impl.started.exchange(true) || impl.stopping) {
    throw Error(ErrorCode::internal, "the HTTP server can be started once only");
  }
  error_code ec;
  const auto address = asio::ip::make_address(impl.options.address, ec);
  if (ec) {
    throw Error(ErrorCode::invalid_argument,
                "not an IP address to listen on: " + impl.options.address, "address");
  }
  const tcp::endpoint endpoint(address, impl.options.port);
  const auto where = fmt::format("{}:{}", impl.options.address, impl.options.port);
  impl.acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl.acceptor.bind(endpoint, ec);
  if (ec == asio::error::address_in_use) {
    throw Error(ErrorCode::unavailable,
                "port in use: cannot listen on " + where +
                    " because another process is listening there; stop it or choose another port");
  }
  if (!ec) impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw Error(ErrorCode::unavailable, "cannot listen on " + where + ": " + ec.message());
  impl.bound_port = impl.acceptor.local_endpoint().port();

  asio::co_spawn(impl.control, impl.accept_loop(), [](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("http: accept loop failed: {}", e.what());
    }
  });
  const int count = impl.options.threads > 0
                        ? impl.options.threads
                        : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  for (int i = 0; i < count; ++i) {
    impl.threads.emplace_back([&impl] { impl.ioc.run(); });
  }
}

unsigned short Server::port() const { return impl_->bound_port; }

void Server::stop() {
  auto& impl = *impl_;
  if (impl.stopping.exchange(true)) return;
  asio::post(impl.control, [&impl] { impl.begin_drain(); });
  std::lock_guard lock(impl.connections_mutex);
  for (const auto& connection : impl.connections) {
    asio::post(connection->stream.get_executor(), [connection] {
      if (connection->idle) connection->stream.cancel();
      if (connection->sse_timer) connection->sse_timer->cancel();
    });
  }
}

void Server::wait() {
  for (auto& thread : impl_->threads) {
    if (thread.joinable()) thread.join();
  }
}

}  // namespace rendermart::http
