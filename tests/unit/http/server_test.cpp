#include "http/server.hpp"

// Boost 1.74's asio/awaitable.hpp needs <utility> first (g++ 12).
#include <utility>

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "core/error.hpp"

namespace rendermart::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// Every client operation gives up after this long, so that a server bug fails the test instead
// of hanging it.
constexpr auto kClientTimeout = std::chrono::seconds(5);

// A minimal blocking HTTP client over Beast's async operations with timeouts.
class TestClient {
 public:
  explicit TestClient(unsigned short port) : stream_(ioc_) {
    beast::error_code ec;
    stream_.expires_after(kClientTimeout);
    stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                          [&](beast::error_code e) { ec = e; });
    run();
    if (ec) throw std::runtime_error("connect: " + ec.message());
  }

  void send(const std::string& data) {
    beast::error_code ec;
    stream_.expires_after(kClientTimeout);
    asio::async_write(stream_, asio::buffer(data),
                      [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    if (ec) throw std::runtime_error("write: " + ec.message());
  }

  // extra_headers: complete lines, each ending in CRLF. A body gets its Content-Length.
  bhttp::response<bhttp::string_body> request(const std::string& method, const std::string& target,
                                              const std::string& extra_headers = {},
                                              const std::string& body = {}) {
    const auto length =
        body.empty() ? std::string() : "Content-Length: " + std::to_string(body.size()) + "\r\n";
    send(method + " " + target + " HTTP/1.1\r\nHost: test\r\n" + extra_headers + length + "\r\n" +
         body);
    return read_response(method == "HEAD");
  }

  bhttp::response<bhttp::string_body> read_response(bool head_request = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(head_request);
    beast::error_code ec;
    stream_.expires_after(kClientTimeout);
    bhttp::async_read(stream_, buffer_, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    if (ec) throw std::runtime_error("read: " + ec.message());
    return parser.release();
  }

  // Everything received so far, once it contains `marker`.
  std::string read_until(const std::string& marker) {
    for (;;) {
      auto text = beast::buffers_to_string(buffer_.data());
      if (text.find(marker) != std::string::npos) return text;
      if (read_some()) throw std::runtime_error("closed before \"" + marker + "\": " + text);
    }
  }

  // Everything received until the server closed the connection.
  std::string read_to_eof() {
    while (!read_some()) {
    }
    return beast::buffers_to_string(buffer_.data());
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  // Reads more into the buffer; true at end of stream.
  bool read_some() {
    beast::error_code ec;
    std::size_t n = 0;
    stream_.expires_after(kClientTimeout);
    stream_.async_read_some(buffer_.prepare(4096), [&](beast::error_code e, std::size_t size) {
      ec = e;
      n = size;
    });
    run();
    buffer_.commit(n);
    if (ec == asio::error::eof || ec == asio::error::connection_reset) return true;
    if (ec) throw std::runtime_error("read: " + ec.message());
    return false;
  }

  void run() {
    ioc_.restart();
    ioc_.run();
  }

  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

// Hands a value from a handler thread to the test thread.
template <class T>
class Slot {
 public:
  void put(T value) {
    std::lock_guard lock(mutex_);
    value_ = std::move(value);
    ready_.notify_all();
  }
  T take() {
    std::unique_lock lock(mutex_);
    if (!ready_.wait_for(lock, kClientTimeout, [&] { return value_.has_value(); })) {
      throw std::runtime_error("timed out waiting for the handler");
    }
    return *value_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::optional<T> value_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router.add(Method::GET, "/hello", [](Request& request) {
      auto response = json_response(200, "{\"hello\":\"world\"}");
      response.set_header("X-Remote", request.remote_address);
      return response;
    });
    router.add(Method::POST, "/echo", [](Request& request) {
      Response response;
      response.body = request.body;
      return response;
    });
    router.add(Method::GET, "/inspect/{name}", [](Request& request) {
      nlohmann::json out = {{"path", request.path},
                            {"name", request.param("name")},
                            {"q", request.query_param("q").value_or("")},
                            {"agent", request.header("user-agent").value_or("")},
                            {"id", request.request_id}};
      return json_response(200, out.dump());
    });
    router.add(Method::GET, "/slow", [this](Request&) {
      slow_entered.put(true);
      std::this_thread::sleep_for(300ms);
      Response response;
      response.body = "slow done";
      return response;
    });
    router.add(Method::GET, "/later", [this](Request&) {
      auto deferred = std::make_shared<DeferredResponse>();
      deferreds.put(deferred);
      Response response;
      response.deferred = deferred;
      return response;
    });
    router.add(Method::GET, "/events", [this](Request&) {
      auto channel = std::make_shared<SseChannel>();
      channels.put(channel);
      Response response;
      response.events = channel;
      return response;
    });
  }

  void start(ServerOptions options = {}) {
    options.port = 0;
    options.threads = 2;
    server = std::make_unique<Server>(options, router, metrics);
    server->start();
  }

  void TearDown() override {
    if (server) {
      server->stop();
      server->wait();
    }
  }

  Router router;
  Metrics metrics;
  std::unique_ptr<Server> server;
  Slot<bool> slow_entered;
  Slot<std::shared_ptr<SseChannel>> channels;
  Slot<std::shared_ptr<DeferredResponse>> deferreds;
};

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  start();
  ASSERT_NE(server->port(), 0);
  TestClient client(server->port());
  auto first = client.request("GET", "/hello");
  EXPECT_EQ(first.result_int(), 200U);
  EXPECT_EQ(first.body(), "{\"hello\":\"world\"}");
  EXPECT_TRUE(first.keep_alive());
  EXPECT_EQ(first["X-Remote"], "127.0.0.1");
  EXPECT_EQ(first["Content-Type"], "application/json");

  auto second = client.request("POST", "/echo", {}, "hello");
  EXPECT_EQ(second.result_int(), 200U);
  EXPECT_EQ(second.body(), "hello");
}

TEST_F(ServerTest, BuildsRequestsFromTheWire) {
  start();
  TestClient client(server->port());
  auto response = client.request("GET", "/inspect/a%20b?q=red+fox%21",
                                 "User-Agent: Test/1\r\nX-Request-Id: abc.DEF_1-2\r\n");
  ASSERT_EQ(response.result_int(), 200U);
  const auto body = nlohmann::json::parse(response.body());
  EXPECT_EQ(body["path"], "/inspect/a b");
  EXPECT_EQ(body["name"], "a b");
  EXPECT_EQ(body["q"], "red fox!");
  EXPECT_EQ(body["agent"], "Test/1");
  EXPECT_EQ(body["id"], "abc.DEF_1-2");
  EXPECT_EQ(response["X-Request-Id"], "abc.DEF_1-2");

  // An unsafe incoming id is replaced by a fresh one.
  response = client.request("GET", "/inspect/x", "X-Request-Id: bad id!\r\n");
  const auto id = std::string(response["X-Request-Id"]);
  EXPECT_EQ(id.size(), 16U);
  EXPECT_NE(id, "bad id!");
}

TEST_F(ServerTest, HeadSendsHeadersOnlyAndKeepsTheConnection) {
  start();
  TestClient client(server->port());
  auto head = client.request("HEAD", "/hello");
  EXPECT_EQ(head.result_int(), 200U);
  EXPECT_EQ(head[bhttp::field::content_length], "17");
  EXPECT_TRUE(head.body().empty());
  // Had a body been sent, it would be read as the next response.
  auto next = client.request("GET", "/hello");
  EXPECT_EQ(next.body(), "{\"hello\":\"world\"}");
}

TEST_F(ServerTest, UnknownRouteIs404Json) {
  start();
  TestClient client(server->port());
  auto response = client.request("GET", "/missing");
  EXPECT_EQ(response.result_int(), 404U);
  EXPECT_EQ(nlohmann::json::parse(response.body())["error"]["code"], "not_found");
  EXPECT_TRUE(response.keep_alive());
}

TEST_F(ServerTest, BodyOverLimitIs413ThenClose) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  start(options);
  TestClient client(server->port());
  client.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 4096\r\n\r\n" +
              std::string(4096, 'x'));
  auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 413U);
  EXPECT_EQ(nlohmann::json::parse(response.body())["error"]["code"], "payload_too_large");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(client.read_to_eof(), "");

  // A body within the limit is fine on a new connection.
  TestClient other(server->port());
  EXPECT_EQ(other.request("POST", "/echo", {}, "abc").body(), "abc");
}

