#pragma once

// A throw-away PostgreSQL cluster for tests: initdb into a temporary directory, a server on a
// free loopback port, a fresh database per test, stopped and deleted at the end.
//
// Header-only so that any test binary can use it without build changes. The server binaries come
// from $RENDERMART_PG_BIN, else Debian's /usr/lib/postgresql/15/bin. PostgreSQL refuses to run as
// root, so when the tests run as root the cluster belongs to `nobody` and every server command
// runs through `runuser -u nobody --`.
//
// Cleanup happens three ways: the destructor (normal exit, and the gtest Environment's TearDown
// via pg_test_server()), and a watchdog process that waits on a pipe from this process and stops
// the server and deletes its directory once the pipe closes, which the kernel does however this
// process ends (a crash or SIGKILL included).

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>

namespace rendermart::testing {

class PgTestServer {
 public:
  // Seconds pg_ctl waits for the server to start or stop.
  static constexpr int kPgCtlTimeoutSeconds = 60;
  static constexpr int kConnectTimeoutSeconds = 10;
  // Attempts, a second apart, of the watchdog to remove the cluster after this process died.
  static constexpr int kWatchdogRounds = 10;

  PgTestServer() {
    const char* bin = std::getenv("RENDERMART_PG_BIN");
    bin_ = bin ? bin : "/usr/lib/postgresql/15/bin";
    if (!std::filesystem::exists(bin_ + "/initdb")) {
      throw std::runtime_error("PostgreSQL server binaries not found in " + bin_ +
                               "; install postgresql-15 or set RENDERMART_PG_BIN");
    }
    char pattern[] = "/tmp/rendermart-pg-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      throw std::runtime_error("cannot create a temporary directory");
    }
    dir_ = pattern;
    as_user_ = geteuid() == 0 ? "runuser -u nobody -- " : "";
    if (geteuid() == 0) run("chown nobody " + quote(dir_));
    port_ = free_port();
    start_watchdog();
    run(as_user_ + quote(bin_ + "/initdb") + " -D " + quote(data_dir()) +
        " -A trust -U postgres --encoding=UTF8 --locale=C.UTF-8 --no-sync > " +
        quote(dir_ + "/initdb.log") + " 2>&1");
    start();
  }

  ~PgTestServer() {
    if (running_) {
      std::system((pg_ctl() + " -m immediate stop > /dev/null 2>&1").c_str());
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    if (watchdog_pipe_ >= 0) close(watchdog_pipe_);  // the watchdog finds nothing left to do
    if (watchdog_pid_ > 0) waitpid(watchdog_pid_, nullptr, 0);
  }

  PgTestServer(const PgTestServer&) = delete;
  PgTestServer& operator=(const PgTestServer&) = delete;

  // A URL for `database` as the superuser, over TCP on loopback.
  std::string url(const std::string& database = "postgres") const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }

  // Creates an empty database (a copy of template1) and returns its URL.
  std::string create_database() {
    const std::string name = "test_" + std::to_string(++databases_);
    execute("CREATE DATABASE " + name);
    return url(name);
  }

