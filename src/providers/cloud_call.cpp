#include "providers/cloud_call.hpp"

#include "core/error.hpp"

namespace rendermart {
namespace {

Error transport_failure(const net::TransportError& error, const std::string& where) {
  if (error.canceled()) return Error(ErrorCode::canceled, "generation canceled");
  return Error(ErrorCode::provider_error,
               where + (error.timed_out() ? " did not answer in time: " : " is unreachable: ") +
                   error.what());
}

}  // namespace

net::HttpResponse call_with_retries(
    const net::RetryPolicy& policy, const std::function<net::HttpResponse()>& attempt,
    const std::string& where, const std::function<bool(const net::HttpResponse&)>& retryable) {
  try {
    return net::with_retries(policy, attempt, retryable);
  } catch (const net::TransportError& e) {
    throw transport_failure(e, where);
  }
}

}  // namespace rendermart
