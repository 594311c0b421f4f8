#include <gtest/gtest.h>

#include "core/error.hpp"
#include "library/model_source.hpp"

namespace rendermart::library {
namespace {

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

TEST(ModelSource, ARepositoryWithAndWithoutARevision) {
  const auto plain = parse_source("stabilityai/sd-turbo");
  EXPECT_EQ(plain.kind, ModelSource::Kind::hub);
  EXPECT_EQ(plain.repo.id, "stabilityai/sd-turbo");
  EXPECT_EQ(plain.repo.revision, "main");
  EXPECT_EQ(default_name(plain), "sd-turbo");
  EXPECT_EQ(describe_source(plain), "hf:stabilityai/sd-turbo@main");

  const auto pinned = parse_source("stable-diffusion-v1-5/stable-diffusion-v1-5@refs/pr/1");
  EXPECT_EQ(pinned.repo.id, "stable-diffusion-v1-5/stable-diffusion-v1-5");
  EXPECT_EQ(pinned.repo.revision, "refs/pr/1");
}

TEST(ModelSource, RepositoryIdsFollowTheHubsRules) {
  for (const auto* bad :
       {"sd-turbo", "a/b/c", "/sd-turbo", "owner/", "-owner/name", "owner/name.", "owner/na--me",
        "owner/na..me", "owner/na me", "owner/name@", "owner/name@a b"}) {
    try {
      parse_source(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << bad;
      EXPECT_EQ(e.field(), "source") << bad;
    }
  }
  EXPECT_NO_THROW(parse_source("CompVis/stable_diffusion.v1"));
  EXPECT_EQ(code_of([] { parse_source("owner/" + std::string(97, 'a')); }),
            ErrorCode::invalid_argument);
}

TEST(ModelSource, UrlsOfSafetensorsCheckpoints) {
  const auto url = parse_source("https://example.com/files/dreamy-v2.safetensors?download=true");
  EXPECT_EQ(url.kind, ModelSource::Kind::url);
  EXPECT_EQ(default_name(url), "dreamy-v2");
  EXPECT_EQ(describe_source(url), "https://example.com/files/dreamy-v2.safetensors?download=true");
  // http only to this machine (tests, local mirrors).
  EXPECT_NO_THROW(parse_source("http://127.0.0.1:8080/m.safetensors"));
  EXPECT_NO_THROW(parse_source("http://localhost/m.safetensors"));
  EXPECT_EQ(code_of([] { parse_source("http://example.com/m.safetensors"); }),
            ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([] { parse_source("ftp://example.com/m.safetensors"); }),
            ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([] { parse_source("https://example.com/a b.safetensors"); }),
            ErrorCode::invalid_argument);
}

TEST(ModelSource, PickledCheckpointsAreRefusedWithTheReason) {
  for (const auto* pickled :
       {"https://example.com/m.ckpt", "https://example.com/m.PT",
        "https://example.com/pytorch_model.bin?x=1", "https://example.com/m.pth"}) {
    try {
      parse_source(pickled);
      ADD_FAILURE() << pickled << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("only loads .safetensors"), std::string::npos)
          << e.what();
    }
  }
}

TEST(ModelSource, AUrlThatNamesNoSafetensorsFileNeedsAName) {
  const auto url = parse_source("https://example.com/api/download/models/1234");
  try {
    default_name(url);
    ADD_FAILURE() << "a name was made up";
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "name");
  }
}

TEST(ModelSource, ModelNames) {
  for (const auto* good : {"sd-turbo", "SD_1.5", "a", "v2.1-base"})
    EXPECT_NO_THROW(check_model_name(good)) << good;
  for (const auto* bad : {"", ".partial", "a/b", "..", "a b", "m.safetensors", "ü"}) {
    EXPECT_EQ(code_of([&] { check_model_name(bad); }), ErrorCode::invalid_argument) << bad;
  }
  EXPECT_EQ(code_of([] { check_model_name(std::string(101, 'a')); }), ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace rendermart::library