TEST_F(ServerTest, ChunkedBodyOverLimitIs413) {
  ServerOptions options;
  options.max_body_bytes = 16;
  start(options);
  TestClient client(server->port());
  client.send(
      "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
      "20\r\n01234567890123456789012345678901\r\n0\r\n\r\n");
  EXPECT_EQ(client.read_response().result_int(), 413U);
}

TEST_F(ServerTest, ARouteMayTakeLargerBodiesThanTheRest) {
  ServerOptions options;
  options.max_body_bytes = 16;
  options.route_body_limits = {{Method::POST, "/echo", 4096}};
  start(options);
  const std::string large(1000, 'x');
  TestClient client(server->port());
  EXPECT_EQ(client.request("POST", "/echo?q=1", {}, large).body(), large);
  // Over the route's own limit, by Content-Length and chunked.
  TestClient over(server->port());
  over.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5000\r\n\r\n");
  EXPECT_EQ(over.read_response().result_int(), 413U);
  TestClient chunked(server->port());
  chunked.send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n1400\r\n" +
               std::string(5120, 'y') + "\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.read_response().result_int(), 413U);
  // Every other route keeps the server's limit.
  TestClient other(server->port());
  EXPECT_EQ(other.request("PUT", "/echo", {}, large).result_int(), 413U);
}

