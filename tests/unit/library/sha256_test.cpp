#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "library/sha256.hpp"

namespace rendermart::library {
namespace {

TEST(Sha256, KnownDigests) {
  Sha256 empty;
  EXPECT_EQ(empty.hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.update("abc", 3);
  EXPECT_EQ(abc.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, PiecesHashLikeTheWhole) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += static_cast<char>(i * 7 + 3);
  Sha256 whole;
  whole.update(data.data(), data.size());
  Sha256 pieces;
  for (std::size_t at = 0; at < data.size(); at += 777) {
    pieces.update(data.data() + at, std::min<std::size_t>(777, data.size() - at));
  }
  EXPECT_EQ(pieces.hex_digest(), whole.hex_digest());
}

TEST(Sha256, AFilePrefixThenTheRestIsTheWholeFile) {
  const auto path = std::filesystem::temp_directory_path() / "rendermart-sha256-test.bin";
  std::string data(3 * 1024 * 1024 + 17, 'x');
  for (std::size_t i = 0; i < data.size(); i += 4096) data[i] = static_cast<char>(i);
  std::ofstream(path, std::ios::binary)
      .write(data.data(), static_cast<std::streamsize>(data.size()));

  Sha256 resumed;  // what a resumed download does: the bytes on disk, then the streamed rest
  hash_file_prefix(resumed, path.string(), 2 * 1024 * 1024 + 5);
  resumed.update(data.data() + 2 * 1024 * 1024 + 5, data.size() - (2 * 1024 * 1024 + 5));
  Sha256 whole;
  whole.update(data.data(), data.size());
  EXPECT_EQ(resumed.hex_digest(), whole.hex_digest());

  Sha256 too_long;
  EXPECT_THROW(hash_file_prefix(too_long, path.string(), data.size() + 1), Error);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace rendermart::library
