#include "blob/local/file_blob_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/private_files.hpp"

namespace rendermart {
namespace {

Error storage_error(const std::string& what, const std::filesystem::path& path) {
  return Error(ErrorCode::storage_error,
               what + " " + path.string() + ": " + std::strerror(errno) +
                   " (check that the storage directory exists and is writable)");
}

bool is_valid_key(const std::string& key) {
  if (key.empty() || key.size() > 512 || key.front() == '/') return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '/';
    if (!ok) return false;
  }
  return key.find("..") == std::string::npos && key.find("//") == std::string::npos;
}

void write_all(int fd, const std::string& bytes, const std::filesystem::path& path) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw storage_error("cannot write", path);
    }
    written += static_cast<std::size_t>(n);
  }
  // fsync before the file gets its name: after a crash the key holds either the old bytes or
  // all the new ones.
  if (::fsync(fd) != 0) throw storage_error("cannot flush", path);
}

// Closes the descriptor on every path out of put().
struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

FileBlobStore::FileBlobStore(std::filesystem::path root) : root_(std::move(root)) {
  try {
    create_private_directories(root_);
  } catch (const std::filesystem::filesystem_error& e) {
    throw Error(ErrorCode::storage_error, "cannot create the storage directory " + root_.string() +
                                              ": " + e.code().message());
  }
}

std::filesystem::path FileBlobStore::path_for(const std::string& key) const {
  if (!is_valid_key(key)) {
    throw Error(ErrorCode::internal, "invalid blob key '" + key + "'");
  }
  return root_ / key;
}

// The bytes go into an unnamed file (O_TMPFILE) that only gets a name once complete: a process
// that dies mid-write leaves nothing behind. A new key is linked in one step; an existing one is
// replaced through a short-lived temporary name and rename(2), which is atomic.
void FileBlobStore::put(const std::string& key, const std::string& bytes, const std::string&) {
  const auto path = path_for(key);
  const auto dir = path.parent_path();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const auto temporary = dir / ("." + path.filename().string() + "." + random_hex(6) + ".tmp");

  FileDescriptor file{::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644)};
  if (file.fd < 0) {
    // A file system without O_TMPFILE: write under the temporary name instead.
    file.fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (file.fd < 0) throw storage_error("cannot create", temporary);
    try {
      write_all(file.fd, bytes, temporary);
    } catch (const Error&) {
      ::unlink(temporary.c_str());
      throw;
    }
  } else {
    write_all(file.fd, bytes, path);
    const std::string self = "/proc/self/fd/" + std::to_string(file.fd);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0) return;
    if (errno != EEXIST) throw storage_error("cannot create", path);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, temporary.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      throw storage_error("cannot create", temporary);
    }
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const Error error = storage_error("cannot rename into", path);
    ::unlink(temporary.c_str());
    throw error;
  }
}

std::string FileBlobStore::get(const std::string& key) {
  const auto path = path_for(key);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) throw Error(ErrorCode::not_found, "stored file " + key + " not found");
    throw storage_error("cannot open", path);
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) throw storage_error("cannot read", path);
  return std::move(out).str();
}

std::optional<BlobInfo> FileBlobStore::head(const std::string& key) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path_for(key), ec);
  if (ec) return std::nullopt;
  return BlobInfo{static_cast<std::int64_t>(size)};
}

void FileBlobStore::remove(const std::string& key) {
  const auto path = path_for(key);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw storage_error("cannot delete", path);
}

std::optional<std::string> FileBlobStore::presigned_get_url(const std::string&,
                                                            std::chrono::seconds) {
  return std::nullopt;
}

void FileBlobStore::ping() {
  const std::string key = ".readyz-" + random_hex(4);
  put(key, "ok", "text/plain");
  const bool same = get(key) == "ok";
  remove(key);
  if (!same) throw Error(ErrorCode::storage_error, "storage returned different bytes than written");
}

}  // namespace rendermart