  // Runs SQL on the postgres database (administration: terminate sessions, ...).
  void execute(const std::string& sql) {
    const std::string admin_url =
        url() + "?connect_timeout=" + std::to_string(kConnectTimeoutSeconds);
    PGconn* conn = PQconnectdb(admin_url.c_str());
    std::string error;
    if (PQstatus(conn) != CONNECTION_OK) {
      error = PQerrorMessage(conn);
    } else {
      PGresult* result = PQexec(conn, sql.c_str());
      const ExecStatusType status = PQresultStatus(result);
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        error = PQerrorMessage(conn);
      }
      PQclear(result);
    }
    PQfinish(conn);
    if (!error.empty()) throw std::runtime_error("test PostgreSQL: " + sql + ": " + error);
  }

  // Stops the server (fast shutdown: sessions are terminated, as in a real restart).
  void stop() {
    run(pg_ctl() + " -m fast stop >> " + quote(log_file()) + " 2>&1");
    running_ = false;
  }

  // Starts the server on the same port with the same data.
  void start() {
    const std::string options = "-p " + std::to_string(port_) + " -k " + dir_ +
                                " -c listen_addresses=127.0.0.1 -c fsync=off"
                                " -c full_page_writes=off -c synchronous_commit=off";
    run(pg_ctl() + " -l " + quote(log_file()) + " -o " + quote(options) + " start >> " +
        quote(dir_ + "/pg_ctl.log") + " 2>&1");
    running_ = true;
  }

  void restart() {
    stop();
    start();
  }

 private:
  std::string data_dir() const { return dir_ + "/data"; }
  std::string log_file() const { return dir_ + "/server.log"; }
  std::string pg_ctl() const {
    return as_user_ + quote(bin_ + "/pg_ctl") + " -w -t " + std::to_string(kPgCtlTimeoutSeconds) +
           " -D " + quote(data_dir());
  }

  static std::string quote(const std::string& text) {
    std::string quoted = "'";
    for (const char c : text) {
      if (c == '\'') {
        quoted += "'\\''";
      } else {
        quoted += c;
      }
    }
    return quoted + "'";
  }

  // Runs a shell command; on failure throws with the logs, which say why.
  void run(const std::string& command) const {
    if (std::system(command.c_str()) == 0) return;
    std::ostringstream logs;
    for (const char* name : {"/initdb.log", "/pg_ctl.log", "/server.log"}) {
      std::ifstream file(dir_ + name);
      if (file) logs << "--- " << name << "\n" << file.rdbuf() << "\n";
    }
    throw std::runtime_error("test PostgreSQL: command failed: " + command + "\n" + logs.str());
  }

  // A loopback port that nothing listens on now.
  static int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      if (fd >= 0) close(fd);
      throw std::runtime_error("cannot find a free loopback port");
    }
    close(fd);
    return ntohs(address.sin_port);
  }

  void start_watchdog() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("cannot create the watchdog pipe");
    // Repeated while the directory reappears: an initdb or pg_ctl started by the dead process
    // may still be writing to it.
    const std::string script = "cat > /dev/null; i=0; while [ -e " + quote(dir_) +
                               " ] && [ $i -lt " + std::to_string(kWatchdogRounds) + " ]; do " +
                               pg_ctl() + " -m immediate stop; rm -rf " + quote(dir_) +
                               "; i=$((i + 1)); sleep 1; done";
    const pid_t pid = fork();
    if (pid == 0) {
      // Only async-signal-safe calls until exec: this process may have other threads.
      dup2(fds[0], STDIN_FILENO);
      const int null = open("/dev/null", O_WRONLY);
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
      setsid();  // outlives a signal sent to this process group
      execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[0]);
    if (pid < 0) {
      close(fds[1]);
      throw std::runtime_error("cannot start the watchdog process");
    }
    watchdog_pid_ = pid;
    watchdog_pipe_ = fds[1];
  }

  std::string bin_;
  std::string dir_;
  std::string as_user_;
  int port_ = 0;
  bool running_ = false;
  std::atomic<int> databases_ = 0;
  pid_t watchdog_pid_ = -1;
  int watchdog_pipe_ = -1;
};

namespace detail {

inline std::mutex pg_test_server_mutex;
inline std::unique_ptr<PgTestServer> pg_test_server_instance;

// Stops the cluster after the last test, before static destruction.
class PgTestEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    std::lock_guard lock(pg_test_server_mutex);
    pg_test_server_instance.reset();
  }
};

inline ::testing::Environment* const pg_test_environment =
    ::testing::AddGlobalTestEnvironment(new PgTestEnvironment);

}  // namespace detail

// The one cluster of this test binary, started by the first test that needs it (so that runs
// of SQLite tests alone never start PostgreSQL).
inline PgTestServer& pg_test_server() {
  std::lock_guard lock(detail::pg_test_server_mutex);
  if (!detail::pg_test_server_instance) {
    detail::pg_test_server_instance = std::make_unique<PgTestServer>();
  }
  return *detail::pg_test_server_instance;
}

}  // namespace rendermart::testing
