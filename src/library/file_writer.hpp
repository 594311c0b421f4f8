#pragma once

// Appends downloaded bytes to a file, with errors that say what to do: a full disk is the one a
// user meets (a model is gigabytes).

#include <cstdint>
#include <string>

namespace rendermart::library {

class FileWriter {
 public:
  // Opens `path` for appending, creating it. Throws Error(storage_error).
  explicit FileWriter(std::string path);
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  // Throws Error(storage_error); for a full disk (ENOSPC, EDQUOT) the message says so and that
  // pulling again resumes.
  void append(const char* data, std::size_t size);
  // Empties the file (a server that ignored a Range request sends the whole file again).
  void truncate();
  std::uint64_t size() const { return size_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

// The error for a failed write of `path` with errno `error`.
[[noreturn]] void throw_write_error(const std::string& path, int error);

}  // namespace rendermart::library
