#include "providers/local/local_provider.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/lora_tags.hpp"
#include "diffusion/caching_allocator.hpp"
#include "diffusion/runtime.hpp"
#include "imaging/mask_blend.hpp"

namespace rendermart {
namespace {

constexpr int kDefaultSteps = 25;
constexpr int kDefaultLcmSteps = 4;
// Adversarially distilled models (SD-Turbo, SDXL-Turbo) make an image in 1 to 4 steps without
// classifier-free guidance (their model cards): more steps or guidance spoil the picture.
constexpr int kTurboSteps = 1;
constexpr int kTurboMaxSteps = 4;
constexpr int kMaxSteps = 100;
constexpr double kDefaultCfgScale = 7.5;
constexpr int kMaxCount = 4;
// Upscaling denoises the enlarged latents at this strength: AUTOMATIC1111's hires fix with a
// latent upscaler needs more than about half (its documentation: below that the bilinear
// enlargement stays blurred), and much more re-imagines the picture instead of adding detail.
constexpr double kUpscaleStrength = 0.55;

std::string architecture(const diffusion::ModelFolder& folder) {
  if (folder.sdxl()) return "Stable Diffusion XL";
  const int context = folder.unet.cross_attention_dim;
  if (context == 768) return "Stable Diffusion 1.x";
  if (context == 1024) return "Stable Diffusion 2.x";
  return "Stable Diffusion (context width " + std::to_string(context) + ")";
}

// A Turbo model says so in its name (stabilityai/sd-turbo, stabilityai/sdxl-turbo and the
// community models built on them); nothing in its configs tells it from its base model.
bool is_turbo(const diffusion::ModelFolder& folder) {
  for (auto name : {folder.id, folder.settings.name}) {
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name.find("turbo") != std::string::npos) return true;
  }
  return false;
}

std::string loras_dir(const LocalProviderOptions& options) { return options.models_dir + "/loras"; }

std::vector<LoraFile> scan_loras(const std::string& dir, const std::vector<LoraFile>& known) {
  auto loras = scan_lora_files(dir, known);
  for (const auto& lora : loras) {
    spdlog::info("LoRA {} found ({})", lora.name,
                 lora.family.empty() ? "family unknown" : lora.family);
  }
  return loras;
}

ModelInfo describe(const diffusion::ModelFolder& folder, const LocalProviderOptions& options,
                   const std::vector<LoraFile>& loras) {
  const auto& s = folder.settings;
  const bool lcm = folder.scheduler_kind == diffusion::SchedulerKind::lcm;
  const bool turbo = !lcm && is_turbo(folder);
  ModelInfo info;
  info.id = folder.id;
  info.name = s.name;
  info.provider = "local";
  info.kind = "local";
  info.family = local_model_family(folder);
  info.size_bytes = static_cast<std::int64_t>(folder.weight_bytes);
  info.source = s.source;
  info.license = s.license;
  const bool taesd = options.decoder == "taesd" && folder.taesd;
  info.description =
      !s.description.empty()
          ? s.description
          : architecture(folder) + " (" + folder.scheduler.prediction_type +
                " prediction), run in this process on the CPU by the local engine; sampler " +
                to_string(folder.scheduler_kind) + ", decoder " + (taesd ? "TAESD" : "VAE") +
                ". Seeds reproduce diffusers' results on a CPU.";
  const int factor = folder.vae_scale_factor();
  const int native = s.default_size.value_or(folder.native_size());
  info.size_multiple = std::max(8, factor);
  info.min_side = std::max(64, info.size_multiple);
  info.max_side = std::min(2048, std::max(native * 2, info.min_side));
  info.default_size = {native, native};
  info.max_count = kMaxCount;
  const int max_steps = s.max_steps.value_or(lcm     ? folder.scheduler.original_inference_steps
                                             : turbo ? kTurboMaxSteps
                                                     : kMaxSteps);
  const int steps = lcm ? kDefaultLcmSteps : turbo ? kTurboSteps : kDefaultSteps;
  info.steps = {1, max_steps, std::min(max_steps, s.steps.value_or(steps))};
  info.cfg_scale = {0, 20, s.cfg_scale.value_or(lcm ? 1.0 : turbo ? 0.0 : kDefaultCfgScale)};
  info.negative_prompt = true;
  // Inpaint and outpaint lay the result over the source through the mask blurred as
  // AUTOMATIC1111 blurs it.
  info.mask_blur = kA1111MaskBlur;
  // An inpainting model's UNet needs a mask and the masked source; an ordinary model inpaints
  // by blending the source's latents back after every step.
  if (folder.inpainting()) {
    info.tasks = {GenerationTask::inpaint, GenerationTask::outpaint};
  } else {
    info.tasks = {GenerationTask::text_to_image, GenerationTask::image_to_image,
                  GenerationTask::inpaint, GenerationTask::outpaint, GenerationTask::upscale};
  }
  for (const auto& lora : loras) {
    if (lora.family.empty() || lora.family == info.family)
      info.loras.push_back({lora.name, lora.hash});
  }
  return info;
}

// Which files a model is: a folder or checkpoint removed and installed again under the same name
// is another inode, so that a model loaded from the old files is not used for the new ones.
std::string model_identity(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return {};
  return std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
}

// The mask with black and white exchanged.
RawImage inverted(RawImage mask) {
  for (auto& value : mask.rgb) value = static_cast<std::uint8_t>(255 - value);
  return mask;
}

std::vector<diffusion::ModelFolder> scan(const std::string& models_dir) {
  auto scan = diffusion::scan_models(models_dir);
  for (const auto& problem : scan.problems) spdlog::warn("local models: skipped: {}", problem);
  for (const auto& folder : scan.models) {
    spdlog::info("local model {} found in {} ({}, {:.0f} MB of weights on disk)", folder.id,
                 folder.path, architecture(folder), folder.weight_bytes / 1e6);
  }
  return std::move(scan.models);
}

}  // namespace

