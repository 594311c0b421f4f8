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
  const auto message = model_error(
      sd_turbo_like(), R"({"_class_name": "StableDiffusionXLPipeline"})", Variant::automatic);
  EXPECT_NE(message.find("owner/repo"), std::string::npos) << message;
  EXPECT_NE(message.find("StableDiffusionXLPipeline"), std::string::npos) << message;
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

TEST(FileSelection, SecondTextEncoderWhenListed) {
  auto listing = sd_turbo_like();
  for (const auto* path : {"text_encoder_2/config.json", "text_encoder_2/model.safetensors",
                           "tokenizer_2/vocab.json", "tokenizer_2/merges.txt"}) {
    listing.files.push_back({path, 1, ""});
  }
  std::string index = kIndex;
  index.insert(index.rfind('}'),
               R"(, "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
                                      "tokenizer_2": ["transformers", "CLIPTokenizer"])");
  const auto files = paths(select_files(listing, index, Variant::automatic, "o/r"));
  EXPECT_NE(std::find(files.begin(), files.end(), "text_encoder_2/model.safetensors"), files.end());
  EXPECT_NE(std::find(files.begin(), files.end(), "tokenizer_2/merges.txt"), files.end());
}

TEST(FileSelection, VariantNames) {
  EXPECT_EQ(variant_from_string("auto"), Variant::automatic);
  EXPECT_EQ(variant_from_string("fp16"), Variant::fp16);
  EXPECT_EQ(variant_from_string("full"), Variant::full);
  EXPECT_EQ(variant_from_string("bf16"), std::nullopt);
}

}  // namespace
}  // namespace rendermart::library
