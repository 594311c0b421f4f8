#include <gtest/gtest.h>

#include <filesystem>

#include "blob/blob_store.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"

namespace rendermart {
namespace {

class FileBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("rendermart-blob-" + random_hex(6));
    store_ = open_blob_store("file://" + root_.string());
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::filesystem::path root_;
  std::unique_ptr<BlobStore> store_;
};

TEST_F(FileBlobStoreTest, PutGetHeadRemove) {
  const std::string bytes("\x89PNG\0binary", 11);
  store_->put("images/u1/a.png", bytes, "image/png");
  EXPECT_EQ(store_->get("images/u1/a.png"), bytes);
  ASSERT_TRUE(store_->head("images/u1/a.png"));
  EXPECT_EQ(store_->head("images/u1/a.png")->size, 11);
  store_->put("images/u1/a.png", "new", "image/png");
  EXPECT_EQ(store_->get("images/u1/a.png"), "new");
  store_->remove("images/u1/a.png");
  EXPECT_FALSE(store_->head("images/u1/a.png"));
  EXPECT_NO_THROW(store_->remove("images/u1/a.png"));
}

TEST_F(FileBlobStoreTest, MissingObjectIsNotFound) {
  try {
    store_->get("nothing/here.png");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
  }
}

TEST_F(FileBlobStoreTest, LeavesNoTemporaryFiles) {
  for (int i = 0; i < 20; ++i) store_->put("k/" + std::to_string(i), std::string(1000, 'x'), "");
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root_)) {
    if (entry.is_regular_file()) {
      ++files;
      EXPECT_EQ(entry.path().extension(), "") << entry.path();
    }
  }
  EXPECT_EQ(files, 20);
}

TEST_F(FileBlobStoreTest, RefusesKeysThatLeaveTheRoot) {
  for (const std::string key : {"../escape", "/etc/passwd", "a/../../b", "a//b", "", "sp ace"}) {
    EXPECT_THROW(store_->put(key, "x", ""), Error) << key;
  }
}

TEST_F(FileBlobStoreTest, PingWritesAndReads) { EXPECT_NO_THROW(store_->ping()); }

TEST(OpenBlobStore, RejectsUnknownSchemes) {
  EXPECT_THROW(open_blob_store("ftp://x"), Error);
  EXPECT_THROW(open_blob_store("file://"), Error);
}

}  // namespace
}  // namespace rendermart
