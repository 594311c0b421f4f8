#include "services/blob_writers.hpp"

#include <algorithm>
#include <utility>

namespace rendermart {

BlobWriters::BlobWriters(BlobStore& blobs, int threads) : blobs_(blobs) {
  for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { run(); });
}

BlobWriters::~BlobWriters() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void BlobWriters::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    auto write = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    write();  // never throws: it hands its error to its batch
    lock.lock();
  }
}

BlobWriters::Batch::Batch(BlobWriters& writers) : writers_(writers) {}

BlobWriters::Batch::~Batch() {
  std::unique_lock lock(state_->mutex);
  state_->done.wait(lock, [this] { return state_->running == 0; });
}

void BlobWriters::Batch::put(std::string key, const std::string& bytes, std::string content_type) {
  {
    std::lock_guard lock(state_->mutex);
    ++state_->running;
  }
  auto write = [&blobs = writers_.blobs_, state = state_, key = std::move(key), &bytes,
                content_type = std::move(content_type)] {
    std::exception_ptr error;
    try {
      blobs.put(key, bytes, content_type);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(state->mutex);
      if (error && !state->error) state->error = error;
      --state->running;
    }
    state->done.notify_all();
  };
  {
    std::lock_guard lock(writers_.mutex_);
    writers_.queue_.push_back(std::move(write));
  }
  writers_.ready_.notify_one();
}

void BlobWriters::Batch::wait() {
  std::unique_lock lock(state_->mutex);
  state_->done.wait(lock, [this] { return state_->running == 0; });
  if (state_->error) std::rethrow_exception(std::exchange(state_->error, nullptr));
}

}  // namespace rendermart