// SD 1.x conditions on CLIP ViT-L (quick_gelu), SD 2.x on OpenCLIP ViT-H (gelu), SDXL on both.
std::string local_model_family(const diffusion::ModelFolder& folder) {
  if (folder.sdxl()) return "sdxl";
  return folder.text_encoder.quick_gelu ? "sd1" : "sd2";
}

LocalProvider::LocalProvider(LocalProviderOptions options) : options_(std::move(options)) {
  if (options_.dtype != "auto" && options_.dtype != "bfloat16" && options_.dtype != "float32") {
    throw invalid_argument("diffusion_dtype",
                           "RENDERMART_DIFFUSION_DTYPE must be auto, float32 or bfloat16");
  }
  if (options_.decoder != "vae" && options_.decoder != "taesd") {
    throw invalid_argument("diffusion_decoder",
                           "RENDERMART_DIFFUSION_DECODER must be vae or taesd");
  }
  if (options_.threads < 0 || options_.threads > 1024) {
    throw invalid_argument("diffusion_threads", "RENDERMART_DIFFUSION_THREADS must be 0..1024");
  }
  runtime_ = diffusion::configure_runtime(options_.threads, options_.cpu_isa);
  // bfloat16 only where the CPU computes it natively: elsewhere it is slower than float32.
  bfloat16_ =
      options_.dtype == "bfloat16" || (options_.dtype == "auto" && diffusion::bfloat16_supported());
  if (bfloat16_ && !diffusion::bfloat16_supported()) throw diffusion::bfloat16_unsupported();
  folders_ = scan(options_.models_dir);
  loras_ = scan_loras(loras_dir(options_), {});
  spdlog::info("local engine: {} dtype={} decoder={} memory budget for weights {:.0f} MB", runtime_,
               bfloat16_ ? "bfloat16" : "float32", options_.decoder,
               options_.memory_budget_bytes / 1e6);
}

std::vector<ModelInfo> LocalProvider::models() const {
  std::lock_guard lock(folders_mutex_);
  std::vector<ModelInfo> out;
  for (const auto& folder : folders_) out.push_back(describe(folder, options_, loras_));
  return out;
}

std::optional<std::vector<std::string>> LocalProvider::models_in_memory() const {
  std::lock_guard lock(loaded_mutex_);
  std::vector<std::string> ids;
  for (const auto& [id, _] : loaded_) ids.push_back(id);
  return ids;
}

void LocalProvider::refresh() {
  auto folders = scan(options_.models_dir);
  const auto known = [&] {
    std::lock_guard lock(folders_mutex_);
    return loras_;
  }();
  auto loras = scan_loras(loras_dir(options_), known);
  {
    std::lock_guard lock(folders_mutex_);
    folders_ = std::move(folders);
    loras_ = std::move(loras);
  }
  // A generation in progress holds the lock; it unloads what went stale when it is done.
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (lock) unload_stale();
}

