#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/error.hpp"
#include "services/model_catalog.hpp"

namespace rendermart {
namespace {

ModelInfo model(const std::string& id) {
  ModelInfo info;
  info.id = id;
  info.name = id;
  info.provider = "test";
  return info;
}

// A provider whose models change between refreshes, as a models folder does.
class ChangingProvider : public Provider {
 public:
  explicit ChangingProvider(std::vector<std::string> ids) : ids_(std::move(ids)) {}
  std::vector<ModelInfo> models() const override {
    std::lock_guard lock(mutex_);
    std::vector<ModelInfo> out;
    for (const auto& id : ids_) out.push_back(model(id));
    return out;
  }
  void refresh() override {
    std::lock_guard lock(mutex_);
    ids_ = next_;
  }
  void set_next(std::vector<std::string> ids) {
    std::lock_guard lock(mutex_);
    next_ = std::move(ids);
  }
  std::vector<RawImage> generate(const GenerationParams&, const GenerationInputs&,
                                 const ProgressFn&, const CancelFlag&) override {
    return {};
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> ids_;
  std::vector<std::string> next_;
};

std::vector<std::string> ids(const ModelCatalog& catalog) {
  std::vector<std::string> out;
  for (const auto& m : catalog.models()) out.push_back(m.id);
  return out;
}

TEST(ModelCatalog, RefreshPublishesWhatTheProvidersOfferNow) {
  ModelCatalog catalog;
  auto fixed = std::make_shared<ChangingProvider>(std::vector<std::string>{"demo"});
  fixed->set_next({"demo"});
  auto local = std::make_shared<ChangingProvider>(std::vector<std::string>{"sd1"});
  catalog.add(fixed);
  catalog.add(local);
  EXPECT_EQ(ids(catalog), (std::vector<std::string>{"demo", "sd1"}));

  local->set_next({"sd2", "demo"});
  catalog.refresh();
  // sd1 was removed; the second "demo" is left out: the first provider has that id.
  EXPECT_EQ(ids(catalog), (std::vector<std::string>{"demo", "sd2"}));
  EXPECT_FALSE(catalog.find("sd1"));
  EXPECT_EQ(catalog.find("sd2")->provider, local);
  EXPECT_EQ(catalog.provider_for("demo"), fixed);
  try {
    catalog.model("sd1");
    FAIL() << "sd1 is gone";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
  }
}

TEST(ModelCatalog, ReadersSeeOneWholeListWhileItIsRefreshed) {
  ModelCatalog catalog;
  auto local = std::make_shared<ChangingProvider>(std::vector<std::string>{"a", "b"});
  catalog.add(local);
  std::atomic<bool> stop{false};
  std::thread refresher([&] {
    for (int i = 0; i < 2000; ++i) {
      local->set_next(i % 2 ? std::vector<std::string>{"a", "b"}
                            : std::vector<std::string>{"c", "d"});
      catalog.refresh();
    }
    stop = true;
  });
  while (!stop) {
    const auto seen = ids(catalog);
    ASSERT_TRUE(seen == (std::vector<std::string>{"a", "b"}) ||
                seen == (std::vector<std::string>{"c", "d"}));
  }
  refresher.join();
}

}  // namespace
}  // namespace rendermart
