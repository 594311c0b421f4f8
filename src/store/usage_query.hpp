#pragma once

// The SQL of Store::usage, written once for both backends: they differ only in how parameters
// are named.

#include <string>
#include <string_view>

namespace rendermart {

// One row: the user's jobs in flight, images asked for since the start of the day, and stored
// bytes. Jobs in flight come from jobs_status_user, the day's images from jobs_user_created and
// stored bytes from images_user_bytes, each from its index alone.
std::string usage_query(std::string_view user_param, std::string_view day_start_param);

}  // namespace rendermart
