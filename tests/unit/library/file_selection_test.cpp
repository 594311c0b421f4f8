#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "library/file_selection.hpp"

namespace rendermart::library {
namespace {

constexpr const char* kIndex = R"({
  "_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.24.0",
  "feature_extractor": ["transformers", "CLIPImageProcessor"],
  "requires_safety_checker": false, "safety_checker": [null, null],
  "scheduler": ["diffusers", "EulerDiscreteScheduler"],
  "text_encoder": ["transformers", "CLIPTextModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
  "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"]
})";

// A repository laid out like stabilityai/sd-turbo: both variants, pickled and ONNX copies too.
RepoListing sd_turbo_like() {
  RepoListing listing;
  listing.commit = "abc";
  for (const auto* path : {"model_index.json",
                           "README.md",
                           "feature_extractor/preprocessor_config.json",
                           "safety_checker/config.json",
                           "safety_checker/model.safetensors",
                           "scheduler/scheduler_config.json",
                           "text_encoder/config.json",
                           "text_encoder/model.safetensors",
                           "text_encoder/model.fp16.safetensors",
                           "text_encoder/pytorch_model.bin",
                           "text_encoder/model.onnx",
                           "tokenizer/merges.txt",
                           "tokenizer/special_tokens_map.json",
                           "tokenizer/tokenizer_config.json",
                           "tokenizer/vocab.json",
                           "unet/config.json",
                           "unet/diffusion_pytorch_model.safetensors",
                           "unet/diffusion_pytorch_model.fp16.safetensors",
                           "unet/diffusion_pytorch_model.bin",
                           "unet/model.onnx",
                           "unet/model.bin",
                           "vae/config.json",
                           "vae/diffusion_pytorch_model.safetensors",
                           "vae/diffusion_pytorch_model.fp16.safetensors",
                           "vae/diffusion_flax_model.msgpack"}) {
    listing.files.push_back({path, 100, ""});
  }
  return listing;
}

std::vector<std::string> paths(const std::vector<RepoFile>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.path);
  return out;
}

