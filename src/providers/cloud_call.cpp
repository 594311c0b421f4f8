#include "providers/cloud_call.hpp"

namespace rendermart {

Error transport_failure(const aws::TransportError& error, const std::string& where) {
  if (error.canceled()) return Error(ErrorCode::canceled, "generation canceled");
  return Error(ErrorCode::provider_error,
               where + (error.timed_out() ? " did not answer in time: " : " is unreachable: ") +
                   error.what());
}

}  // namespace rendermart
