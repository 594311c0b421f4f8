#pragma once

#include <string>

#include "app/config.hpp"

namespace rendermart {

enum class Role { serve, api, worker };

// Each returns the process exit code.
int run_server(const Config& config, Role role);
int run_migrate(const Config& config);

struct GenerateOptions {
  std::string prompt;
  std::string negative_prompt;
  std::string model = "procedural";
  std::string style;
  std::string size = "512x512";
  int steps = 0;         // 0: the model's default
  double cfg_scale = 0;  // 0: the model's default
  long long seed = -1;   // -1: random
  int count = 1;
  std::string output = "rendermart.png";  // with count > 1: name-1.png, name-2.png, ...
};
int run_generate(const Config& config, const GenerateOptions& options);

// Checks the configured cloud providers against their live services and prints which models
// are usable; 1 when one is not.
int run_providers_check(const Config& config);

int run_user_create(const Config& config, const std::string& email, std::string password,
                    bool admin);

// Creates a single-use invitation to register (registration "invite") on behalf of the
// administrator with that e-mail, and prints its code (shown only this once).
int run_invite_create(const Config& config, const std::string& admin_email);

}  // namespace rendermart
