#pragma once

// Files and folders that hold users' data are created readable by this account only: other
// local accounts must not read the database (password hashes, session hashes) or the images.

#include <filesystem>

namespace rendermart {

// Creates the folder and any missing parents, each one it creates with mode 0700; folders that
// exist keep their mode. Throws std::filesystem::filesystem_error.
void create_private_directories(const std::filesystem::path& folder);

// Creates an empty file with mode 0600 unless it exists (an existing file keeps its mode).
// Throws std::filesystem::filesystem_error.
void create_private_file(const std::filesystem::path& file);

}  // namespace rendermart
