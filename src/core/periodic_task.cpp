#include "core/periodic_task.hpp"

namespace rendermart {

PeriodicTask::PeriodicTask(std::chrono::milliseconds interval, std::function<void()> run)
    : interval_(interval), run_(std::move(run)), thread_([this] { loop(); }) {}

PeriodicTask::~PeriodicTask() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void PeriodicTask::loop() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    run_();
    lock.lock();
  }
}

}  // namespace rendermart
