#pragma once

// A minimal HTTP/1.1 server on 127.0.0.1 (a free port) for tests of the outbound clients: one
// thread, one request per connection, answers from a handler. Requests are recorded for
// assertions.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rendermart::testing {

struct LocalRequest {
  std::string method;
  std::string target;                          // path and query, as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct LocalResponse {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class LocalHttpServer {
 public:
  using Handler = std::function<LocalResponse(const LocalRequest&)>;
  // How long the accept loop sleeps in poll before checking for shutdown.
  static constexpr int poll_interval_ms = 50;

  explicit LocalHttpServer(Handler handler) : handler_(std::move(handler)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    const int yes = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(listener_, 16);
    socklen_t length = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~LocalHttpServer() {
    stopping_ = true;
    thread_.join();
    close(listener_);
  }
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<LocalRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void run() {
    while (!stopping_) {
      pollfd fd{listener_, POLLIN, 0};
      if (poll(&fd, 1, poll_interval_ms) <= 0) continue;
      const int connection = accept(listener_, nullptr, nullptr);
      if (connection < 0) continue;
      serve(connection);
      close(connection);
    }
  }

  void serve(int connection) {
    std::string data;
    char chunk[4096];
    std::size_t header_end = std::string::npos;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = recv(connection, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      data.append(chunk, static_cast<std::size_t>(n));
    }
    LocalRequest request;
    std::size_t line_end = data.find("\r\n");
    const std::string request_line = data.substr(0, line_end);
    const auto space = request_line.find(' ');
    request.method = request_line.substr(0, space);
    request.target = request_line.substr(space + 1, request_line.rfind(' ') - space - 1);
    while (line_end < header_end) {
      const std::size_t next = data.find("\r\n", line_end + 2);
      const std::string line = data.substr(line_end + 2, next - line_end - 2);
      if (const auto colon = line.find(':'); colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        request.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      line_end = next;
    }
    const std::size_t length = request.headers.contains("content-length")
                                   ? std::stoul(request.headers["content-length"])
                                   : 0;
    request.body = data.substr(header_end + 4);
    while (request.body.size() < length) {
      const ssize_t n = recv(connection, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      request.body.append(chunk, static_cast<std::size_t>(n));
    }
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    const LocalResponse response = handler_(request);
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " X\r\nConnection: close\r\n";
    for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n\r\n" + response.body;
    send(connection, out.data(), out.size(), MSG_NOSIGNAL);
  }

  Handler handler_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<LocalRequest> requests_;
};

}  // namespace rendermart::testing
