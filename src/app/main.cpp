// rendermart: one binary, several roles (see `rendermart --help`).

#include <CLI/CLI.hpp>

#include <iostream>
#include <string_view>

#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/lambda_command.hpp"
#include "app/local_engine.hpp"
#include "app/logging.hpp"
#include "app/models_command.hpp"
#include "core/error.hpp"

using namespace rendermart;

// The commands that may run the engine in this process; the others (models, user, config...)
// start faster without its preparation (which may start the program again).
bool runs_engine(int argc, char** argv) {
  if (argc < 2) return false;
  const std::string_view command = argv[1];
  return command == "serve" || command == "api" || command == "worker" || command == "generate" ||
         command == "lambda";
}

int main(int argc, char** argv) {
  if (runs_engine(argc, argv)) prepare_local_engine(argv);
  CLI::App app{"RenderMart: generate, store and manage AI images", "rendermart"};
  app.require_subcommand(1);
  Config config;
  const auto all = {ConfigGroup::server, ConfigGroup::workers, ConfigGroup::storage,
                    ConfigGroup::logging, ConfigGroup::providers};

  auto* serve = app.add_subcommand("serve", "All in one: API, workers and the web app");
  add_config_options(*serve, config, all);
  auto* api = app.add_subcommand("api", "HTTP API only (scale out behind a load balancer)");
  add_config_options(
      *api, config,
      {ConfigGroup::server, ConfigGroup::storage, ConfigGroup::logging, ConfigGroup::providers});
  auto* worker =
      app.add_subcommand("worker", "Generation workers only (health and metrics on --port)");
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
  generate->add_option("--cfg-scale", generate_options.cfg_scale,
                       "CFG scale (default: the model's)");
  generate->add_option("--seed", generate_options.seed, "Seed (default: random)");
  generate->add_option("--count", generate_options.count, "Images to make")->capture_default_str();
  generate->add_option("-o,--output", generate_options.output, "PNG file to write")
      ->capture_default_str();
  add_config_options(*generate, config, {ConfigGroup::logging, ConfigGroup::providers});

  auto* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  auto* user_create =
      user->add_subcommand("create", "Create a user (works with registration closed)");
  std::string email;
  std::string password;
  bool admin = false;
  user_create->add_option("--email", email, "E-mail address")->required();
  user_create->add_option("--password", password,
                          "Password (default: read a line from standard input)");
  user_create->add_flag("--admin", admin, "Make the user an administrator");
  add_config_options(*user_create, config, {ConfigGroup::storage, ConfigGroup::logging});

  auto* invite = app.add_subcommand("invite", "Invitations to register (registration invite)");
  invite->require_subcommand(1);
  auto* invite_create = invite->add_subcommand("create", "Create a single-use invitation code");
  std::string invite_admin;
  invite_create
      ->add_option("--admin", invite_admin, "E-mail address of the administrator it is from")
      ->required();
  add_config_options(*invite_create, config, {ConfigGroup::storage, ConfigGroup::logging});

  auto* models = app.add_subcommand(
      "models",
      "The local model library: pull from the Hugging Face Hub or a URL, add, list, remove");
  models->require_subcommand(1);
  ModelsPullOptions pull_options;
  auto* models_pull = models->add_subcommand(
      "pull",
      "Download a model: a Hub repository OWNER/NAME[@REVISION] in the diffusers layout, or "
      "an https URL of one .safetensors checkpoint (HF_ENDPOINT, HF_TOKEN as for huggingface_hub)");
  models_pull->add_option("source", pull_options.source, "OWNER/NAME[@REVISION] or URL")
      ->required();
  models_pull->add_option("--name", pull_options.name,
                          "Install under this name (default: the source's)");
  models_pull
      ->add_option("--variant", pull_options.variant,
                   "Weights: auto (fp16 when the repository has them), fp16 or full")
      ->capture_default_str();
  models_pull->add_flag("--lora", pull_options.lora,
                        "Download a LoRA (kohya / AUTOMATIC1111 format) of a Hub repository of "
                        "LoRAs into the models folder's loras/ (named --name, else by its "
                        "file, else by the repository)");
  models_pull
      ->add_option("--file", pull_options.file,
                   "With --lora: the repository's .safetensors file to take (needed when it "
                   "holds several)")
      ->needs("--lora");
  std::string add_path;
  std::string model_name;
  auto* models_add = models->add_subcommand(
      "add", "Copy a diffusers model folder or a .safetensors checkpoint into the models folder");
  models_add->add_option("path", add_path, "FOLDER or FILE.safetensors")->required();
  models_add->add_option("--name", model_name,
                         "Install under this name (default: the folder's or file's)");
  auto* models_list =
      models->add_subcommand("list", "List the installed models and whether each is usable");
  auto* models_remove = models->add_subcommand("remove", "Delete an installed model");
  models_remove->add_option("name", model_name, "NAME, as `models list` shows it")->required();
  for (auto* command : {models_pull, models_add, models_list, models_remove}) {
    add_config_options(*command, config,
                       {ConfigGroup::storage, ConfigGroup::logging, ConfigGroup::providers});
  }

  auto* lambda = app.add_subcommand(
      "lambda", "AWS Lambda custom runtime: API Gateway events through the API's routes");
  add_config_options(*lambda, config, all);
  auto* providers = app.add_subcommand("providers", "Cloud model providers");
  providers->require_subcommand(1);
  auto* providers_check = providers->add_subcommand(
      "check",
      "Check credentials and model access against the live services; print what is usable");
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
    if (*invite_create) return run_invite_create(config, invite_admin);
    if (*models_pull) return run_models_pull(config, pull_options);
    if (*models_add) return run_models_add(config, add_path, model_name);
    if (*models_list) return run_models_list(config);
    if (*models_remove) return run_models_remove(config, model_name);
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
