#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "net/http_client.hpp"
#include "support/local_http_server.hpp"

namespace rendermart::net {
namespace {

using namespace std::chrono_literals;
using testing::LocalHttpServer;
using testing::LocalRequest;
using testing::LocalResponse;

const RetryPolicy quick{
    .max_attempts = 4, .base_delay = 1ms, .max_delay = 10ms, .max_total = 5000ms};

TEST(HttpClient, SendsMethodHeadersAndBodyAndReadsTheAnswer) {
  LocalHttpServer server([](const LocalRequest& request) {
    return LocalResponse{
        201, request.method + ":" + request.body, {{"X-Echo", request.headers.at("x-test")}}};
  });
  const auto response = send({.method = "PUT",
                              .url = server.url() + "/p?q=1",
                              .headers = {{"X-Test", "value"}},
                              .body = "payload"});
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "PUT:payload");
  EXPECT_EQ(response.header("x-echo"), "value");
  const auto request = server.requests().at(0);
  EXPECT_EQ(request.target, "/p?q=1");
  EXPECT_FALSE(request.headers.contains("expect"));
  EXPECT_FALSE(request.headers.contains("content-type"));
}

TEST(HttpClient, RefusedConnectionIsATransportError) {
  std::string url;
  {
    url = LocalHttpServer([](const LocalRequest&) { return LocalResponse{}; }).url();
  }
  EXPECT_THROW(send({.url = url + "/"}), TransportError);
}

TEST(HttpClient, SettingTheCancelFlagAbandonsAnExchangeThatIsWaitingForItsAnswer) {
  LocalHttpServer server([](const LocalRequest&) {
    std::this_thread::sleep_for(3s);
    return LocalResponse{200, "late", {}};
  });
  std::atomic<bool> cancel = false;
  std::thread canceler([&] {
    std::this_thread::sleep_for(100ms);
    cancel = true;
  });
  const auto start = std::chrono::steady_clock::now();
  try {
    send({.url = server.url() + "/", .cancel = &cancel});
    ADD_FAILURE() << "a canceled exchange returned a response";
  } catch (const TransportError& e) {
    EXPECT_TRUE(e.canceled());
    EXPECT_FALSE(e.timed_out());
  }
  // libcurl looks at the flag about once a second; the answer would take 3 s.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  canceler.join();
}

TEST(HttpClient, TheBodyOfASuccessGoesToTheSinkWithTheAnswersStatusAndHeaders) {
  const std::string file(200000, 'x');
  LocalHttpServer server([&](const LocalRequest&) {
    return LocalResponse{200, file, {{"X-Linked-Size", "200000"}}};
  });
  std::string received;
  HttpRequest request{.url = server.url() + "/file"};
  request.body_sink = [&](const HttpResponse& answer, std::string_view piece) {
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.header("x-linked-size"), "200000");
    received.append(piece);
  };
  const auto response = send(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(received, file);
  EXPECT_TRUE(response.body.empty());
}

TEST(HttpClient, TheBodyOfAnErrorIsKeptForItsMessageNotSentToTheSink) {
  LocalHttpServer server([](const LocalRequest&) {
    return LocalResponse{404, "no such file", {{"X-Error-Code", "EntryNotFound"}}};
  });
  HttpRequest request{.url = server.url() + "/file"};
  request.body_sink = [](const HttpResponse&, std::string_view) {
    ADD_FAILURE() << "an error's body went to the sink";
  };
  const auto response = send(request);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, "no such file");
  EXPECT_EQ(response.header("x-error-code"), "EntryNotFound");
}

TEST(HttpClient, WhatTheSinkThrowsAbandonsTheExchangeAndComesOutOfSend) {
  LocalHttpServer server([](const LocalRequest&) { return LocalResponse{200, "bytes", {}}; });
  HttpRequest request{.url = server.url() + "/file"};
  request.body_sink = [](const HttpResponse&, std::string_view) {
    throw std::invalid_argument("not what was asked for");
  };
  EXPECT_THROW(send(request), std::invalid_argument);
}

TEST(HttpClient, ARedirectIsTheAnswerUnlessTheRequestFollowsRedirects) {
  LocalHttpServer server([](const LocalRequest& request) {
    return request.target == "/old" ? LocalResponse{302, "", {{"Location", "/new"}}}
                                    : LocalResponse{200, "moved here", {}};
  });
  const auto kept = send({.url = server.url() + "/old"});
  EXPECT_EQ(kept.status, 302);
  EXPECT_EQ(kept.header("location"), "/new");
  const auto followed = send({.url = server.url() + "/old", .max_redirects = 1});
  EXPECT_EQ(followed.status, 200);
  EXPECT_EQ(followed.body, "moved here");
}