void LocalProvider::unload_stale() {
  std::lock_guard lock(folders_mutex_);
  std::lock_guard loaded_lock(loaded_mutex_);
  for (auto it = loaded_.begin(); it != loaded_.end();) {
    const auto folder = std::find_if(folders_.begin(), folders_.end(),
                                     [&](const auto& f) { return f.id == it->first; });
    if (folder != folders_.end() && model_identity(folder->path) == it->second.identity) {
      ++it;
      continue;
    }
    spdlog::info("local model {} unloaded: its files were removed or replaced", it->first);
    it = loaded_.erase(it);
  }
}

std::vector<LocalProvider::LoadedModel> LocalProvider::loaded_models() const {
  std::lock_guard lock(loaded_mutex_);
  std::vector<std::pair<std::uint64_t, LoadedModel>> by_use;
  for (const auto& [id, loaded] : loaded_) {
    by_use.push_back({loaded.last_used, {id, loaded.model->weight_bytes()}});
  }
  std::sort(by_use.begin(), by_use.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<LoadedModel> out;
  for (auto& [_, model] : by_use) out.push_back(std::move(model));
  return out;
}

void LocalProvider::make_room(const std::string& id, std::size_t bytes) {
  const auto budget = options_.memory_budget_bytes;
  bool unloaded = false;
  {
    std::lock_guard lock(loaded_mutex_);
    std::size_t used = 0;
    for (const auto& [_, loaded] : loaded_) used += loaded.model->weight_bytes();
    while (!loaded_.empty() && used + bytes > budget) {
      const auto oldest = std::min_element(
          loaded_.begin(), loaded_.end(),
          [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
      used -= oldest->second.model->weight_bytes();
      spdlog::info(
          "local model {} unloaded to make room for {} within the memory budget ({:.0f} MB)",
          oldest->first, id, budget / 1e6);
      loaded_.erase(oldest);
      unloaded = true;
    }
  }
  // Weights converted on loading (bfloat16, packed convolutions) were the allocator's blocks:
  // kept, they would hold the room just made.
  if (unloaded) diffusion::release_cached_memory();
  if (bytes > budget) {
    spdlog::warn(
        "local model {} needs about {:.0f} MB, more than the memory budget of {:.0f} MB "
        "(RENDERMART_DIFFUSION_MEMORY_BUDGET): it is loaded alone",
        id, bytes / 1e6, budget / 1e6);
  }
}

const diffusion::DiffusionModel& LocalProvider::load(const diffusion::ModelFolder& folder,
                                                     const ProgressFn& progress) {
  {
    std::lock_guard lock(loaded_mutex_);
    if (const auto found = loaded_.find(folder.id); found != loaded_.end()) {
      found->second.last_used = ++use_count_;
      return *found->second.model;
    }
  }
  if (progress) progress({0, std::nullopt, JobStage::loading_model});
  // Until a model is loaded, the size of its files stands for the size of its weights.
  make_room(folder.id, folder.weight_bytes);
  const auto started = std::chrono::steady_clock::now();
  Loaded loaded{model_identity(folder.path),
                std::make_unique<diffusion::DiffusionModel>(
                    folder, diffusion::EngineOptions{bfloat16_, true}),
                0};
  spdlog::info("local model {} loaded in {:.1f} s: {:.0f} MB of weights in memory", folder.id,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
               loaded.model->weight_bytes() / 1e6);
  std::lock_guard lock(loaded_mutex_);
  loaded.last_used = ++use_count_;
  // Only this generation (holding mutex_) changes loaded_: the entry stays until it is done.
  return *(loaded_[folder.id] = std::move(loaded)).model;
}

std::vector<RawImage> LocalProvider::generate(const GenerationParams& params,
                                              const GenerationInputs& inputs,
                                              const ProgressFn& progress,
                                              const CancelFlag& cancel) {
  // Copies: the folder and LoRA lists may change (refresh) while this generation runs.
  std::vector<LoraFile> loras;
  const diffusion::ModelFolder folder = [&] {
    std::lock_guard lock(folders_mutex_);
    const auto found = std::find_if(folders_.begin(), folders_.end(),
                                    [&](const auto& f) { return f.id == params.model; });
    if (found == folders_.end()) {
      throw Error(ErrorCode::model_error, "model " + params.model + " was removed");
    }
    loras = loras_;
    return *found;
  }();
  const auto info = describe(folder, options_, loras);
  if (params.count < 1 || params.count > info.max_count) {
    throw invalid_argument("count",
                           "count must be between 1 and " + std::to_string(info.max_count));
  }
  const auto canceled = [&] { return cancel.load(std::memory_order_relaxed); };
  std::lock_guard lock(mutex_);
  if (canceled()) throw Error(ErrorCode::canceled, "generation canceled");
  unload_stale();
  const auto& model = load(folder, progress);

  diffusion::ImageRequest request;
  // The prompts' <lora:...> tags are in params.loras; the text encoder reads the rest.
  request.prompt = extract_lora_tags(params.prompt).prompt;
  request.negative_prompt = extract_lora_tags(params.negative_prompt).prompt;
  for (const auto& use : params.loras) {
    const auto file = std::find_if(loras.begin(), loras.end(),
                                   [&](const LoraFile& lora) { return lora.name == use.name; });
    if (file == loras.end()) {
      throw invalid_argument("loras",
                             "the LoRA " + use.name + " is no longer in " + loras_dir(options_));
    }
    request.loras.push_back({file->path, use.weight});
  }
  request.width = params.width;
  request.height = params.height;
  request.steps = params.steps > 0 ? params.steps : info.steps.default_value;
  request.guidance_scale = params.cfg_scale;
  request.scheduler = folder.scheduler_kind;
  request.taesd = options_.decoder == "taesd";
  if (task_uses_source(params.task)) {
    if (!inputs.image) {
      throw invalid_argument("source_image_id",
                             std::string(to_string(params.task)) + " needs a source image");
    }
    request.init_image = *inputs.image;
  }
  // Inpaint and outpaint with a mask blur: how far each pixel of the result is the engine's.
  std::vector<float> repaint;
  switch (params.task) {
    case GenerationTask::image_to_image: request.strength = params.strength; break;
    case GenerationTask::inpaint:
    case GenerationTask::outpaint: {
      if (!inputs.mask) {
        throw invalid_argument("mask_image_id",
                               std::string(to_string(params.task)) + " needs a mask");
      }
      const bool inpaint = params.task == GenerationTask::inpaint;
      // Outpainting repaints what the mask leaves black: the engine's mask is white there.
      request.mask = inpaint ? *inputs.mask : inverted(*inputs.mask);
      request.strength = params.strength;
      if (params.mask_blur > 0) repaint = mask_weights(*inputs.mask, params.mask_blur, inpaint);
      break;
    }
    case GenerationTask::upscale:
      // Upscaling takes no prompt: the source's own guides the pass (AUTOMATIC1111's hires fix
      // runs with its generation's), so that the new detail is of the same subject. An upload
      // has none: the empty prompt, without guidance (which would compare it with itself), adds
      // the detail the enlarged latents suggest.
      request.latent_scale = task_scale(params.task);
      request.strength = kUpscaleStrength;
      request.prompt = extract_lora_tags(inputs.source_prompt).prompt;
      if (request.prompt.empty()) request.guidance_scale = 1;
      break;
    case GenerationTask::text_to_image: break;
    default:
      throw invalid_argument("task",
                             "the local engine cannot do " + std::string(to_string(params.task)));
  }

  std::vector<RawImage> images;
  const int count = params.count;
  for (int i = 0; i < count; ++i) {
    request.seed = params.seed + static_cast<std::uint32_t>(i);  // wraps, as documented
    auto image = model.generate(
        request,
        [&](const diffusion::StepProgress& step) {
          if (!progress) return;
          const double fraction = (i + static_cast<double>(step.step) / step.steps) / count;
          progress({fraction, step.preview});
        },
        canceled);
    // The engine decodes the whole picture, whose kept area the VAE only approximates: with a
    // mask blur, the source's own pixels stay there and the repainted area blends into them
    // over the blurred edge (AUTOMATIC1111, and diffusers' apply_overlay); without one, the
    // picture is diffusers' as it is.
    if (!repaint.empty()) image = blend_masked(*inputs.image, image, repaint);
    images.push_back(std::move(image));
  }
  return images;
}

}  // namespace rendermart
