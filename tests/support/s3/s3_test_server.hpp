#pragma once

// Runs tests/support/s3/server.mjs (s3rver behind a SigV4-checking front) as a child process for
// C++ tests, and talks to its stdin/stdout control channel.
//
// Where things are: node is $RENDERMART_NODE, else the RENDERMART_NODE compile definition, else
// "node" on PATH; the repository is $RENDERMART_SOURCE_DIR, else the RENDERMART_SOURCE_DIR
// compile definition, else the directory given by the caller (derived from __FILE__).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace rendermart::testing {

class S3TestServer {
 public:
  // How long node may take to start s3rver, and to answer one control command.
  static constexpr std::chrono::seconds start_timeout{30};
  static constexpr std::chrono::seconds command_timeout{10};
  static constexpr std::chrono::seconds stop_timeout{5};

  explicit S3TestServer(const std::filesystem::path& fallback_source_dir) {
    const std::string node = setting("RENDERMART_NODE", default_node(), "node");
    const std::filesystem::path source_dir =
        setting("RENDERMART_SOURCE_DIR", default_source_dir(), fallback_source_dir.string());
    const std::string script = (source_dir / "tests/support/s3/server.mjs").string();
    if (!std::filesystem::exists(source_dir / "tests/node_modules/s3rver")) {
      throw std::runtime_error("s3rver is not installed: run `npm ci` in " +
                               (source_dir / "tests").string());
    }
    int to_child[2];
    int from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe failed");
    }
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(to_child[0], STDIN_FILENO);
      dup2(from_child[1], STDOUT_FILENO);
      execlp(node.c_str(), node.c_str(), script.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    stdin_ = to_child[1];
    stdout_ = from_child[0];
    const std::string line = read_line(start_timeout);
    info_ = nlohmann::json::parse(line, nullptr, false);
    if (!info_.is_object() || !info_.contains("endpoint")) {
      stop();
      throw std::runtime_error("the S3 test server did not start (" + node + " " + script + "): '" +
                               line + "'");
    }
  }
  ~S3TestServer() { stop(); }
  S3TestServer(const S3TestServer&) = delete;
  S3TestServer& operator=(const S3TestServer&) = delete;

  std::string endpoint() const { return info_.at("endpoint"); }
  std::string bucket() const { return info_.at("bucket"); }
  std::string region() const { return info_.at("region"); }
  std::string access_key_id() const { return info_.at("access_key_id"); }
  std::string secret_access_key() const { return info_.at("secret_access_key"); }

  // Sends one control command (see server.mjs) and returns its acknowledgement.
  nlohmann::json command(const nlohmann::json& command) {
    const std::string line = command.dump() + "\n";
    if (write(stdin_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      throw std::runtime_error("cannot write to the S3 test server");
    }
    return nlohmann::json::parse(read_line(command_timeout));
  }

 private:
  static std::string default_node() {
#ifdef RENDERMART_NODE
    return RENDERMART_NODE;
#else
    return {};
#endif
  }
  static std::string default_source_dir() {
#ifdef RENDERMART_SOURCE_DIR
    return RENDERMART_SOURCE_DIR;
#else
    return {};
#endif
  }
  static std::string setting(const char* variable, const std::string& defined,
                             const std::string& fallback) {
    if (const char* value = std::getenv(variable); value && *value) return value;
    return defined.empty() ? fallback : defined;
  }

  std::string read_line(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (const auto newline = buffer_.find('\n'); newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw std::runtime_error("the S3 test server did not answer in time");
      pollfd fd{stdout_, POLLIN, 0};
      if (poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[4096];
      const ssize_t n = read(stdout_, chunk, sizeof chunk);
      if (n <= 0) throw std::runtime_error("the S3 test server exited");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // Closing stdin asks the server to stop; SIGTERM and then SIGKILL if it does not.
  void stop() {
    if (stdin_ >= 0) close(stdin_);
    if (stdout_ >= 0) close(stdout_);
    stdin_ = stdout_ = -1;
    if (pid_ <= 0) return;
    const auto deadline = std::chrono::steady_clock::now() + stop_timeout;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
  nlohmann::json info_;
};

}  // namespace rendermart::testing
