#include "providers/cloud_call.hpp"

#include "core/error.hpp"

namespace rendermart {
namespace {

Error transport_failure(const aws::TransportError& error, const std::string& where) {
  if (error.canceled()) return Error(ErrorCode::canceled, "generation canceled");
  return Error(ErrorCode::provider_error,
               where + (error.timed_out() ? " did not answer in time: " : " is unreachable: ") +
                   error.what());
}

}  // namespace

aws::HttpResponse call_with_retries(const aws::RetryPolicy& policy,
                                    const std::function<aws::HttpResponse()>& attempt,
                                    const std::string& where) {
  try {
    return aws::with_retries(policy, attempt);
  } catch (const aws::TransportError& e) {
    throw transport_failure(e, where);
  }
}

}  // namespace rendermart