TEST(HttpClient, RedirectsKeepTheAuthorizationOnlyWhileTheOriginIsTheRequestsOwn) {
  LocalHttpServer cdn([](const LocalRequest&) { return LocalResponse{206, "weights", {}}; });
  LocalHttpServer hub([&](const LocalRequest& request) {
    return request.target == "/resolve"
               ? LocalResponse{302, "", {{"Location", "/resolve/again"}}}
               : LocalResponse{302, "", {{"Location", cdn.url() + "/cdn/blob"}}};
  });
  const auto response =
      send({.url = hub.url() + "/resolve",
            .headers = {{"Authorization", "Bearer secret"}, {"Range", "bytes=5-"}},
            .max_redirects = 10});
  EXPECT_EQ(response.status, 206);
  EXPECT_EQ(response.body, "weights");
  const auto at_hub = hub.requests();
  ASSERT_EQ(at_hub.size(), 2u);
  for (const auto& request : at_hub)
    EXPECT_EQ(request.headers.at("authorization"), "Bearer secret");
  const auto at_cdn = cdn.requests().at(0);
  EXPECT_EQ(at_cdn.target, "/cdn/blob");
  EXPECT_FALSE(at_cdn.headers.contains("authorization"));
  EXPECT_EQ(at_cdn.headers.at("range"), "bytes=5-");
}

TEST(HttpClient, MoreRedirectsThanTheRequestFollowsIsATransportError) {
  LocalHttpServer server([](const LocalRequest&) {
    return LocalResponse{302, "", {{"Location", "/loop"}}};
  });
  try {
    send({.url = server.url() + "/loop", .max_redirects = 3});
    ADD_FAILURE() << "a redirect loop returned a response";
  } catch (const TransportError& e) {
    EXPECT_FALSE(e.canceled());
    EXPECT_FALSE(e.timed_out());
    EXPECT_NE(std::string(e.what()).find("more than 3 redirects"), std::string::npos);
  }
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(HttpClient, AnExchangeThatStallsTimesOutWithoutAnOverallTimeout) {
  LocalHttpServer server([](const LocalRequest&) {
    std::this_thread::sleep_for(3s);
    return LocalResponse{200, "late", {}};
  });
  try {
    send({.url = server.url() + "/", .timeout = 0ms, .stall_timeout = 1s});
    ADD_FAILURE() << "a stalled exchange returned a response";
  } catch (const TransportError& e) {
    EXPECT_TRUE(e.timed_out());
    EXPECT_FALSE(e.canceled());
  }
}

TEST(Retry, ServerErrorsAndTooManyRequestsAreBusy) {
  EXPECT_TRUE(is_busy({500, {}, ""}));
  EXPECT_TRUE(is_busy({503, {}, ""}));
  EXPECT_TRUE(is_busy({429, {}, ""}));
  EXPECT_FALSE(is_busy({400, {}, ""}));
  EXPECT_FALSE(is_busy({404, {}, ""}));
  EXPECT_FALSE(is_busy({200, {}, ""}));
}

TEST(Retry, WhatIsRetriedIsTheCallersChoice) {
  int calls = 0;
  const auto response = with_retries(
      quick,
      [&] {
        ++calls;
        return HttpResponse{400, {}, "try again"};
      },
      [](const HttpResponse& r) { return r.body == "try again"; });
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(calls, quick.max_attempts);
}

TEST(Retry, RetriesUntilSuccess) {
  std::atomic<int> calls = 0;
  LocalHttpServer server([&](const LocalRequest&) {
    return ++calls < 3 ? LocalResponse{503, "<Error><Code>SlowDown</Code></Error>", {}}
                       : LocalResponse{200, "done", {}};
  });
  const auto response = with_retries(quick, [&] { return send({.url = server.url() + "/"}); });
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(calls, 3);
}

TEST(Retry, GivesUpAfterMaxAttemptsWithTheLastResponse) {
  std::atomic<int> calls = 0;
  LocalHttpServer server([&](const LocalRequest&) {
    ++calls;
    return LocalResponse{500, "", {}};
  });
  EXPECT_EQ(with_retries(quick, [&] { return send({.url = server.url() + "/"}); }).status, 500);
  EXPECT_EQ(calls, quick.max_attempts);
}

TEST(Retry, DoesNotRetryClientErrors) {
  int calls = 0;
  const auto response = with_retries(quick, [&] {
    ++calls;
    return HttpResponse{403, {}, "<Error><Code>AccessDenied</Code></Error>"};
  });
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(calls, 1);
}

TEST(Retry, TransportErrorsAreRetriedThenRethrown) {
  int calls = 0;
  EXPECT_THROW(with_retries(quick,
                            [&]() -> HttpResponse {
                              ++calls;
                              throw TransportError("refused");
                            }),
               TransportError);
  EXPECT_EQ(calls, quick.max_attempts);
}

TEST(Retry, CanceledExchangesAreNotRetried) {
  int calls = 0;
  EXPECT_THROW(with_retries(quick,
                            [&]() -> HttpResponse {
                              ++calls;
                              throw TransportError("canceled", TransportError::Reason::canceled);
                            }),
               TransportError);
  EXPECT_EQ(calls, 1);
}

TEST(Retry, TotalTimeIsBounded) {
  const RetryPolicy slow{
      .max_attempts = 100, .base_delay = 50ms, .max_delay = 50ms, .max_total = 300ms};
  int calls = 0;
  const auto start = std::chrono::steady_clock::now();
  with_retries(slow, [&] {
    ++calls;
    return HttpResponse{503, {}, ""};
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_LT(calls, 100);
  EXPECT_GE(calls, 2);
}

}  // namespace
}  // namespace rendermart::net
