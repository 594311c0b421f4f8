#pragma once

// The reverse proxies (load balancers, ingress controllers) whose forwarded headers this server
// believes: X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host. A request from any other
// address is taken as it came, whatever it says it was forwarded for.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace rendermart::http {

class TrustedProxies {
 public:
  TrustedProxies() = default;

  // A comma-separated list of addresses and networks: "10.0.0.0/8, 192.168.1.7, fd00::/8".
  // Throws Error(invalid_argument) naming `setting` for an entry that is neither.
  static TrustedProxies parse(std::string_view list, const std::string& setting);

  bool empty() const { return networks_.empty(); }
  // Whether `address` (IPv4, IPv6 or IPv4-mapped IPv6, as a socket reports it) is one of them.
  bool contains(std::string_view address) const;
  // Whether the request came straight from one of them.
  bool forwarded(const Request& request) const { return contains(request.remote_address); }

  // The address of the client behind the proxies: X-Forwarded-For read from the right (each
  // proxy appends the address it received from), skipping trusted proxies; the request's own
  // address when it did not come from a trusted proxy.
  std::string client_address(const Request& request) const;

 private:
  struct Network {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    int prefix_bits = 0;                   // of the 128
  };
  std::vector<Network> networks_;
};

}  // namespace rendermart::http
