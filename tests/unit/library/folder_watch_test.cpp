#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <unistd.h>

#include "library/folder_watch.hpp"

namespace rendermart::library {
namespace {

namespace fs = std::filesystem;

class FolderWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rendermart-watch-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  std::string signature() const { return folder_signature(dir_.string()); }

  fs::path dir_;
};

TEST_F(FolderWatchTest, ChangesWhenAModelAppearsGoesOrChangesItsSettings) {
  const auto empty = signature();
  write(dir_ / ".partial" / "sd" / "unet.safetensors", "downloading");
  EXPECT_EQ(signature(), empty) << "downloads in progress are not models";

  write(dir_ / "sd" / "model_index.json", "{}");
  const auto with_folder = signature();
  EXPECT_NE(with_folder, empty);
  write(dir_ / "sd" / "rendermart.json", R"({"license":"x"})");
  const auto with_settings = signature();
  EXPECT_NE(with_settings, with_folder);

  write(dir_ / "ckpt.safetensors", "weights");
  const auto with_checkpoint = signature();
  EXPECT_NE(with_checkpoint, with_settings);
  EXPECT_EQ(signature(), with_checkpoint) << "nothing changed, nothing differs";

  fs::remove_all(dir_ / "sd");
  EXPECT_NE(signature(), with_checkpoint);
  EXPECT_EQ(folder_signature((dir_ / "absent").string()), "");
}

TEST_F(FolderWatchTest, CallsBackWhenTheFolderChanges) {
  std::atomic<int> calls{0};
  {
    FolderWatch watch(dir_.string(), std::chrono::milliseconds(10), [&] { ++calls; });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(calls, 0);
    write(dir_ / "new.safetensors", "weights");
    for (int i = 0; i < 200 && calls == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(calls, 1);
  }
  write(dir_ / "after.safetensors", "weights");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls, 1) << "a destroyed watch calls nothing";
}

}  // namespace
}  // namespace rendermart::library
