#include "http/deferred_response.hpp"

#include <utility>

#include "http/message.hpp"

namespace rendermart::http {

// Callbacks (waker, hook) run outside the mutex: they may take other locks.

void DeferredResponse::resolve(Finish finish) {
  std::function<void()> waker;
  {
    std::lock_guard lock(mutex_);
    if (finish_ || taken_) return;
    finish_ = std::move(finish);
    waker = waker_;
  }
  resolved_cv_.notify_all();
  if (waker) waker();
}

void DeferredResponse::set_waker(std::function<void()> waker) {
  bool ready = false;
  {
    std::lock_guard lock(mutex_);
    waker_ = waker;
    ready = finish_.has_value();
  }
  if (ready && waker) waker();
}

std::optional<DeferredResponse::Finish> DeferredResponse::take() {
  std::lock_guard lock(mutex_);
  if (!finish_) return std::nullopt;
  taken_ = true;
  return std::exchange(finish_, std::nullopt);
}

void DeferredResponse::set_poll(std::function<void()> poll) {
  std::lock_guard lock(mutex_);
  poll_ = std::move(poll);
}

void DeferredResponse::poll() {
  std::function<void()> check;
  {
    std::lock_guard lock(mutex_);
    if (finish_ || taken_ || abandoned_) return;
    check = poll_;
  }
  if (check) check();
}

std::optional<Response> DeferredResponse::wait_for(std::chrono::milliseconds timeout) {
  Finish finish;
  {
    std::unique_lock lock(mutex_);
    if (!resolved_cv_.wait_for(lock, timeout, [&] { return finish_.has_value(); })) {
      return std::nullopt;
    }
    taken_ = true;
    finish = std::move(*finish_);
    finish_.reset();
  }
  return finish();
}

void DeferredResponse::set_on_abandon(std::function<void()> hook) {
  bool run_now = false;
  {
    std::lock_guard lock(mutex_);
    if (abandoned_) {
      run_now = true;
    } else {
      on_abandon_ = hook;
    }
  }
  if (run_now && hook) hook();
}

void DeferredResponse::abandon() {
  std::function<void()> hook;
  {
    std::lock_guard lock(mutex_);
    if (abandoned_) return;
    abandoned_ = true;
    hook = std::move(on_abandon_);
    on_abandon_ = nullptr;
    poll_ = nullptr;
  }
  if (hook) hook();
}

void DeferredResponse::set_on_deadline(Finish hook) {
  std::lock_guard lock(mutex_);
  on_deadline_ = std::move(hook);
}

std::optional<Response> DeferredResponse::at_deadline() {
  Finish hook;
  {
    std::lock_guard lock(mutex_);
    hook = std::exchange(on_deadline_, nullptr);
  }
  if (!hook) return std::nullopt;
  return hook();
}

}  // namespace rendermart::http
