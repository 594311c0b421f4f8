#include <gtest/gtest.h>

#include "core/error.hpp"
#include "library/hub_listing.hpp"

namespace rendermart::library {
namespace {

// The shape of GET /api/models/{repo}/revision/{revision}?blobs=true, trimmed.
constexpr const char* kListing = R"({
  "_id": "656d8c2d8e8f1c3a1c7c0f11", "id": "stabilityai/sd-turbo", "author": "stabilityai",
  "sha": "b261bac6fd2cf515557d5d0707481eafa0485ec2", "private": false, "disabled": false,
  "gated": false, "library_name": "diffusers", "tags": ["diffusers", "safetensors"],
  "cardData": {"pipeline_tag": "text-to-image", "inference": false},
  "siblings": [
    {"rfilename": ".gitattributes", "blobId": "a6344aac8c09253b3b630fb776ae94478aa0275b", "size": 1519},
    {"rfilename": "model_index.json", "blobId": "0bd1a0a1b2c3", "size": 585},
    {"rfilename": "unet/diffusion_pytorch_model.fp16.safetensors", "blobId": "9a1b",
     "size": 1731904736,
     "lfs": {"sha256": "F2B5A0F2B5A0F2B5A0F2B5A0F2B5A0F2B5A0F2B5A0F2B5A0F2B5A0F2B5A0F2B5",
             "size": 1731904736, "pointerSize": 135}}
  ]
})";

TEST(HubListing, ReadsTheCommitFilesSizesAndLfsHashes) {
  const auto listing = parse_listing(kListing);
  EXPECT_EQ(listing.commit, "b261bac6fd2cf515557d5d0707481eafa0485ec2");
  ASSERT_EQ(listing.files.size(), 3u);
  const auto* unet = find_file(listing, "unet/diffusion_pytorch_model.fp16.safetensors");
  ASSERT_NE(unet, nullptr);
  EXPECT_EQ(unet->size, 1731904736);
  EXPECT_EQ(unet->lfs_sha256, "f2b5a0f2b5a0f2b5a0f2b5a0f2b5a0f2b5a0f2b5a0f2b5a0f2b5a0f2b5a0f2b5");
  EXPECT_EQ(find_file(listing, "model_index.json")->lfs_sha256, "");
  EXPECT_EQ(find_file(listing, "missing.json"), nullptr);
  EXPECT_FALSE(listing.gated);
  EXPECT_EQ(listing.license, "");
}

TEST(HubListing, LicenseAndGating) {
  auto with = [](const std::string& extra) {
    return parse_listing(R"({"sha": "abc", "siblings": [], )" + extra + "}");
  };
  EXPECT_EQ(with(R"("cardData": {"license": "creativeml-openrail-m"})").license,
            "creativeml-openrail-m");
  EXPECT_EQ(with(R"("cardData": {"license": "other", "license_name": "sai-nc-community"})").license,
            "sai-nc-community");
  EXPECT_EQ(with(R"("cardData": {"license": ["mit", "apache-2.0"]})").license, "mit");
  EXPECT_TRUE(with(R"("gated": "manual")").gated);
  EXPECT_TRUE(with(R"("gated": "auto")").gated);
  EXPECT_FALSE(with(R"("gated": false)").gated);
}

TEST(HubListing, UnexpectedShapesAreProviderErrors) {
  for (
      const auto* bad : {
          "[]",
          "not json",
          R"({"siblings": []})",
          R"({"sha": "abc"})",
          R"({"sha": "abc", "siblings": [{"rfilename": "a.json"}]})",
          R"({"sha": "abc", "siblings": [{"rfilename": "../etc/passwd", "size": 1}]})",
          R"({"sha": "abc", "siblings": [{"rfilename": "/abs", "size": 1}]})",
          R"({"sha": "abc", "siblings": [{"rfilename": "a//b", "size": 1}]})",
          R"({"sha": "abc", "siblings": [{"rfilename": "w.safetensors", "size": 9, "lfs": {"size": 9}}]})",
      }) {
    try {
      parse_listing(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::provider_error) << bad;
    }
  }
}

}  // namespace
}  // namespace rendermart::library
