#include "library/file_writer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.hpp"

namespace rendermart::library {
namespace {

namespace fs = std::filesystem;

TEST(FileWriter, AppendsToWhatIsThere) {
  const auto path = fs::temp_directory_path() / ("file-writer-" + std::to_string(::getpid()));
  std::ofstream(path) << "abc";
  {
    FileWriter writer(path.string());
    EXPECT_EQ(writer.size(), 3u);
    writer.append("defg", 4);
    EXPECT_EQ(writer.size(), 7u);
  }
  std::ifstream in(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "abcdefg");
  fs::remove(path);
}

// /dev/full answers every write with ENOSPC, as a full disk does.
TEST(FileWriter, AFullDiskSaysSoAndThatPullingAgainResumes) {
  FileWriter writer("/dev/full");
  try {
    writer.append("x", 1);
    FAIL() << "expected Error(storage_error)";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::storage_error);
    EXPECT_NE(std::string(e.what()).find("the disk is full"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("pull again"), std::string::npos) << e.what();
  }
}

TEST(FileWriter, AFolderThatCannotBeWrittenIsAStorageError) {
  try {
    FileWriter writer("/proc/no-such-folder/file");
    FAIL() << "expected Error(storage_error)";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::storage_error);
    EXPECT_NE(std::string(e.what()).find("/proc/no-such-folder/file"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace rendermart::library
