// BlobWriters: an image's files written at the same time, every one stored when wait() returns,
// and the first failure thrown there, after the other writes have finished.

#include "services/blob_writers.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "core/error.hpp"
#include "services/image_files.hpp"

namespace rendermart {
namespace {

// Bounds a wait for something that normally takes microseconds.
constexpr auto kWaitLimit = std::chrono::seconds(10);

// A blob store in memory whose puts can be made to wait until a number of them are in progress
// at once (each waits at most kWaitLimit), and to fail for one key.
class MemoryBlobs : public BlobStore {
 public:
  explicit MemoryBlobs(int meet = 0, std::string failing_key = {})
      : meet_(meet), failing_key_(std::move(failing_key)) {}

  void put(const std::string& key, const std::string& bytes, const std::string&) override {
    std::unique_lock lock(mutex_);
    ++in_progress_;
    most_at_once_ = std::max(most_at_once_, in_progress_);
    changed_.notify_all();
    changed_.wait_for(lock, kWaitLimit, [&] { return most_at_once_ >= meet_; });
    --in_progress_;
    if (key == failing_key_) throw Error(ErrorCode::storage_error, "the disk is full");
    objects_[key] = bytes;
  }
  std::string get(const std::string& key) override {
    std::lock_guard lock(mutex_);
    const auto found = objects_.find(key);
    if (found == objects_.end()) throw Error(ErrorCode::not_found, key);
    return found->second;
  }
  std::optional<BlobInfo> head(const std::string&) override { return std::nullopt; }
  void remove(const std::string& key) override {
    std::lock_guard lock(mutex_);
    objects_.erase(key);
  }
  std::optional<std::string> presigned_get_url(const std::string&, std::chrono::seconds) override {
    return std::nullopt;
  }
  void ping() override {}

  std::set<std::string> keys() {
    std::lock_guard lock(mutex_);
    std::set<std::string> keys;
    for (const auto& [key, bytes] : objects_) keys.insert(key);
    return keys;
  }
  int most_at_once() {
    std::lock_guard lock(mutex_);
    return most_at_once_;
  }

 private:
  const int meet_;
  const std::string failing_key_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int in_progress_ = 0;
  int most_at_once_ = 0;
  std::map<std::string, std::string> objects_;
};

TEST(BlobWriters, AnImagesFilesAreWrittenAtTheSameTimeAndStoredWhenWaitReturns) {
  MemoryBlobs blobs(3);
  BlobWriters writers(blobs, 3);
  const std::string png = "png bytes";
  const std::string small = "small thumbnail";
  const std::string large = "large thumbnail";
  BlobWriters::Batch batch(writers);
  batch.put("a.png", png, "image/png");
  batch.put("a.png.thumb256.webp", small, "image/webp");
  batch.put("a.png.thumb512.webp", large, "image/webp");
  batch.wait();
  EXPECT_EQ(blobs.most_at_once(), 3);
  EXPECT_EQ(blobs.get("a.png"), png);
  EXPECT_EQ(blobs.get("a.png.thumb256.webp"), small);
  EXPECT_EQ(blobs.get("a.png.thumb512.webp"), large);
}

TEST(BlobWriters, TheFirstFailureIsThrownOnceTheOtherWritesFinished) {
  MemoryBlobs blobs(0, "b");
  BlobWriters writers(blobs, 2);
  const std::string bytes = "bytes";
  BlobWriters::Batch batch(writers);
  for (const char* key : {"a", "b", "c", "d"}) batch.put(key, bytes, "text/plain");
  try {
    batch.wait();
    FAIL() << "the failed write went unreported";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::storage_error);
  }
  EXPECT_EQ(blobs.keys(), (std::set<std::string>{"a", "c", "d"}));
  // The error was reported once; the batch is usable again.
  batch.put("e", bytes, "text/plain");
  batch.wait();
  EXPECT_EQ(blobs.keys().count("e"), 1U);
}

TEST(BlobWriters, ImageFilesAreThePngAndOneThumbnailPerSize) {
  MemoryBlobs blobs;
  BlobWriters writers(blobs, kFilesPerImage);
  RawImage image{.width = 600, .height = 300, .rgb = std::vector<std::uint8_t>(600 * 300 * 3, 90)};
  const auto thumbnail_bytes = put_image_files(writers, "images/u/j/1-0.png", "png", image);
  std::set<std::string> expected{"images/u/j/1-0.png"};
  std::int64_t stored = 0;
  for (int size : kThumbnailSizes) {
    expected.insert(thumbnail_key("images/u/j/1-0.png", size));
    stored +=
        static_cast<std::int64_t>(blobs.get(thumbnail_key("images/u/j/1-0.png", size)).size());
  }
  EXPECT_EQ(blobs.keys(), expected);
  EXPECT_EQ(thumbnail_bytes, stored);
  EXPECT_EQ(blobs.get("images/u/j/1-0.png"), "png");
}

TEST(BlobWriters, AnImageThatFitsEverySizeHasTheSameThumbnailAtEach) {
  MemoryBlobs blobs;
  BlobWriters writers(blobs, kFilesPerImage);
  RawImage image{.width = 64, .height = 64, .rgb = std::vector<std::uint8_t>(64 * 64 * 3, 200)};
  put_image_files(writers, "small.png", "png", image);
  const auto first = blobs.get(thumbnail_key("small.png", kThumbnailSizes[0]));
  for (int size : kThumbnailSizes) EXPECT_EQ(blobs.get(thumbnail_key("small.png", size)), first);
}

}  // namespace
}  // namespace rendermart
