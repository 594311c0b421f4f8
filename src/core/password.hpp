#pragma once

#include <string>

namespace rendermart {

// Argon2id via libsodium, with its "interactive" limits (2 passes, 64 MiB): about a tenth of a
// second here, which bounds online guessing without making logins slow.
std::string hash_password(const std::string& password);
bool verify_password(const std::string& password, const std::string& hash);

}  // namespace rendermart
