#pragma once

// A Server-Sent Events stream between a producer on any thread (e.g. an event-bus callback) and
// the connection that writes it. The producer pushes and finally closes; the server drains it,
// writes keep-alive comments while it is idle, and calls the on-disconnect hook when the client
// goes away, so that the producer can unsubscribe.

#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace rendermart::http {

struct SseEvent {
  std::string event;  // the "event:" field; empty: none
  std::string data;   // one line of JSON; the server splits on newlines if any
  std::string id;     // the "id:" field; empty: none
};

// The wire form of one event: "event:", "id:" and one "data:" line per line of data, then a
// blank line. CR and LF are removed from event and id, which must be single lines.
std::string format_sse(const SseEvent& event);

class SseChannel {
 public:
  // Thread-safe. Events pushed after close() or after the client went away are dropped.
  void push(SseEvent event);
  void close();

  // Called by the server. set_waker installs a function that the channel calls (from the
  // pushing thread) whenever something new is available; it must be cheap and thread-safe.
  void set_waker(std::function<void()> waker);
  // Takes everything available. `closed` is set when the producer closed the channel and
  // nothing is left.
  std::deque<SseEvent> take(bool& closed);

  // The client went away: runs the hook (once) so the producer can let go of its resources.
  // The server calls disconnected() whenever the stream ends (client gone, server stopping, or
  // after draining a closed channel). A hook installed after that runs at once.
  void set_on_disconnect(std::function<void()> hook);
  void disconnected();

 private:
  std::mutex mutex_;
  std::deque<SseEvent> pending_;
  bool closed_ = false;
  std::function<void()> waker_;
  std::function<void()> on_disconnect_;
  bool disconnected_ = false;
};

}  // namespace rendermart::http
