// Times the local diffusion engine on a model folder whose weights are random (the time does not
// depend on their values): the text encoder, one UNet evaluation (batch 2 with classifier-free
// guidance), the VAE and TAESD decoders, and whole images; prints one JSON object. Driven by
// bench/diffusion_bench.py, which also runs the reference implementation.
//
//   diffusion_bench MODEL_DIR [--dtype float32|bfloat16] [--threads N] [--runs N] [--size PX]
//                   [--steps N] [--cfg X] [--decoder vae|taesd] [--profile FILE]
//                   [--cpu-isa auto|avx512_bf16|avx512|avx2|portable] [--profile-part
//                   unet|vae|taesd] [--lora-rank R]
//
// --lora-rank R: times LoRAs instead (nothing else): two random kohya LoRAs of rank R over every
// attention and feed-forward Linear layer of the UNet (named as kohya names SDXL's: by the
// original layout), the first merge, a merge from the base model (restore + merge), a switch from
// one to the other, and one UNet evaluation with a LoRA merged and without, in turn.
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
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "diffusion/checkpoint_layout.hpp"
#include "diffusion/engine.hpp"
#include "diffusion/lora.hpp"
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

// Random weights that also keep the name and shape of each Linear layer of the UNet's
// transformers that a kohya LoRA adapts (attention projections, feed-forward layers).
class RecordingWeights : public RandomWeights {
 public:
  using RandomWeights::RandomWeights;
  at::Tensor get(const std::string& name, at::IntArrayRef shape, at::ScalarType dtype) override {
    static const std::vector<std::string> kAdapted = {
        ".attn1.to_q.weight",     ".attn1.to_k.weight",     ".attn1.to_v.weight",
        ".attn1.to_out.0.weight", ".attn2.to_q.weight",     ".attn2.to_k.weight",
        ".attn2.to_v.weight",     ".attn2.to_out.0.weight", ".ff.net.0.proj.weight",
        ".ff.net.2.weight"};
    if (shape.size() == 2 && name.find(".transformer_blocks.") != std::string::npos &&
        std::any_of(kAdapted.begin(), kAdapted.end(),
                    [&](const std::string& end) { return name.ends_with(end); })) {
      adapted[name] = shape.vec();
    }
    return RandomWeights::get(name, shape, dtype);
  }
  std::map<std::string, std::vector<std::int64_t>> adapted;  // by diffusers name
};

// A random kohya LoRA of `rank` over `layers`, its modules named by the original layout.
std::shared_ptr<const Lora> random_lora(
    const std::map<std::string, std::vector<std::int64_t>>& layers, const UNetConfig& unet,
    std::int64_t rank, std::uint64_t seed) {
  auto generator = noise_generator(seed);
  std::map<std::string, at::Tensor> tensors;
  for (const auto& [name, shape] : layers) {
    auto module = original_unet_name(name, unet).value_or(name);
    module = "lora_unet_" + module.substr(0, module.size() - std::string(".weight").size());
    std::replace(module.begin(), module.end(), '.', '_');
    tensors[module + ".lora_down.weight"] = at::randn({rank, shape[1]}, generator) * 0.01;
    tensors[module + ".lora_up.weight"] = at::randn({shape[0], rank}, generator) * 0.01;
    tensors[module + ".alpha"] = at::scalar_tensor(static_cast<double>(rank));
  }
  return std::make_shared<const Lora>("random-rank-" + std::to_string(rank), tensors);
}

}  // namespace

int main(int argc, char** argv) {
  restart_with_huge_pages(argv);
  if (argc < 2) {
    std::cerr
        << "usage: diffusion_bench MODEL_DIR [--dtype float32|bfloat16] [--threads N] [--runs N] "
           "[--size PX] [--steps N] [--cfg X] [--decoder vae|taesd] [--profile FILE] "
           "[--cpu-isa auto|avx512_bf16|avx512|avx2|portable] [--profile-part unet|vae|taesd] "
           "[--lora-rank R]\n";
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
  int lora_rank = 0;
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
    else if (flag == "--lora-rank")
      lora_rank = std::stoi(value);
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
    RecordingWeights weights(1234);
    const auto load_start = std::chrono::steady_clock::now();
    StableDiffusion sd(folder, type, false, &weights);
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
    const auto unet = [&] {
      sd.unet().forward(batch, t, conditioning.context, {}, conditioning.added);
    };
    if (lora_rank > 0) {
      const auto a = random_lora(weights.adapted, folder.unet, lora_rank, 1);
      const auto b = random_lora(weights.adapted, folder.unet, lora_rank, 2);
      nlohmann::json lora{{"rank", lora_rank}, {"modules", a->modules().size()}};
      std::int64_t lora_bytes = 0;
      for (const auto& m : a->modules()) lora_bytes += m.down.nbytes() + m.up.nbytes();
      lora["lora_bytes"] = lora_bytes;
      const auto start = std::chrono::steady_clock::now();
      sd.apply_loras({{a, 1}});
      lora["first_merge_seconds"] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      lora["merge"] = time_runs(runs, [&] {
        sd.apply_loras({});
        sd.apply_loras({{a, 1}});
      });
      bool next_b = true;
      lora["switch"] = time_runs(runs, [&] {
        sd.apply_loras({{next_b ? b : a, 1}});
        next_b = !next_b;
      });
      // The UNet with and without a LoRA merged, in turn, so that a machine's changing load
      // weighs on both alike.
      const auto timed = [&](const std::vector<LoraUse>& loras) {
        sd.apply_loras(loras);
        const auto start_unet = std::chrono::steady_clock::now();
        unet();
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_unet).count();
      };
      timed({{a, 1}});
      timed({});
      std::vector<double> merged, base;
      for (int i = 0; i < runs; ++i) {
        merged.push_back(timed({{a, 1}}));
        base.push_back(timed({}));
      }
      lora["unet_merged"] = {{"median", median(merged)}, {"runs", merged}};
      lora["unet_base"] = {{"median", median(base)}, {"runs", base}};
      out["lora"] = lora;
      const auto memory = memory_usage();
      out["peak_resident_bytes"] = memory.peak_resident_bytes;
      std::cout << out.dump() << std::endl;
      return 0;
    }
    out["text_encoder"] = time_runs(runs, [&] { sd.encode_prompt("a red fox at sunset"); });
    out["unet"] = time_runs(runs, unet);
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
