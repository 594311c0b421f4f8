#include "core/private_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace rendermart {

namespace fs = std::filesystem;

void create_private_directories(const fs::path& folder) {
  if (folder.empty() || fs::exists(folder)) return;
  create_private_directories(folder.parent_path());
  // mkdir applies the umask, which cannot widen 0700.
  if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
    throw fs::filesystem_error("cannot create the folder", folder,
                               std::error_code(errno, std::generic_category()));
  }
}

void create_private_file(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  if (errno != EEXIST) {
    throw fs::filesystem_error("cannot create the file", file,
                               std::error_code(errno, std::generic_category()));
  }
}

}  // namespace rendermart
