#include "core/password.hpp"

#include <sodium.h>

#include "core/error.hpp"

namespace rendermart {

std::string hash_password(const std::string& password) {
  if (sodium_init() < 0) throw Error(ErrorCode::internal, "libsodium failed to initialise");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw Error(ErrorCode::internal, "out of memory while hashing a password");
  }
  return out;
}

bool verify_password(const std::string& password, const std::string& hash) {
  if (sodium_init() < 0) throw Error(ErrorCode::internal, "libsodium failed to initialise");
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace rendermart
