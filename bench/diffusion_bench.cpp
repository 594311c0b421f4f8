// Times the local diffusion engine on a model folder whose weights are random (the time does not
// depend on their values): the text encoder, one UNet evaluation (batch 2 with classifier-free
// guidance), the VAE and TAESD decoders, and whole images; prints one JSON object. Driven by
// bench/diffusion_bench.py, which also runs the reference implementation.
//
//   diffusion_bench MODEL_DIR [--dtype float32|bfloat16] [--threads N] [--runs N] [--size PX]
//                   [--steps N] [--cfg X] [--decoder vae|taesd] [--profile FILE]
//                   [--cpu-isa auto|avx512_bf16|avx512|avx2|portable] [--profile-part
//                   unet|vae|taesd]
//
// --profile FILE: also writes torch's profile of one UNet evaluation (or with --profile-part, one
// VAE or TAESD decode) to FILE (Chrome trace JSON; bench/profile_summary.py FILE sums it per
// operation, the engine's kernels included).

#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "diffusion/engine.hpp"
#include "diffusion/runtime.hpp"
#include "diffusion/stable_diffusion.hpp"

using namespace rendermart::diffusion;

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

template <typename F>
nlohmann::json time_runs(int runs, F&& f) {
  f();  // warm-up: first-touch page faults and oneDNN primitive creation
  std::vector<double> seconds;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return {{"median", median(seconds)}, {"runs", seconds}};
}

}  // namespace

int main(int argc, char** argv) {
  restart_with_huge_pages(argv);
  if (argc < 2) {
    std::cerr
        << "usage: diffusion_bench MODEL_DIR [--dtype float32|bfloat16] [--threads N] [--runs N] "
           "[--size PX] [--steps N] [--cfg X] [--decoder vae|taesd] [--profile FILE] "
           "[--cpu-isa auto|avx512_bf16|avx512|avx2|portable] [--profile-part unet|vae|taesd]\n";
    return 2;
  }
  std::string dir = argv[1];
  std::string dtype = "float32";
  std::string decoder = "vae";
  std::string profile;
  std::string cpu_isa = "auto";
  std::string profile_part = "unet";
  int threads = 0;
  int runs = 3;
  int size = 512;
  int steps = 1;
  double cfg = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--dtype")
      dtype = value;
    else if (flag == "--threads")
      threads = std::stoi(value);
    else if (flag == "--runs")
      runs = std::stoi(value);
    else if (flag == "--size")
      size = std::stoi(value);
    else if (flag == "--steps")
      steps = std::stoi(value);
    else if (flag == "--cfg")
      cfg = std::stod(value);
    else if (flag == "--decoder")
      decoder = value;
    else if (flag == "--profile")
      profile = value;
    else if (flag == "--cpu-isa")
      cpu_isa = value;
    else if (flag == "--profile-part")
      profile_part = value;
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  try {
    const auto runtime = configure_runtime(threads, cpu_isa);
    c10::InferenceMode guard;
    const auto type = dtype == "bfloat16" ? at::kBFloat16 : at::kFloat;
    if (type == at::kBFloat16 && !bfloat16_supported()) throw bfloat16_unsupported();
    const auto folder = read_model_folder(dir, {}, false);
    RandomWeights weights(1234);
    const auto load_start = std::chrono::steady_clock::now();
    const StableDiffusion sd(folder, type, false, &weights);
    const double load_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();

    const bool guidance = sd.guidance_on(cfg);
    const int latent = size / folder.vae_scale_factor();
    auto generator = noise_generator(1);
    const auto latents = at::randn({1, folder.unet.in_channels, latent, latent}, generator);
    const auto conditioning =
        sd.condition("a photograph of an astronaut riding a horse", "", guidance, size, size);
    const auto batch = guidance ? at::cat({latents, latents}) : latents;
    const auto t = at::full({batch.size(0)}, 999.0, at::TensorOptions().dtype(at::kFloat));

    nlohmann::json out;
    out["runtime"] = runtime;
    out["dtype"] = dtype;
    out["size"] = size;
    out["load_seconds"] = load_seconds;
    out["weight_bytes"] = sd.weight_bytes();
    out["unet_batch"] = batch.size(0);
    out["text_encoder"] = time_runs(runs, [&] { sd.encode_prompt("a red fox at sunset"); });
    out["unet"] = time_runs(
        runs, [&] { sd.unet().forward(batch, t, conditioning.context, {}, conditioning.added); });
    out["vae_decode"] = time_runs(std::max(1, runs - 1), [&] { sd.decode(latents, false); });
    if (sd.has_taesd()) out["taesd_decode"] = time_runs(runs, [&] { sd.decode(latents, true); });
    const bool taesd = decoder == "taesd" && sd.has_taesd();
    out["image_decoder"] = taesd ? "taesd" : "vae";
    out["image_steps"] = steps;
    out["image"] = time_runs(runs, [&] {
      auto scheduler = make_scheduler(folder.scheduler_kind, folder.scheduler, steps);
      auto noise = noise_generator(7);
      const auto ctx = sd.condition("a red fox at sunset", "", guidance, size, size);
      auto x = at::randn({1, folder.unet.in_channels, latent, latent}, noise) *
               scheduler->init_noise_sigma();
      x = sd.denoise(x, ctx, cfg, *scheduler, noise, {});
      sd.decode(x, taesd);
    });
    if (!profile.empty()) {
      std::ofstream trace(profile);
      torch::autograd::profiler::RecordProfile recording(trace);
      if (profile_part == "vae" || profile_part == "taesd") {
        sd.decode(latents, profile_part == "taesd");
      } else {
        sd.unet().forward(batch, t, conditioning.context, {}, conditioning.added);
      }
    }
    const auto memory = memory_usage();
    out["peak_resident_bytes"] = memory.peak_resident_bytes;
    out["peak_tensor_bytes"] = memory.peak_tensor_bytes;
    std::cout << out.dump() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "diffusion_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
