#pragma once

// An exclusive lock on one name of the models folder, across processes (flock on
// .partial/<name>.lock), so that two pulls of the same model, or a pull and a removal, never
// write the same files at once. The kernel lets go when the process dies, so a killed pull
// never leaves a stale lock.

#include <atomic>
#include <functional>
#include <optional>
#include <string>

namespace rendermart::library {

class InstallLock {
 public:
  // Waits until the lock is free, calling `waiting` once if it has to wait. Throws
  // Error(canceled) when `cancel` is set meanwhile, Error(storage_error) when the lock file
  // cannot be made.
  static InstallLock acquire(const std::string& path, const std::atomic<bool>& cancel,
                             const std::function<void()>& waiting);
  // Nothing when another process holds it.
  static std::optional<InstallLock> try_acquire(const std::string& path);

  InstallLock(InstallLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  InstallLock& operator=(InstallLock&&) = delete;
  InstallLock(const InstallLock&) = delete;
  ~InstallLock();

 private:
  explicit InstallLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace rendermart::library