std::string model_error(const RepoListing& listing, const std::string& index, Variant variant) {
  try {
    select_files(listing, index, variant, "owner/repo");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::model_error);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

TEST(FileSelection, TakesWhatThePipelineNeedsFp16WhenPresent) {
  const auto files = paths(select_files(sd_turbo_like(), kIndex, Variant::automatic, "o/r"));
  const std::vector<std::string> expected = {"model_index.json",
                                             "text_encoder/config.json",
                                             "text_encoder/model.fp16.safetensors",
                                             "tokenizer/vocab.json",
                                             "tokenizer/merges.txt",
                                             "tokenizer/special_tokens_map.json",
                                             "tokenizer/tokenizer_config.json",
                                             "unet/config.json",
                                             "unet/diffusion_pytorch_model.fp16.safetensors",
                                             "vae/config.json",
                                             "vae/diffusion_pytorch_model.fp16.safetensors",
                                             "scheduler/scheduler_config.json"};
  auto sorted = files;
  auto want = expected;
  std::sort(sorted.begin(), sorted.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(sorted, want);
  EXPECT_EQ(files.front(), "model_index.json");
}

TEST(FileSelection, VariantsFullAndFp16) {
  const auto full = paths(select_files(sd_turbo_like(), kIndex, Variant::full, "o/r"));
  EXPECT_NE(std::find(full.begin(), full.end(), "unet/diffusion_pytorch_model.safetensors"),
            full.end());
  EXPECT_EQ(std::count_if(full.begin(), full.end(),
                          [](const auto& p) { return p.find("fp16") != std::string::npos; }),
            0);

  auto only_full = sd_turbo_like();
  std::erase_if(only_full.files,
                [](const RepoFile& f) { return f.path.find(".fp16.") != std::string::npos; });
  const auto automatic = paths(select_files(only_full, kIndex, Variant::automatic, "o/r"));
  EXPECT_NE(
      std::find(automatic.begin(), automatic.end(), "unet/diffusion_pytorch_model.safetensors"),
      automatic.end());
  EXPECT_NE(model_error(only_full, kIndex, Variant::fp16).find("--variant auto or full"),
            std::string::npos);

  auto only_fp16 = sd_turbo_like();
  std::erase_if(only_fp16.files, [](const RepoFile& f) {
    return f.path.ends_with(".safetensors") && f.path.find(".fp16.") == std::string::npos;
  });
  EXPECT_NE(model_error(only_fp16, kIndex, Variant::full).find("--variant auto or fp16"),
            std::string::npos);
}

TEST(FileSelection, UnsupportedPipelinesAreRefused) {
  // The SDXL refiner: an img2img pipeline without the first text encoder.
  const auto message =
      model_error(sd_turbo_like(), R"({"_class_name": "StableDiffusionXLImg2ImgPipeline"})",
                  Variant::automatic);
  EXPECT_NE(message.find("owner/repo"), std::string::npos) << message;
  EXPECT_NE(message.find("StableDiffusionXLImg2ImgPipeline"), std::string::npos) << message;
  EXPECT_NE(model_error(sd_turbo_like(), "[1, 2]", Variant::automatic).find("not a JSON object"),
            std::string::npos);
  std::string img2img = kIndex;
  img2img.replace(img2img.find("StableDiffusionPipeline"), 23, "StableDiffusionImg2ImgPipeline");
  EXPECT_NO_THROW(select_files(sd_turbo_like(), img2img, Variant::automatic, "o/r"));
}

TEST(FileSelection, PickledOrShardedWeightsAreRefused) {
  auto pickled = sd_turbo_like();
  std::erase_if(pickled.files, [](const RepoFile& f) {
    return f.path.starts_with("unet/diffusion_pytorch_model") && f.path.ends_with(".safetensors");
  });
  EXPECT_NE(model_error(pickled, kIndex, Variant::automatic).find("no .safetensors weights"),
            std::string::npos);

  auto sharded = pickled;
  sharded.files.push_back({"unet/diffusion_pytorch_model.safetensors.index.json", 10, ""});
  sharded.files.push_back({"unet/diffusion_pytorch_model-00001-of-00002.safetensors", 10, ""});
  EXPECT_NE(model_error(sharded, kIndex, Variant::automatic).find("sharded"), std::string::npos);
}

TEST(FileSelection, MissingComponentsAndConfigs) {
  EXPECT_NE(model_error(sd_turbo_like(),
                        R"({"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "U"]})",
                        Variant::automatic)
                .find("lists no text_encoder"),
            std::string::npos);
  auto no_vocab = sd_turbo_like();
  std::erase_if(no_vocab.files, [](const RepoFile& f) { return f.path == "tokenizer/vocab.json"; });
  EXPECT_NE(model_error(no_vocab, kIndex, Variant::automatic).find("tokenizer/vocab.json"),
            std::string::npos);
}

// model_index.json of stabilityai/stable-diffusion-xl-base-1.0 (sdxl-turbo's is the same).
constexpr const char* kSdxlIndex = R"({
  "_class_name": "StableDiffusionXLPipeline", "_diffusers_version": "0.19.0.dev0",
  "force_zeros_for_empty_prompt": true, "add_watermarker": null,
  "scheduler": ["diffusers", "EulerDiscreteScheduler"],
  "text_encoder": ["transformers", "CLIPTextModel"],
  "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
  "tokenizer": ["transformers", "CLIPTokenizer"], "tokenizer_2": ["transformers", "CLIPTokenizer"],
  "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"]
})";

