#pragma once

// Threads that write an image's files (the PNG and its thumbnails) to the blob store at the same
// time, and while the caller goes on encoding. A write mostly waits: for the disk to flush the
// file (local files: the fsync that makes it durable before its row commits) or for the network
// (S3). Writes that wait together wait about once: on ext4, three files flushed at once took
// about the time of one flush (docs/benchmarks.md, "Platform overhead per job"), and S3 PUTs
// travel at the same time. The threads live as long as this object, so that each keeps its
// connection to S3 (net's handles are per thread) from one image to the next.

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "blob/blob_store.hpp"

namespace rendermart {

class BlobWriters {
 public:
  // `threads`: the writes that may run at once (at least one).
  BlobWriters(BlobStore& blobs, int threads);
  // Finishes the writes already started, then joins the threads.
  ~BlobWriters();
  BlobWriters(const BlobWriters&) = delete;
  BlobWriters& operator=(const BlobWriters&) = delete;

  // Writes started together, by one thread, which then waits for them all.
  class Batch {
   public:
    explicit Batch(BlobWriters& writers);
    // Waits for writes still running, since they read bytes that the caller is about to free;
    // their errors are then dropped (the caller is leaving with an error of its own).
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

    // Starts writing `bytes` under `key` as BlobStore::put does. `bytes` must stay alive, and
    // unchanged, until wait() returns.
    void put(std::string key, const std::string& bytes, std::string content_type);
    // Returns once every write started has finished; throws the first failure.
    void wait();

   private:
    struct State {
      std::mutex mutex;
      std::condition_variable done;
      int running = 0;
      std::exception_ptr error;
    };
    BlobWriters& writers_;
    std::shared_ptr<State> state_ = std::make_shared<State>();
  };

 private:
  void run();

  BlobStore& blobs_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace rendermart
