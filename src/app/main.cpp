// rendermart: one binary, several roles (see `rendermart --help`).

#include <CLI/CLI.hpp>

#include <iostream>

#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/lambda_command.hpp"
#include "app/local_engine.hpp"
#include "app/logging.hpp"
#include "core/error.hpp"

using namespace rendermart;

int main(int argc, char** argv) {
  prepare_local_engine(argv);
  CLI::App app{"RenderMart: generate, store and manage AI images", "rendermart"};
  app.require_subcommand(1);
  Config config;
  const auto all = {ConfigGroup::server, ConfigGroup::workers, ConfigGroup::storage,
                    ConfigGroup::logging, ConfigGroup::providers};

  auto* serve = app.add_subcommand("serve", "All in one: API, workers and the web app");
  add_config_options(*serve, config, all);
  auto* api = app.add_subcommand("api", "HTTP API only (scale out behind a load balancer)");
  add_config_options(*api, config, {ConfigGroup::server, ConfigGroup::storage, ConfigGroup::logging,
                                    ConfigGroup::providers});
  auto* worker = app.add_subcommand("worker", "Generation workers only (health and metrics on --port)");
  add_config_options(*worker, config, all);
  auto* migrate = app.add_subcommand("migrate", "Apply database migrations and exit");
  add_config_options(*migrate, config, {ConfigGroup::storage, ConfigGroup::logging});

  GenerateOptions generate_options;
  auto* generate = app.add_subcommand("generate", "Generate images into files, without a server");
  generate->add_option("prompt", generate_options.prompt, "What to draw")->required();
  generate->add_option("-n,--negative-prompt", generate_options.negative_prompt, "What to avoid");
  generate->add_option("-m,--model", generate_options.model, "Model id")->capture_default_str();
  generate->add_option("--style", generate_options.style, "Style preset of the model");
  generate->add_option("--size", generate_options.size, "WIDTHxHEIGHT")->capture_default_str();
  generate->add_option("--steps", generate_options.steps, "Steps (default: the model's)");
  generate->add_option("--cfg-scale", generate_options.cfg_scale, "CFG scale (default: the model's)");
  generate->add_option("--seed", generate_options.seed, "Seed (default: random)");
  generate->add_option("--count", generate_options.count, "Images to make")->capture_default_str();
  generate->add_option("-o,--output", generate_options.output, "PNG file to write")
      ->capture_default_str();
  add_config_options(*generate, config, {ConfigGroup::logging, ConfigGroup::providers});

  auto* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  auto* user_create = user->add_subcommand("create", "Create a user (works with registration closed)");
  std::string email;
  std::string password;
  bool admin = false;
  user_create->add_option("--email", email, "E-mail address")->required();
  user_create->add_option("--password", password,
                          "Password (default: read a line from standard input)");
  user_create->add_flag("--admin", admin, "Make the user an administrator");
  add_config_options(*user_create, config, {ConfigGroup::storage, ConfigGroup::logging});

  auto* lambda = app.add_subcommand(
      "lambda", "AWS Lambda custom runtime: API Gateway events through the API's routes");
  add_config_options(*lambda, config, all);
  auto* providers = app.add_subcommand("providers", "Cloud model providers");
  providers->require_subcommand(1);
  auto* providers_check = providers->add_subcommand(
      "check", "Check credentials and model access against the live services; print what is usable");
  add_config_options(*providers_check, config, {ConfigGroup::providers, ConfigGroup::logging});

  auto* config_command = app.add_subcommand("config", "Print the table of settings (Markdown)");
  auto* version = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (*version) {
      std::cout << "rendermart " << RENDERMART_VERSION << "\n";
      std::cout << local_engine_description() << "\n";
      return 0;
    }
    if (*config_command) {
      std::cout << settings_table();
      return 0;
    }
    check_environment();
    finish_config(config);
    setup_logging(config.log_level, config.log_format);
    if (*serve) return run_server(config, Role::serve);
    if (*api) return run_server(config, Role::api);
    if (*worker) return run_server(config, Role::worker);
    if (*migrate) return run_migrate(config);
    if (*generate) return run_generate(config, generate_options);
    if (*user_create) return run_user_create(config, email, password, admin);
    if (*lambda) return run_lambda(config);
    if (*providers_check) return run_providers_check(config);
  } catch (const Error& e) {
    std::cerr << "rendermart: " << e.what() << " [" << to_string(e.code()) << "]\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "rendermart: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