TEST_F(ServerTest, ExpectContinueIsHonoured) {
  start();
  TestClient client(server->port());
  client.send(
      "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n"
      "Expect: 100-continue\r\n\r\n");
  EXPECT_NE(client.read_until("\r\n\r\n").find("100 Continue"), std::string::npos);
  client.send("ok");
  // The interim response is still buffered and parses as a message of its own.
  auto interim = client.read_response();
  EXPECT_EQ(interim.result_int(), 100U);
  EXPECT_EQ(client.read_response().body(), "ok");
}

TEST_F(ServerTest, GarbageIs400AndTheServerGoesOn) {
  start();
  {
    TestClient client(server->port());
    client.send("THIS IS NOT HTTP\r\n\r\n");
    auto response = client.read_response();
    EXPECT_EQ(response.result_int(), 400U);
    EXPECT_EQ(nlohmann::json::parse(response.body())["error"]["code"], "invalid_argument");
    EXPECT_FALSE(response.keep_alive());
    EXPECT_EQ(client.read_to_eof(), "");
  }
  TestClient next(server->port());
  EXPECT_EQ(next.request("GET", "/hello").result_int(), 200U);
}

TEST_F(ServerTest, HeadersOverLimitAre400) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  start(options);
  TestClient client(server->port());
  client.send("GET /hello HTTP/1.1\r\nHost: test\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
  EXPECT_EQ(client.read_response().result_int(), 400U);
}

TEST_F(ServerTest, UnsupportedMethodIs405AndMalformedEncodingIs400) {
  start();
  TestClient client(server->port());
  EXPECT_EQ(client.request("TRACE", "/hello").result_int(), 405U);
  EXPECT_EQ(client.request("GET", "/inspect/x?q=%zz").result_int(), 400U);
  EXPECT_EQ(client.request("GET", "/hello").result_int(), 200U);  // still the same connection
}

TEST_F(ServerTest, RecordsMetrics) {
  start();
  TestClient client(server->port());
  client.request("GET", "/hello");
  client.request("GET", "/inspect/abc");
  client.request("GET", "/missing");
  const std::vector<std::string> expected = {
      "http_requests_total{method=\"GET\",route=\"/hello\",status=\"200\"} 1\n",
      "http_requests_total{method=\"GET\",route=\"/inspect/{name}\",status=\"200\"} 1\n",
      "http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1\n",
      "http_request_duration_seconds_count{method=\"GET\",route=\"/hello\"} 1\n",
  };
  // The server records an exchange after its response is written, so the client may be first.
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + kClientTimeout;
  auto all_present = [&] {
    text = metrics.render();
    return std::all_of(expected.begin(), expected.end(), [&](const std::string& line) {
      return text.find(line) != std::string::npos;
    });
  };
  while (!all_present() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  for (const auto& line : expected) EXPECT_NE(text.find(line), std::string::npos) << line << text;
}

TEST_F(ServerTest, PortInUseIsAClearError) {
  start();
  ServerOptions options;
  options.port = server->port();
  Server second(options, router, metrics);
  try {
    second.start();
    FAIL() << "expected the second server to fail";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::unavailable);
    EXPECT_NE(std::string(error.what()).find("port in use"), std::string::npos) << error.what();
  }
}

// --- Server-Sent Events ----------------------------------------------------------------------

