#pragma once

// Appends JSON text to one string as it goes, without building a document tree first: response
// rendering was dominated by allocating, filling and destroying nlohmann::json trees.
//
// The output is compact and byte-for-byte what nlohmann::json::dump(-1, ' ', false,
// error_handler_t::replace) writes for the same values, so callers that list object keys in
// alphabetical order (the order nlohmann::json keeps them in) produce the same responses.

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

namespace rendermart {

class JsonWriter {
 public:
  void begin_object();
  void end_object();
  void begin_array();
  void end_array();

  // An object member's name; the next call writes its value.
  void key(std::string_view name);

  // Strings are escaped; bytes that are not valid UTF-8 become U+FFFD, so the output is valid
  // JSON whatever the input.
  void value(std::string_view text);
  void value(const char* text) { value(std::string_view(text)); }
  void value(const std::string& text) { value(std::string_view(text)); }
  void value(bool flag);
  // Non-finite numbers have no JSON form: they are written as null, as nlohmann does.
  void value(double number);
  void value(std::int64_t number);
  void value(std::uint64_t number);
  // Any other integer type, widened; without this, int would be ambiguous between the overloads.
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, std::int64_t> &&
           !std::same_as<T, std::uint64_t>) void value(T number) {
    if constexpr (std::signed_integral<T>) {
      value(static_cast<std::int64_t>(number));
    } else {
      value(static_cast<std::uint64_t>(number));
    }
  }
  void null();

  // Room for `bytes` of output, so that a large document grows its buffer once.
  void reserve(std::size_t bytes) { out_.reserve(bytes); }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  // A comma before every value or key except the first in its container.
  void separate();

  std::string out_;
  bool need_comma_ = false;
};

// Appends `text` as a quoted, escaped JSON string.
void append_json_string(std::string& out, std::string_view text);

// Appends `number` the way nlohmann::json formats a double: shortest round-trip digits, always
// with a fraction or exponent ("7.0", "0.25", "1e+16"). For rare values nlohmann's Grisu2
// picks other digits (92771317663981.125: ...12 here, ...13 there) or one more than needed
// (1.25879917184265: ...2650 there); both read back as the same double.
void append_json_number(std::string& out, double number);

}  // namespace rendermart
