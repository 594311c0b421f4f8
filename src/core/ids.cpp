#include "core/ids.hpp"

#include <sodium.h>

#include <array>
#include <chrono>

#include "core/error.hpp"

namespace rendermart {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kIdLength = 26;

void ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw Error(ErrorCode::internal, "libsodium failed to initialise");
}

std::string to_base64url(const unsigned char* data, std::size_t size) {
  std::string out(sodium_base64_encoded_len(size, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

}  // namespace

std::string to_base64(std::string_view data) {
  std::string out(sodium_base64_encoded_len(data.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()),
                    data.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

Millis now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string new_id() {
  ensure_sodium();
  std::array<unsigned char, 10> random{};
  randombytes_buf(random.data(), random.size());
  auto time = static_cast<std::uint64_t>(now_millis());

  std::string id(kIdLength, '0');
  // 10 characters of time (50 bits, top 2 always zero), then 16 of randomness (80 bits).
  for (int i = 9; i >= 0; --i) {
    id[static_cast<std::size_t>(i)] = kCrockford[time & 31];
    time >>= 5;
  }
  std::uint64_t bits = 0;
  int available = 0;
  std::size_t pos = 10;
  for (unsigned char byte : random) {
    bits = (bits << 8) | byte;
    available += 8;
    while (available >= 5) {
      available -= 5;
      id[pos++] = kCrockford[(bits >> available) & 31];
    }
  }
  return id;
}

std::string random_hex(std::size_t bytes) {
  ensure_sodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.pop_back();
  return hex;
}

std::string random_token(std::size_t bytes) {
  ensure_sodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return to_base64url(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string sha256_hex(std::string_view data) {
  ensure_sodium();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size());
  std::string hex(digest.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  hex.pop_back();
  return hex;
}

std::string encode_cursor(const std::string& id) {
  ensure_sodium();
  return to_base64url(reinterpret_cast<const unsigned char*>(id.data()), id.size());
}

std::string decode_cursor(const std::string& cursor) {
  ensure_sodium();
  std::string raw(cursor.size(), '\0');
  std::size_t length = 0;
  const bool decoded = sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(),
                                         cursor.data(), cursor.size(), nullptr, &length, nullptr,
                                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0;
  raw.resize(length);
  const bool is_id =
      decoded && raw.size() == kIdLength && raw.find_first_not_of(kCrockford) == std::string::npos;
  if (!is_id) throw invalid_argument("cursor", "cursor is not one returned by this API");
  return raw;
}

}  // namespace rendermart
