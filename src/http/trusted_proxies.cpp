#include "http/trusted_proxies.hpp"

#include <boost/asio/ip/address.hpp>

#include <charconv>
#include <optional>

#include "core/error.hpp"
#include "core/list_setting.hpp"
#include "core/text.hpp"

namespace rendermart::http {
namespace {

namespace ip = boost::asio::ip;

// An address as 16 bytes, IPv4 as IPv4-mapped IPv6 so that both forms compare equal; nothing
// when the text is no address.
std::optional<std::array<std::uint8_t, 16>> address_bytes(std::string_view text) {
  boost::system::error_code ec;
  const auto address = ip::make_address(trim_space(text), ec);
  if (ec) return std::nullopt;
  const auto v6 =
      address.is_v4() ? ip::make_address_v6(ip::v4_mapped, address.to_v4()) : address.to_v6();
  std::array<std::uint8_t, 16> bytes{};
  const auto raw = v6.to_bytes();
  std::copy(raw.begin(), raw.end(), bytes.begin());
  return bytes;
}

bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                 int bits) {
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

}  // namespace

TrustedProxies TrustedProxies::parse(std::string_view list, const std::string& setting) {
  TrustedProxies proxies;
  for (const auto& entry : split_list(list)) {
    const auto slash = entry.find('/');
    const auto bytes = address_bytes(std::string_view(entry).substr(0, slash));
    const bool v4 = entry.find(':') == std::string::npos;
    int prefix = v4 ? 32 : 128;
    bool valid = bytes.has_value();
    if (valid && slash != std::string::npos) {
      const auto digits = std::string_view(entry).substr(slash + 1);
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      valid = ec == std::errc() && end == digits.data() + digits.size() && !digits.empty() &&
              prefix >= 0 && prefix <= (v4 ? 32 : 128);
    }
    if (!valid) {
      throw invalid_argument(setting, setting + ": '" + entry +
                                          "' is no address or network (write 10.0.0.0/8, "
                                          "192.168.1.7 or fd00::/8)");
    }
    proxies.networks_.push_back({*bytes, v4 ? prefix + 96 : prefix});
  }
  return proxies;
}

bool TrustedProxies::contains(std::string_view address) const {
  const auto bytes = address_bytes(address);
  if (!bytes) return false;
  for (const auto& network : networks_) {
    if (same_prefix(network.bytes, *bytes, network.prefix_bits)) return true;
  }
  return false;
}

std::string TrustedProxies::client_address(const Request& request) const {
  if (!forwarded(request)) return request.remote_address;
  std::string client = request.remote_address;
  std::vector<std::string> hops;
  for (const auto& [name, value] : request.headers) {
    if (name != "x-forwarded-for") continue;
    for (auto& hop : split_list(value)) hops.push_back(std::move(hop));
  }
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    if (!address_bytes(*hop)) break;  // garbage: what is left of it is the client's to say
    client = *hop;
    if (!contains(*hop)) break;
  }
  return client;
}

}  // namespace rendermart::http