TEST_F(ServerTest, EventStreamDeliversPushedEventsInOrderAndEndsWhenClosed) {
  start();
  TestClient client(server->port());
  client.send("GET /events HTTP/1.1\r\nHost: test\r\n\r\n");
  auto channel = channels.take();
  bool disconnected = false;
  channel->set_on_disconnect([&] { disconnected = true; });
  const auto head = client.read_until("\r\n\r\n");
  EXPECT_NE(head.find("HTTP/1.1 200"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos) << head;
  EXPECT_NE(head.find("Cache-Control: no-cache"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Accel-Buffering: no"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Request-Id: "), std::string::npos) << head;

  channel->push({"progress", "{\"step\":1}", "1"});
  client.read_until("step\":1");
  channel->push({"progress", "{\"step\":2}", "2"});
  channel->push({"done", "{\"ok\":true}", "3"});
  channel->close();
  const auto all = client.read_to_eof();
  const auto body = all.substr(all.find("\r\n\r\n") + 4);
  EXPECT_EQ(body,
            "event: progress\nid: 1\ndata: {\"step\":1}\n\n"
            "event: progress\nid: 2\ndata: {\"step\":2}\n\n"
            "event: done\nid: 3\ndata: {\"ok\":true}\n\n");
  server->stop();
  server->wait();
  EXPECT_TRUE(disconnected);
}

TEST_F(ServerTest, EventsPushedBeforeTheStreamStartsAreDelivered) {
  router.add(Method::GET, "/ready", [](Request&) {
    auto channel = std::make_shared<SseChannel>();
    channel->push({"", "early", ""});
    channel->close();
    Response response;
    response.events = channel;
    return response;
  });
  start();
  TestClient client(server->port());
  client.send("GET /ready HTTP/1.1\r\nHost: test\r\n\r\n");
  const auto all = client.read_to_eof();
  EXPECT_NE(all.find("\r\n\r\ndata: early\n\n"), std::string::npos) << all;
}

TEST_F(ServerTest, EventStreamSendsHeartbeatsWhenIdle) {
  ServerOptions options;
  options.sse_heartbeat = 1s;
  start(options);
  TestClient client(server->port());
  client.send("GET /events HTTP/1.1\r\nHost: test\r\n\r\n");
  auto channel = channels.take();
  EXPECT_NE(client.read_until(": keep-alive\n\n").find(": keep-alive\n\n"), std::string::npos);
  channel->close();
}

TEST_F(ServerTest, ClientDisconnectRunsTheHook) {
  start();
  auto client = std::make_unique<TestClient>(server->port());
  client->send("GET /events HTTP/1.1\r\nHost: test\r\n\r\n");
  auto channel = channels.take();
  std::promise<void> gone;
  channel->set_on_disconnect([&] { gone.set_value(); });
  client->read_until("\r\n\r\n");
  client->close();
  EXPECT_EQ(gone.get_future().wait_for(kClientTimeout), std::future_status::ready);
  channel->push({"", "after", ""});  // harmless once the stream ended
}

TEST_F(ServerTest, StopEndsEventStreams) {
  start();
  TestClient client(server->port());
  client.send("GET /events HTTP/1.1\r\nHost: test\r\n\r\n");
  auto channel = channels.take();
  std::promise<void> gone;
  channel->set_on_disconnect([&] { gone.set_value(); });
  client.read_until("\r\n\r\n");
  const auto started = std::chrono::steady_clock::now();
  server->stop();
  server->wait();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_EQ(gone.get_future().wait_for(0s), std::future_status::ready);
  client.read_to_eof();
}

// --- Deferred responses ------------------------------------------------------------------------

TEST_F(ServerTest, DeferredResponseIsWrittenWhenResolvedWithoutHoldingAThread) {
  ServerOptions options;
  options.threads = 1;
  options.port = 0;
  server = std::make_unique<Server>(options, router, metrics);
  server->start();
  TestClient waiting(server->port());
  waiting.send("GET /later HTTP/1.1\r\nHost: test\r\n\r\n");
  auto deferred = deferreds.take();
  // With one server thread, another request is served while the first one waits.
  TestClient other(server->port());
  EXPECT_EQ(other.request("GET", "/hello").result_int(), 200U);

  std::thread producer([deferred] {
    std::this_thread::sleep_for(50ms);
    deferred->resolve([] { return json_response(201, "{\"done\":true}"); });
  });
  auto response = waiting.read_response();
  producer.join();
  EXPECT_EQ(response.result_int(), 201U);
  EXPECT_EQ(response.body(), "{\"done\":true}");
  EXPECT_FALSE(response["X-Request-Id"].empty());
  EXPECT_TRUE(response.keep_alive());
  EXPECT_EQ(waiting.request("GET", "/hello").result_int(), 200U);
}

TEST_F(ServerTest, DeferredResponseResolvedBeforeTheServerWaitsAndFailingFinishIs500) {
  router.add(Method::GET, "/ready", [](Request&) {
    auto deferred = std::make_shared<DeferredResponse>();
    deferred->resolve([]() -> Response { throw std::runtime_error("boom"); });
    Response response;
    response.deferred = deferred;
    return response;
  });
  start();
  TestClient client(server->port());
  auto response = client.request("GET", "/ready");
  EXPECT_EQ(response.result_int(), 500U);
  EXPECT_EQ(nlohmann::json::parse(response.body())["error"]["code"], "internal");
}

TEST_F(ServerTest, StopAnswersWaitingDeferredResponsesWith503AndAbandonsThem) {
  start();
  TestClient client(server->port());
  client.send("GET /later HTTP/1.1\r\nHost: test\r\n\r\n");
  auto deferred = deferreds.take();
  std::promise<void> abandoned;
  deferred->set_on_abandon([&] { abandoned.set_value(); });
  server->stop();
  auto response = client.read_response();
  EXPECT_EQ(response.result_int(), 503U);
  EXPECT_EQ(nlohmann::json::parse(response.body())["error"]["code"], "unavailable");
  EXPECT_EQ(abandoned.get_future().wait_for(kClientTimeout), std::future_status::ready);
  deferred->resolve([] { return json_response(200, "{}"); });  // harmless afterwards
}

TEST_F(ServerTest, AnIdleDeferredResponseIsPolledSoALostNotificationOnlyDelaysIt) {
  router.add(Method::GET, "/polled", [](Request&) {
    auto deferred = std::make_shared<DeferredResponse>();
    std::weak_ptr<DeferredResponse> weak = deferred;
    deferred->set_poll([weak] {
      if (auto self = weak.lock())
        self->resolve([] { return json_response(200, "{\"polled\":true}"); });
    });
    Response response;
    response.deferred = deferred;
    return response;
  });
  ServerOptions options;
  options.sse_heartbeat = 1s;
  start(options);
  TestClient client(server->port());
  auto response = client.request("GET", "/polled");
  EXPECT_EQ(response.result_int(), 200U);
  EXPECT_EQ(response.body(), "{\"polled\":true}");
}

TEST(DeferredResponse, WaitForGivesUpUnresolvedThenTakesTheFirstResolution) {
  DeferredResponse deferred;
  EXPECT_FALSE(deferred.wait_for(10ms).has_value());
  std::thread producer([&] {
    std::this_thread::sleep_for(20ms);
    deferred.resolve([] { return json_response(200, "{\"first\":1}"); });
    deferred.resolve([] { return json_response(200, "{\"second\":2}"); });
  });
  const auto response = deferred.wait_for(10s);
  producer.join();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "{\"first\":1}");
  EXPECT_FALSE(deferred.take().has_value());
}

// --- Graceful stop -----------------------------------------------------------------------------

TEST_F(ServerTest, StopLetsInFlightRequestsFinishAndClosesIdleConnections) {
  start();
  TestClient idle(server->port());
  EXPECT_EQ(idle.request("GET", "/hello").result_int(), 200U);

  TestClient busy(server->port());
  busy.send("GET /slow HTTP/1.1\r\nHost: test\r\n\r\n");
  slow_entered.take();
  const auto port = server->port();
  server->stop();

  auto response = busy.read_response();
  EXPECT_EQ(response.result_int(), 200U);
  EXPECT_EQ(response.body(), "slow done");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(idle.read_to_eof(), "");
  server->wait();
  EXPECT_THROW(TestClient refused(port), std::runtime_error);
}

TEST_F(ServerTest, StopWithoutStartAndTwiceIsHarmless) {
  Server never(ServerOptions{}, router, metrics);
  never.stop();
  never.wait();
  start();
  server->stop();
  server->stop();
  server->wait();
}

}  // namespace
}  // namespace rendermart::http