// A repository laid out like stabilityai/stable-diffusion-xl-base-1.0: each component in full
// and fp16 safetensors, Flax, ONNX and OpenVINO; the 0.9 VAE in vae_1_0, ONNX VAE halves, and
// single-file checkpoints and an example LoRA at the root.
RepoListing sdxl_base_like() {
  RepoListing listing;
  listing.commit = "def";
  for (const auto* path :
       {"model_index.json", "README.md", "LICENSE.md", "sd_xl_base_1.0.safetensors",
        "sd_xl_base_1.0_0.9vae.safetensors", "sd_xl_offset_example-lora_1.0.safetensors",
        "scheduler/scheduler_config.json"}) {
    listing.files.push_back({path, 100, ""});
  }
  for (const auto* component : {"text_encoder", "text_encoder_2"}) {
    for (const auto* file :
         {"config.json", "model.safetensors", "model.fp16.safetensors", "flax_model.msgpack",
          "model.onnx", "openvino_model.bin", "openvino_model.xml"}) {
      listing.files.push_back({std::string(component) + "/" + file, 100, ""});
    }
  }
  listing.files.push_back({"text_encoder_2/model.onnx_data", 100, ""});
  for (const auto* component : {"tokenizer", "tokenizer_2"}) {
    for (const auto* file :
         {"merges.txt", "special_tokens_map.json", "tokenizer_config.json", "vocab.json"}) {
      listing.files.push_back({std::string(component) + "/" + file, 100, ""});
    }
  }
  for (const auto* component : {"unet", "vae", "vae_1_0"}) {
    for (const auto* file :
         {"config.json", "diffusion_pytorch_model.safetensors",
          "diffusion_pytorch_model.fp16.safetensors", "diffusion_flax_model.msgpack"}) {
      listing.files.push_back({std::string(component) + "/" + file, 100, ""});
    }
  }
  for (const auto* path : {"unet/model.onnx", "unet/model.onnx_data", "unet/openvino_model.bin",
                           "vae_decoder/config.json", "vae_decoder/model.onnx",
                           "vae_encoder/config.json", "vae_encoder/model.onnx"}) {
    listing.files.push_back({path, 100, ""});
  }
  return listing;
}

TEST(FileSelection, SdxlTakesBothTextEncodersAndTokenizersFp16WhenPresent) {
  auto files = paths(select_files(sdxl_base_like(), kSdxlIndex, Variant::automatic, "o/r"));
  EXPECT_EQ(files.front(), "model_index.json");
  std::sort(files.begin(), files.end());
  const std::vector<std::string> expected = {"model_index.json",
                                             "scheduler/scheduler_config.json",
                                             "text_encoder/config.json",
                                             "text_encoder/model.fp16.safetensors",
                                             "text_encoder_2/config.json",
                                             "text_encoder_2/model.fp16.safetensors",
                                             "tokenizer/merges.txt",
                                             "tokenizer/special_tokens_map.json",
                                             "tokenizer/tokenizer_config.json",
                                             "tokenizer/vocab.json",
                                             "tokenizer_2/merges.txt",
                                             "tokenizer_2/special_tokens_map.json",
                                             "tokenizer_2/tokenizer_config.json",
                                             "tokenizer_2/vocab.json",
                                             "unet/config.json",
                                             "unet/diffusion_pytorch_model.fp16.safetensors",
                                             "vae/config.json",
                                             "vae/diffusion_pytorch_model.fp16.safetensors"};
  EXPECT_EQ(files, expected);

  const auto full = paths(select_files(sdxl_base_like(), kSdxlIndex, Variant::full, "o/r"));
  EXPECT_NE(std::find(full.begin(), full.end(), "text_encoder_2/model.safetensors"), full.end());
  EXPECT_EQ(std::find(full.begin(), full.end(), "text_encoder_2/model.fp16.safetensors"),
            full.end());
}

TEST(FileSelection, SdxlNeedsItsSecondTextEncoderAndTokenizer) {
  std::string index = kSdxlIndex;
  index.replace(index.find(R"("tokenizer_2")"), 13, R"("tokenizer_9")");
  EXPECT_NE(model_error(sdxl_base_like(), index, Variant::automatic).find("lists no tokenizer_2"),
            std::string::npos);
  auto listing = sdxl_base_like();
  std::erase_if(listing.files,
                [](const RepoFile& f) { return f.path.starts_with("text_encoder_2/model"); });
  EXPECT_NE(model_error(listing, kSdxlIndex, Variant::automatic)
                .find("text_encoder_2 has no .safetensors weights"),
            std::string::npos);
}

