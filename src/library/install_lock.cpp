#include "library/install_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/error.hpp"

namespace rendermart::library {
namespace {

// How often a waiting pull looks again (and at its cancel flag).
constexpr std::chrono::milliseconds kPollInterval{200};

int open_lock_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error(ErrorCode::storage_error,
                "cannot create the lock file " + path + ": " + std::strerror(errno));
  }
  return fd;
}

}  // namespace

InstallLock InstallLock::acquire(const std::string& path, const std::atomic<bool>& cancel,
                                 const std::function<void()>& waiting) {
  const int fd = open_lock_file(path);
  bool told = false;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (cancel.load()) {
      ::close(fd);
      throw Error(ErrorCode::canceled, "pull canceled");
    }
    if (!told && waiting) waiting();
    told = true;
    std::this_thread::sleep_for(kPollInterval);
  }
  return InstallLock(fd);
}

std::optional<InstallLock> InstallLock::try_acquire(const std::string& path) {
  const int fd = open_lock_file(path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  return InstallLock(fd);
}

InstallLock::~InstallLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace rendermart::library
