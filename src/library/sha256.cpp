#include "library/sha256.hpp"

#include <openssl/evp.h>

#include <cstdint>
#include <fstream>
#include <vector>

#include "core/error.hpp"

namespace rendermart::library {

struct Sha256::State {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(context); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  if (!state_->context || EVP_DigestInit_ex(state_->context, EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorCode::internal, "cannot initialise SHA-256");
  }
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t size) {
  EVP_DigestUpdate(state_->context, data, size);
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(state_->context, digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

void hash_file_prefix(Sha256& hash, const std::string& path, std::uint64_t bytes) {
  constexpr std::size_t kChunk = 1 << 20;
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buffer(kChunk);
  while (bytes > 0 && in) {
    const auto want = static_cast<std::streamsize>(std::min<std::uint64_t>(bytes, kChunk));
    in.read(buffer.data(), want);
    hash.update(buffer.data(), static_cast<std::size_t>(in.gcount()));
    bytes -= static_cast<std::uint64_t>(in.gcount());
  }
  if (bytes > 0) throw Error(ErrorCode::storage_error, "cannot read " + path + " to check it");
}

}  // namespace rendermart::library
