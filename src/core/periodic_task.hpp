#pragma once

// Runs a function every `interval` on its own thread until destroyed: the cloud providers' model
// listings, the look at the models folder, the exchange of request rates. The function must not
// throw; a run in progress finishes before the destructor returns.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace rendermart {

class PeriodicTask {
 public:
  // The first run is one interval after construction.
  PeriodicTask(std::chrono::milliseconds interval, std::function<void()> run);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  void loop();

  std::chrono::milliseconds interval_;
  std::function<void()> run_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: started when everything else is ready
};

}  // namespace rendermart
