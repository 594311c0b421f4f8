#pragma once

// SHA-256 over data that arrives in pieces (a download as it streams to disk), so that a large
// file is checked without being held in memory or read twice.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace rendermart::library {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  // Lowercase hex of the digest of everything so far; the object is then spent.
  std::string hex_digest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Feeds the first `bytes` bytes of the file at `path` to `hash`, in chunks. Throws
// Error(storage_error) naming the file when it cannot be read or is shorter.
void hash_file_prefix(Sha256& hash, const std::string& path, std::uint64_t bytes);

}  // namespace rendermart::library
