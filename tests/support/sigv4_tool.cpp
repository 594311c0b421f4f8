// Test-only bridge from Node to the aws module's signer, for tests/integration/sigv4.test.mjs.
// Reads one JSON request per stdin line and writes one JSON answer per stdout line:
//   in:  {"method","path" (decoded),"query":[[name,value]..] (decoded),"headers":[[name,value]..],
//         "payload_hash" or "body","region","service","s3":bool,"access_key_id",
//         "secret_access_key","session_token","time":epoch seconds,"presign_expires"?:seconds}
//   out: {"authorization","headers":[[..]..]} for header signing, {"query"} for presigning,
//        or {"error"} when the signer refuses.

#include <nlohmann/json.hpp>

#include <iostream>
#include <string>

#include "aws/sigv4.hpp"

using namespace rendermart::aws;

namespace {

nlohmann::json answer(const nlohmann::json& in) {
  SignableRequest request;
  request.method = in.at("method");
  request.path = in.at("path");
  for (const auto& pair : in.value("query", nlohmann::json::array())) {
    request.query.emplace_back(pair.at(0), pair.at(1));
  }
  for (const auto& pair : in.value("headers", nlohmann::json::array())) {
    request.headers.emplace_back(pair.at(0), pair.at(1));
  }
  request.payload_hash = in.contains("payload_hash") ? in["payload_hash"].get<std::string>()
                                                     : sha256_hex(in.value("body", ""));
  const bool s3 = in.value("s3", false);
  const Signer signer({.region = in.at("region"),
                       .service = in.at("service"),
                       .s3_path_rules = s3,
                       .add_content_sha256_header = s3 && !in.contains("presign_expires")});
  const Credentials credentials{in.at("access_key_id"), in.at("secret_access_key"),
                                in.value("session_token", ""), std::nullopt};
  const Clock::time_point time{std::chrono::seconds(in.at("time").get<std::int64_t>())};
  if (in.contains("presign_expires")) {
    return {
        {"query", signer.presign(request, credentials, time,
                                 std::chrono::seconds(in["presign_expires"].get<std::int64_t>()))}};
  }
  signer.sign(request, credentials, time);
  nlohmann::json out = {{"headers", request.headers}};
  for (const auto& [name, value] : request.headers) {
    if (name == "Authorization") out["authorization"] = value;
  }
  return out;
}

}  // namespace

int main() {
  for (std::string line; std::getline(std::cin, line);) {
    if (line.empty()) continue;
    nlohmann::json out;
    try {
      out = answer(nlohmann::json::parse(line));
    } catch (const std::exception& e) {
      out = {{"error", e.what()}};
    }
    std::cout << out.dump() << std::endl;
  }
}