TEST(FileSelection, SecondTextEncoderOfAnSdPipelineIsLeftOut) {
  auto listing = sd_turbo_like();
  listing.files.push_back({"text_encoder_2/config.json", 1, ""});
  listing.files.push_back({"text_encoder_2/model.safetensors", 1, ""});
  std::string index = kIndex;
  index.insert(index.rfind('}'),
               R"(, "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"])");
  const auto files = paths(select_files(listing, index, Variant::automatic, "o/r"));
  EXPECT_EQ(std::find(files.begin(), files.end(), "text_encoder_2/model.safetensors"), files.end());
}

// madebyollin/taesdxl: an AutoencoderTiny at the root, with pickled copies of its weights.
RepoListing taesdxl_like() {
  RepoListing listing;
  for (const auto* path :
       {"README.md", "config.json", "diffusion_pytorch_model.bin",
        "diffusion_pytorch_model.safetensors", "taesdxl_decoder.pth", "taesdxl_encoder.pth"}) {
    listing.files.push_back({path, 100, ""});
  }
  return listing;
}

TEST(FileSelection, TaesdDecoderRepositories) {
  constexpr const char* kTiny = R"({"_class_name": "AutoencoderTiny", "latent_channels": 4})";
  EXPECT_EQ(paths(select_decoder_files(taesdxl_like(), kTiny, Variant::automatic, "o/r")),
            (std::vector<std::string>{"config.json", "diffusion_pytorch_model.safetensors"}));
  auto with_fp16 = taesdxl_like();
  with_fp16.files.push_back({"diffusion_pytorch_model.fp16.safetensors", 50, ""});
  EXPECT_EQ(paths(select_decoder_files(with_fp16, kTiny, Variant::automatic, "o/r")),
            (std::vector<std::string>{"config.json", "diffusion_pytorch_model.fp16.safetensors"}));

  try {
    select_decoder_files(taesdxl_like(), R"({"_class_name": "AutoencoderKL"})", Variant::automatic,
                         "owner/vae");
    ADD_FAILURE() << "an AutoencoderKL alone was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::model_error);
    EXPECT_NE(std::string(e.what()).find("neither a diffusers pipeline nor a TAESD decoder"),
              std::string::npos)
        << e.what();
  }
  auto pickled = taesdxl_like();
  std::erase_if(pickled.files, [](const RepoFile& f) { return f.path.ends_with(".safetensors"); });
  try {
    select_decoder_files(pickled, kTiny, Variant::automatic, "owner/taesdxl");
    ADD_FAILURE() << "pickled weights were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the model has no .safetensors weights"),
              std::string::npos)
        << e.what();
  }
}

TEST(FileSelection, VariantNames) {
  EXPECT_EQ(variant_from_string("auto"), Variant::automatic);
  EXPECT_EQ(variant_from_string("fp16"), Variant::fp16);
  EXPECT_EQ(variant_from_string("full"), Variant::full);
  EXPECT_EQ(variant_from_string("bf16"), std::nullopt);
}

// A repository of LoRAs: the only .safetensors file, or the one named; several unnamed or a
// name it lacks are the user's to fix (field "file"), none at all is no LoRA repository.
TEST(FileSelection, LoraFiles) {
  RepoListing listing;
  listing.commit = "abc";
  listing.files = {{"README.md", 10, ""}, {"style.safetensors", 100, "ab"}};
  EXPECT_EQ(select_lora_file(listing, "", "me/loras").path, "style.safetensors");
  listing.files.push_back({"v2/style-v2.safetensors", 200, "cd"});
  EXPECT_EQ(select_lora_file(listing, "v2/style-v2.safetensors", "me/loras").lfs_sha256, "cd");
  for (const auto* file : {"", "other.safetensors", "README.md"}) {
    try {
      select_lora_file(listing, file, "me/loras");
      ADD_FAILURE() << file << ": no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << file;
      EXPECT_EQ(e.field(), "file") << file;
      if (std::string(file).empty()) {
        EXPECT_NE(std::string(e.what()).find("style.safetensors, v2/style-v2.safetensors"),
                  std::string::npos)
            << e.what();
      }
    }
  }
  listing.files = {{"README.md", 10, ""}};
  try {
    select_lora_file(listing, "", "me/loras");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::model_error);
  }
}

}  // namespace
}  // namespace rendermart::library
