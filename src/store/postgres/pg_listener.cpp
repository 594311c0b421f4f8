#include "store/postgres/pg_listener.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include <fmt/format.h>
#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "store/postgres/pg_connection.hpp"

namespace rendermart::pg {
namespace {

// How often the listening thread checks for a stop request while no notification arrives: the
// bound on how long destruction waits.
constexpr int kPollIntervalMs = 100;
// Reconnection backoff after the listening connection drops: doubling from the first to the
// last value.
constexpr std::chrono::milliseconds kFirstReconnectDelay{100};
constexpr std::chrono::milliseconds kMaxReconnectDelay{5'000};

}  // namespace

Listener::Listener(std::string url, std::vector<std::string> channels, std::string what,
                   Handlers handlers)
    : url_(std::move(url)),
      channels_(std::move(channels)),
      what_(std::move(what)),
      handlers_(std::move(handlers)) {
  thread_ = std::thread([this] { run(); });
  std::unique_lock lock(run_mutex_);
  run_cv_.wait_for(lock, std::chrono::seconds(kConnectTimeoutSeconds),
                   [this] { return listening_.load(); });
}

Listener::~Listener() {
  {
    std::lock_guard lock(run_mutex_);
    stop_ = true;
  }
  run_cv_.notify_all();
  thread_.join();
}

void Listener::listen_on(Connection& connection) {
  std::string statements;
  for (const auto& channel : channels_) statements += fmt::format("LISTEN {};", channel);
  connection.exec(statements);
  {
    std::lock_guard lock(run_mutex_);
    listening_ = true;
  }
  run_cv_.notify_all();
  // Told once listening, so that nothing sent after `listening` is missed.
  handlers_.listening();
  PGconn* conn = connection.native();
  for (;;) {
    {
      std::lock_guard lock(run_mutex_);
      if (stop_) return;
    }
    pollfd fd{.fd = PQsocket(conn), .events = POLLIN, .revents = 0};
    if (fd.fd < 0) return;
    if (poll(&fd, 1, kPollIntervalMs) < 0 && errno != EINTR) return;
    if (PQconsumeInput(conn) == 0) return;  // the connection dropped
    while (PGnotify* notification = PQnotifies(conn)) {
      const std::string channel = notification->relname;
      const std::string payload = notification->extra;
      PQfreemem(notification);
      handlers_.notification(channel, payload);
    }
    if (!connection.healthy()) return;
  }
}

void Listener::run() {
  auto delay = kFirstReconnectDelay;
  bool reconnecting = false;
  for (;;) {
    try {
      Connection connection(url_);
      delay = kFirstReconnectDelay;
      if (reconnecting) spdlog::info("{}: reconnected to PostgreSQL", what_);
      listen_on(connection);
      listening_ = false;
      handlers_.lost();
      {
        std::lock_guard lock(run_mutex_);
        if (stop_) return;
      }
      spdlog::warn("{}: lost the connection to PostgreSQL; reconnecting", what_);
    } catch (const Error& error) {
      if (listening_.exchange(false)) handlers_.lost();
      spdlog::warn("{}: cannot listen on PostgreSQL ({}); retrying in {} ms", what_, error.what(),
                   delay.count());
    }
    reconnecting = true;
    std::unique_lock lock(run_mutex_);
    if (run_cv_.wait_for(lock, delay, [this] { return stop_; })) return;
    delay = std::min(delay * 2, kMaxReconnectDelay);
  }
}

}  // namespace rendermart::pg
