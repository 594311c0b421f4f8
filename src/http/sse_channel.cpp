#include "http/sse_channel.hpp"

#include <string_view>
#include <utility>

namespace rendermart::http {
namespace {

std::string single_line(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c != '\r' && c != '\n') out += c;
  }
  return out;
}

}  // namespace

std::string format_sse(const SseEvent& event) {
  std::string out;
  if (!event.event.empty()) out += "event: " + single_line(event.event) + "\n";
  if (!event.id.empty()) out += "id: " + single_line(event.id) + "\n";
  // Every line of data gets its own field; the client joins them with "\n" again.
  std::string_view data = event.data;
  for (;;) {
    const auto newline = data.find('\n');
    auto line = data.substr(0, newline);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out += "data: ";
    out += line;
    out += '\n';
    if (newline == std::string_view::npos) break;
    data.remove_prefix(newline + 1);
  }
  out += '\n';
  return out;
}

// Callbacks (waker, hook) run outside the mutex: they may take other locks or call back into
// the channel.

void SseChannel::push(SseEvent event) {
  std::function<void()> waker;
  {
    std::lock_guard lock(mutex_);
    if (closed_ || disconnected_) return;
    pending_.push_back(std::move(event));
    waker = waker_;
  }
  if (waker) waker();
}

void SseChannel::close() {
  std::function<void()> waker;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    waker = waker_;
  }
  if (waker) waker();
}

void SseChannel::set_waker(std::function<void()> waker) {
  bool ready = false;
  {
    std::lock_guard lock(mutex_);
    waker_ = waker;
    ready = !pending_.empty() || closed_;
  }
  // Whatever arrived before the waker was installed must not wait for the next push.
  if (ready && waker) waker();
}

std::deque<SseEvent> SseChannel::take(bool& closed) {
  std::lock_guard lock(mutex_);
  std::deque<SseEvent> events;
  events.swap(pending_);
  closed = closed_;
  return events;
}

void SseChannel::set_on_disconnect(std::function<void()> hook) {
  {
    std::lock_guard lock(mutex_);
    if (!disconnected_) {
      on_disconnect_ = std::move(hook);
      return;
    }
  }
  if (hook) hook();
}

void SseChannel::disconnected() {
  std::function<void()> hook;
  {
    std::lock_guard lock(mutex_);
    if (disconnected_) return;
    disconnected_ = true;
    hook.swap(on_disconnect_);
    // Nobody reads any more: drop what is queued and the waker, which refers to the connection.
    pending_.clear();
    waker_ = nullptr;
  }
  if (hook) hook();
}

}  // namespace rendermart::http
