#include "library/file_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace rendermart::library {

void throw_write_error(const std::string& path, int error) {
  if (error == ENOSPC || error == EDQUOT) {
    throw Error(ErrorCode::storage_error,
                "the disk is full: cannot write " + path + " (" + std::strerror(error) +
                    "); free some space and pull again, the download resumes where it stopped");
  }
  throw Error(ErrorCode::storage_error, "cannot write " + path + ": " + std::strerror(error));
}

FileWriter::FileWriter(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_write_error(path_, errno);
  struct stat info {};
  if (::fstat(fd_, &info) == 0) size_ = static_cast<std::uint64_t>(info.st_size);
}

FileWriter::~FileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void FileWriter::append(const char* data, std::size_t size) {
  while (size > 0) {
    const auto written = ::write(fd_, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw_write_error(path_, errno);
    }
    data += written;
    size -= static_cast<std::size_t>(written);
    size_ += static_cast<std::uint64_t>(written);
  }
}

void FileWriter::truncate() {
  if (::ftruncate(fd_, 0) != 0) throw_write_error(path_, errno);
  size_ = 0;
}

}  // namespace rendermart::library
