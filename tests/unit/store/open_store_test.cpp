#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "store/store.hpp"

namespace rendermart {
namespace {

// The Error that open_store throws for `url`, which must be invalid_argument on database_url.
std::string rejection(const std::string& url) {
  try {
    open_store(url);
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::invalid_argument) << url;
    EXPECT_EQ(error.field(), "database_url") << url;
    return error.what();
  }
  ADD_FAILURE() << "accepted " << url;
  return {};
}

TEST(OpenStore, InMemory) {
  auto store = open_store("sqlite::memory:");
  store->migrate();
  store->ping();
  EXPECT_EQ(store->count_images(), 0);
}

TEST(OpenStore, AbsolutePathCreatesItsDirectory) {
  const auto dir = std::filesystem::temp_directory_path() / ("rendermart-store-" + random_hex(8));
  const auto file = dir / "a" / "b" / "store.db";
  {
    auto store = open_store("sqlite://" + file.string());  // "sqlite:///tmp/..."
    store->migrate();
    store->ping();
  }
  EXPECT_TRUE(std::filesystem::exists(file));
  std::filesystem::remove_all(dir);
}

TEST(OpenStore, RelativePathIsUnderTheWorkingDirectory) {
  const auto dir = std::filesystem::temp_directory_path() / ("rendermart-store-" + random_hex(8));
  std::filesystem::create_directories(dir);
  const auto previous = std::filesystem::current_path();
  std::filesystem::current_path(dir);
  {
    auto store = open_store("sqlite://data/relative.db");
    store->migrate();
  }
  std::filesystem::current_path(previous);
  EXPECT_TRUE(std::filesystem::exists(dir / "data" / "relative.db"));
  std::filesystem::remove_all(dir);
}

TEST(OpenStore, AFileThatIsNotADatabaseIsUnavailable) {
  const auto dir = std::filesystem::temp_directory_path() / ("rendermart-store-" + random_hex(8));
  std::filesystem::create_directories(dir);
  const auto file = dir / "notes.txt";
  std::ofstream(file) << std::string(4096, 'x');
  try {
    open_store("sqlite://" + file.string())->migrate();
    ADD_FAILURE() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::unavailable);
    EXPECT_NE(std::string(error.what()).find("notes.txt"), std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST(OpenStore, OtherUrlsAreRejectedWithTheAcceptedForms) {
  const std::string mysql = rejection("mysql://admin:s3cret@db:3306/rendermart");
  EXPECT_NE(mysql.find("'mysql'"), std::string::npos);
  EXPECT_EQ(mysql.find("s3cret"), std::string::npos);  // a password is never echoed
  EXPECT_NE(mysql.find("sqlite:///"), std::string::npos);
  EXPECT_NE(mysql.find("postgres://"), std::string::npos);

  EXPECT_NE(rejection("data.db").find("sqlite::memory:"), std::string::npos);
  rejection("");
  rejection("sqlite://");
  rejection("sqlite:/x.db");
}

}  // namespace
}  // namespace rendermart
