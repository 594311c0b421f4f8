#include "library/file_download.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "library/hub_client.hpp"
#include "library/sha256.hpp"
#include "support/local_http_server.hpp"

namespace rendermart::library {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::LocalHttpServer;
using testing::LocalRequest;
using testing::LocalResponse;

const DownloadErrors errors{
    [](const net::HttpResponse& answer) {
      return Error(ErrorCode::provider_error, "answered " + std::to_string(answer.status));
    },
    [](const net::TransportError& error) { return Error(ErrorCode::unavailable, error.what()); }};

// A fresh folder per test, removed after it.
class FileDownloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("file-download-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string sha256_of(const std::string& bytes) {
  Sha256 hash;
  hash.update(bytes.data(), bytes.size());
  return hash.hex_digest();
}

// What a file server does with "Range: bytes=N-": 206 with the rest, else 200 with all of it.
LocalResponse serve_range(const std::string& file, const LocalRequest& request) {
  const auto range = request.headers.find("range");
  if (range == request.headers.end()) return {200, file, {}};
  const auto first = std::stoul(range->second.substr(std::string("bytes=").size()));
  return {
      206,
      file.substr(first),
      {{"Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(file.size() - 1) +
                             "/" + std::to_string(file.size())}}};
}

std::string some_bytes(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 7919) % 251);
  return bytes;
}

TEST_F(FileDownloadTest, AnIncompleteFileResumesWithARangeRequestAndIsCheckedWhole) {
  const auto file = some_bytes(100000);
  LocalHttpServer server([&](const LocalRequest& request) { return serve_range(file, request); });
  const auto target = path("unet.safetensors");
  std::ofstream(target + ".incomplete", std::ios::binary) << file.substr(0, 30000);

  const auto fetched = download_file(
      {download_request(server.url() + "/unet"), target, "unet", 100000, sha256_of(file)}, errors,
      {});
  EXPECT_EQ(fetched, 70000);
  EXPECT_EQ(read(target), file);
  EXPECT_FALSE(fs::exists(target + ".incomplete"));
  EXPECT_EQ(server.requests().at(0).headers.at("range"), "bytes=30000-");
}

TEST_F(FileDownloadTest, TheHubsTokenGoesToTheHubButNotToTheCdnItRedirectsTo) {
  const auto file = some_bytes(5000);
  LocalHttpServer cdn([&](const LocalRequest& request) { return serve_range(file, request); });
  LocalHttpServer hub([&](const LocalRequest&) {
    return LocalResponse{302, "", {{"Location", cdn.url() + "/cdn/blob"}}};
  });
  const HubClient client({.endpoint = hub.url(), .token = "hf_secret"});
  const auto target = path("model.safetensors");
  download_file({client.file_request("owner/repo", "c0ffee", "unet/my model.safetensors"), target,
                 "unet/my model.safetensors", 5000, sha256_of(file)},
                errors, {});
  EXPECT_EQ(read(target), file);
  const auto at_hub = hub.requests().at(0);
  EXPECT_EQ(at_hub.target, "/owner/repo/resolve/c0ffee/unet/my%20model.safetensors");
  EXPECT_EQ(at_hub.headers.at("authorization"), "Bearer hf_secret");
  const auto at_cdn = cdn.requests().at(0);
  EXPECT_EQ(at_cdn.target, "/cdn/blob");
  EXPECT_FALSE(at_cdn.headers.contains("authorization"));
}

TEST_F(FileDownloadTest, ACanceledDownloadStopsAndKeepsItsBytesToResume) {
  LocalHttpServer server([](const LocalRequest&) {
    std::this_thread::sleep_for(3s);
    return LocalResponse{206, "late", {{"Content-Range", "bytes 4-7/8"}}};
  });
  const auto target = path("model.safetensors");
  std::ofstream(target + ".incomplete", std::ios::binary) << "half";
  std::atomic<bool> cancel = false;
  std::thread canceler([&] {
    std::this_thread::sleep_for(100ms);
    cancel = true;
  });
  auto request = download_request(server.url() + "/model");
  request.cancel = &cancel;
  try {
    download_file({request, target, "model", 8, ""}, errors, {});
    ADD_FAILURE() << "a canceled download completed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::canceled);
  }
  canceler.join();
  EXPECT_EQ(read(target + ".incomplete"), "half");
  EXPECT_FALSE(fs::exists(target));
}

}  // namespace
}  // namespace rendermart::library
