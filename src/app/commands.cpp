#include "app/commands.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <spdlog/spdlog.h>

#include "app/progress_bar.hpp"
#include "app/wiring.hpp"
#include "core/error.hpp"
#include "core/iso_time.hpp"
#include "http/server.hpp"
#include "providers/bedrock/bedrock_check.hpp"
#include "services/image_files.hpp"
#include "services/session_cache.hpp"

namespace rendermart {
namespace {

// Blocks SIGINT and SIGTERM in every thread started after this, so that the main thread can
// wait for them with sigwait and shut down in order.
sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int wait_for_shutdown_signal(const sigset_t& set) {
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

http::ServerOptions server_options(const Config& config) {
  http::ServerOptions options;
  options.address = config.bind;
  options.port = static_cast<unsigned short>(config.port);
  // A handler holds its thread while it waits for the database, the blob store or a file, so
  // threads that only waited would leave the cores idle: four per core keep them busy (on
  // PostgreSQL, 2 to 8 threads on 2 cores took the image list from 1,771 to 2,441 requests/s,
  // bench/read_api_bench.py). Each idle thread costs a stack mapping, not memory.
  constexpr unsigned kThreadsPerCore = 4;
  options.threads =
      config.http_threads > 0
          ? config.http_threads
          : static_cast<int>(kThreadsPerCore * std::max(1u, std::thread::hardware_concurrency()));
  options.max_body_bytes = config.max_body_bytes;
  // An upload's file, with room for the multipart envelope and the title and tags around it.
  constexpr std::size_t kFormOverhead = 64 * 1024;
  const auto upload_body = static_cast<std::size_t>(config.max_upload_bytes) + kFormOverhead;
  options.route_body_limits = {{http::Method::POST, "/api/v1/images", upload_body},
                               {http::Method::POST, "/v1/images/edits", upload_body},
                               {http::Method::POST, "/v1/images/variations", upload_body}};
  return options;
}

std::pair<int, int> parse_size(const std::string& text) {
  int width = 0;
  int height = 0;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%dx%d%c", &width, &height, &extra) != 2) {
    throw invalid_argument("size", "size must look like 768x512");
  }
  return {width, height};
}

std::string output_name(const std::string& output, int index, int count) {
  if (count == 1) return output;
  const auto dot = output.rfind('.');
  const auto stem = dot == std::string::npos ? output : output.substr(0, dot);
  const auto extension = dot == std::string::npos ? ".png" : output.substr(dot);
  return stem + "-" + std::to_string(index + 1) + extension;
}

}  // namespace

int run_server(const Config& config, Role role) {
  const auto signals = block_shutdown_signals();
  spdlog::info("rendermart {} starting ({}): {}", RENDERMART_VERSION,
               role == Role::serve ? "serve"
               : role == Role::api ? "api"
                                   : "worker",
               describe(config));
  Platform platform(config);

  std::unique_ptr<WorkerPool> workers;
  if (role != Role::api && config.workers > 0) {
    workers = platform.make_workers();
    workers->start();
  }
  const auto router = role == Role::worker ? platform.worker_router() : platform.api_router();
  http::Server server(server_options(config), router, platform.metrics);
  server.start();
  spdlog::info("listening on http://{}:{}/", config.bind, server.port());

  const int signal = wait_for_shutdown_signal(signals);
  spdlog::info("received {}, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  // New requests stop first, so that nothing queues work the workers will no longer take.
  server.stop();
  if (workers) workers->stop();
  server.wait();
  spdlog::info("stopped");
  return 0;
}

int run_migrate(const Config& config) {
  auto store = open_store(config.database_url);
  store->migrate();
  spdlog::info("database is up to date");
  return 0;
}

int run_generate(const Config& config, const GenerateOptions& options) {
  const auto catalog = build_catalog(config);
  GenerationRequest request;
  request.prompt = options.prompt;
  request.negative_prompt = options.negative_prompt;
  request.model = options.model;
  if (!options.style.empty()) request.style = options.style;
  const auto [width, height] = parse_size(options.size);
  request.width = width;
  request.height = height;
  if (options.steps > 0) request.steps = options.steps;
  if (options.cfg_scale > 0) request.cfg_scale = options.cfg_scale;
  if (options.seed >= 0) {
    if (options.seed > 4294967295LL)
      throw invalid_argument("seed", "seed must be at most 4294967295");
    request.seed = static_cast<std::uint32_t>(options.seed);
  }
  request.count = options.count;
  const auto params = resolve_generation(request, Preferences{}, *catalog, config.default_model);
  const ModelInfo model = catalog->model(params.model);

  const bool terminal = isatty(STDERR_FILENO) != 0;
  CancelFlag cancel{false};
  const auto images = catalog->provider_for(params.model)
                          ->generate(
                              params, GenerationInputs{},
                              [&](const ProgressUpdate& p) {
                                if (terminal) draw_progress(p.fraction);
                              },
                              cancel);
  if (terminal) end_progress();

  for (std::size_t i = 0; i < images.size(); ++i) {
    auto image_params = params;
    image_params.seed = params.seed + static_cast<std::uint32_t>(i);
    image_params.count = 1;
    const auto png = generated_png(images[i], image_params, model.name);
    const auto path = output_name(options.output, static_cast<int>(i), params.count);
    std::ofstream out(path, std::ios::binary);
    out.write(png.data(), static_cast<std::streamsize>(png.size()));
    if (!out) throw Error(ErrorCode::storage_error, "cannot write " + path);
    std::cout << path << " (" << image_params.width << "x" << image_params.height << ", seed "
              << image_params.seed << ")\n";
  }
  return 0;
}

int run_providers_check(const Config& config) {
  const auto bedrock = bedrock_client(config);
  const auto openai = openai_provider(config);
  if (!bedrock && !openai) {
    std::cout << "No cloud provider is configured: set RENDERMART_BEDROCK_REGION (Amazon Bedrock) "
                 "or RENDERMART_OPENAI_BASE_URL / RENDERMART_OPENAI_API_KEY.\n";
    return 0;
  }
  bool all_usable = true;
  const auto print = [&](const std::vector<ModelCheck>& checks) {
    for (const auto& check : checks) {
      all_usable = all_usable && check.usable;
      std::cout << "  " << (check.usable ? "usable      " : "NOT USABLE  ") << check.model << ": "
                << check.detail << "\n";
      if (!check.warning.empty()) std::cout << "  WARNING     " << check.warning << "\n";
    }
  };
  if (bedrock) {
    std::cout << "Amazon Bedrock in " << bedrock->options().region << " ("
              << bedrock->options().runtime_endpoint << ")\n";
    try {
      print(check_bedrock(*bedrock, bedrock_model_ids(config)));
    } catch (const Error& e) {
      all_usable = false;
      std::cout << "  NOT USABLE  " << e.what() << "\n";
    }
  }
  if (openai) {
    std::cout << "OpenAI-compatible API at " << config.openai_base_url << "\n";
    try {
      print(openai->check());
    } catch (const Error& e) {
      all_usable = false;
      std::cout << "  NOT USABLE  " << e.what() << "\n";
    }
  }
  return all_usable ? 0 : 1;
}

int run_user_create(const Config& config, const std::string& email, std::string password,
                    bool admin) {
  if (password.empty()) {
    // Read from standard input so that the password stays out of the shell history.
    std::getline(std::cin, password);
  }
  auto store = open_store(config.database_url);
  store->migrate();
  SessionCache sessions;  // stays off: a command serves no signed-in requests
  AccountService accounts(*store, sessions, AccountOptions{});
  const auto user = accounts.create_user(email, password, admin);
  std::cout << "created " << (admin ? "administrator " : "user ") << user.email << " (" << user.id
            << ")\n";
  return 0;
}

int run_invite_create(const Config& config, const std::string& admin_email) {
  auto store = open_store(config.database_url);
  store->migrate();
  const auto admin = store->find_user_by_email(admin_email);
  if (!admin || !admin->is_admin) {
    throw invalid_argument("admin", admin_email +
                                        " is not an administrator: name one, or create "
                                        "one with `rendermart user create --admin`");
  }
  SessionCache sessions;  // stays off: a command serves no signed-in requests
  AccountService accounts(*store, sessions, AccountOptions{});
  const auto created = accounts.create_invitation(*admin);
  std::cout << "invitation code " << created.code << " (single use, until "
            << format_iso8601(created.invitation.expires_at) << ")\n";
  return 0;
}

}  // namespace rendermart
