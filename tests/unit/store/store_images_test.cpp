// Images in every Store backend: keyset pagination, filters, full-text search (including input
// that would be FTS5 syntax), and owner-scoped updates and deletes.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "store/store.hpp"
#include "support/pg_test_server.hpp"

namespace rendermart {
namespace {

constexpr Millis kT0 = 1'700'000'000'000;

class StoreImagesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "file") {
      dir_ = std::filesystem::temp_directory_path() / ("rendermart-store-" + random_hex(8));
      store_ = open_store("sqlite://" + (dir_ / "images.db").string());
    } else if (GetParam() == "postgres") {
      store_ = open_store(testing::pg_test_server().create_database());
    } else {
      store_ = open_store("sqlite::memory:");
    }
    store_->migrate();
    for (User* user : {&alice_, &bob_}) {
      user->id = new_id();
      user->email = (user == &alice_ ? "alice" : "bob") + std::string("@example.com");
      user->password_hash = "hash";
      store_->create_user(*user);
    }
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Runs one generation through the queue and returns its images.
  std::vector<Image> generate(const User& user, const std::string& prompt, int count,
                              Millis created_at, const std::string& model = "procedural") {
    Job job;
    job.id = new_id();
    job.user_id = user.id;
    job.params = {.prompt = prompt,
                  .negative_prompt = "blurry, lowres",
                  .model = model,
                  .width = 256,
                  .height = 256,
                  .steps = 4,
                  .cfg_scale = 5,
                  .seed = 7,
                  .count = count};
    job.created_at = created_at;
    store_->enqueue_job(job);
    const auto claimed = store_->claim_job("worker", created_at, QueuePolicy{});
    EXPECT_TRUE(claimed && claimed->id == job.id);

    std::vector<Image> images;
    for (int i = 0; i < count; ++i) {
      Image image;
      image.id = new_id();
      image.index = i;
      image.params = job.params;
      image.params.count = 1;
      image.blob_key = "images/" + image.id + ".png";
      image.bytes = 10;
      image.sha256 = "ab";
      image.created_at = created_at;
      images.push_back(image);
    }
    EXPECT_TRUE(store_->complete_job(job.id, "worker", images, created_at));
    return store_->get_job(user.id, job.id)->images;
  }

  std::vector<std::string> ids(const User& user, ImageQuery query) {
    std::vector<std::string> found;
    for (const auto& image : store_->list_images(user.id, query)) found.push_back(image.id);
    return found;
  }

  std::size_t search(const std::string& text) {
    return store_->list_images(alice_.id, ImageQuery{.text = text}).size();
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  User alice_;
  User bob_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreImagesTest, ::testing::Values("file", "memory", "postgres"),
                         [](const auto& backend) { return backend.param; });

TEST_P(StoreImagesTest, ImagesKeepEveryField) {
  const auto images = generate(alice_, "a lighthouse at dusk", 1, kT0);
  ASSERT_EQ(images.size(), 1U);
  const auto image = store_->get_image(alice_.id, images[0].id);
  ASSERT_TRUE(image);
  EXPECT_EQ(image->user_id, alice_.id);
  EXPECT_FALSE(image->job_id.empty());
  EXPECT_EQ(image->index, 0);
  EXPECT_EQ(image->params.prompt, "a lighthouse at dusk");
  EXPECT_EQ(image->params.negative_prompt, "blurry, lowres");
  EXPECT_EQ(image->params.model, "procedural");
  EXPECT_EQ(image->params.width, 256);
  EXPECT_EQ(image->params.steps, 4);
  EXPECT_DOUBLE_EQ(image->params.cfg_scale, 5);
  EXPECT_EQ(image->params.seed, 7U);
  EXPECT_EQ(image->params.count, 1);
  EXPECT_EQ(image->title, "");
  EXPECT_TRUE(image->tags.empty());
  EXPECT_FALSE(image->favorite);
  EXPECT_EQ(image->blob_key, "images/" + image->id + ".png");
  EXPECT_EQ(image->bytes, 10);
  EXPECT_EQ(image->sha256, "ab");
  EXPECT_EQ(image->created_at, kT0);
  EXPECT_FALSE(store_->get_image(bob_.id, image->id));
  EXPECT_FALSE(store_->get_image(alice_.id, "no-such-image"));
}

TEST_P(StoreImagesTest, TaskParametersRoundTripOnJobsAndImages) {
  const auto source = generate(alice_, "a vase", 1, kT0).at(0);
  const auto mask = generate(alice_, "a mask", 1, kT0 + 1).at(0);
  Job job;
  job.id = new_id();
  job.user_id = alice_.id;
  job.params = {.prompt = "a golden vase",
                .model = "amazon.nova-canvas-v1:0",
                .width = 256,
                .height = 256,
                .cfg_scale = 6.5,
                .seed = 9,
                .count = 1,
                .quality = "premium",
                .style_preset = "origami",
                .grow_mask = 12,
                .composition_fidelity = 0.8,
                .change_strength = 0.3,
                .task = GenerationTask::inpaint,
                .source_image_id = source.id,
                .mask_image_id = mask.id,
                .strength = 0,
                .mask_blur = 7,
                .loras = {{"ink \"wash\"", 0.8, "0123456789ab"}, {"grain", -0.25, ""}}};
  job.created_at = kT0 + 2;
  store_->enqueue_job(job);
  const auto claimed = store_->claim_job("worker", kT0 + 2, QueuePolicy{});
  ASSERT_TRUE(claimed && claimed->id == job.id);
  const auto expect_task_params = [&](const GenerationParams& p) {
    EXPECT_EQ(p.quality, "premium");
    EXPECT_EQ(p.task, GenerationTask::inpaint);
    EXPECT_EQ(p.source_image_id, source.id);
    EXPECT_EQ(p.mask_image_id, mask.id);
    EXPECT_DOUBLE_EQ(p.strength, 0);
    EXPECT_EQ(p.mask_blur, 7);
    EXPECT_EQ(p.loras, job.params.loras);
    EXPECT_EQ(p.style_preset, "origami");
    EXPECT_EQ(p.grow_mask, 12);
    EXPECT_DOUBLE_EQ(p.composition_fidelity, 0.8);
    EXPECT_DOUBLE_EQ(p.change_strength, 0.3);
  };
  expect_task_params(claimed->params);

  Image image;
  image.id = new_id();
  image.params = job.params;
  image.params.task = GenerationTask::image_to_image;
  image.params.mask_image_id.clear();
  image.params.strength = 0.35;
  image.params.mask_blur = 0;
  image.blob_key = "images/" + image.id + ".png";
  image.bytes = 10;
  image.sha256 = "ab";
  image.created_at = kT0 + 3;
  ASSERT_TRUE(store_->complete_job(job.id, "worker", {image}, kT0 + 3));
  const auto done = store_->get_job(alice_.id, job.id);
  ASSERT_TRUE(done);
  expect_task_params(done->params);
  const auto stored = store_->get_image(alice_.id, image.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->params.task, GenerationTask::image_to_image);
  EXPECT_EQ(stored->params.mask_image_id, "");
  EXPECT_DOUBLE_EQ(stored->params.strength, 0.35);
  EXPECT_EQ(stored->params.mask_blur, 0);
  EXPECT_EQ(stored->params.quality, "premium");
  EXPECT_EQ(stored->params.loras, job.params.loras);
  EXPECT_EQ(stored->params.style_preset, "origami");
  EXPECT_EQ(stored->params.grow_mask, 12);
  EXPECT_TRUE(store_->get_image(alice_.id, source.id)->params.loras.empty());
  EXPECT_EQ(store_->get_image(alice_.id, source.id)->params.style_preset, "");
  // Text-to-image rows (and every row from before migration 2) read back with the defaults.
  EXPECT_EQ(store_->get_image(alice_.id, source.id)->params.task, GenerationTask::text_to_image);
  EXPECT_EQ(store_->get_image(alice_.id, source.id)->params.source_image_id, "");
}

TEST_P(StoreImagesTest, PagesCoverEveryImageOnceNewestFirst) {
  std::set<std::string> alices;
  for (int g = 0; g < 7; ++g) {
    for (const auto& image : generate(alice_, "scene " + std::to_string(g), 4, kT0 + g)) {
      alices.insert(image.id);
    }
  }
  generate(bob_, "scene", 3, kT0);
  EXPECT_EQ(store_->count_images(), 31);

  std::vector<std::string> seen;
  ImageQuery query{.page = {.limit = 5}};
  for (;;) {
    const auto page = ids(alice_, query);
    ASSERT_LE(page.size(), 5U);
    seen.insert(seen.end(), page.begin(), page.end());
    if (page.size() < 5) break;
    query.page.after_id = page.back();
  }
  EXPECT_EQ(seen.size(), alices.size());
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), alices);
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
  EXPECT_EQ(ids(bob_, {}).size(), 3U);
}

TEST_P(StoreImagesTest, FiltersByModelFavoriteAndDates) {
  const auto old_images = generate(alice_, "old", 2, kT0, "procedural");
  const auto mid_images = generate(alice_, "mid", 2, kT0 + 1000, "sdxl");
  generate(alice_, "new", 2, kT0 + 2000, "sdxl");
  generate(bob_, "bob", 2, kT0 + 1000, "sdxl");
  store_->update_image(alice_.id, mid_images[1].id, ImagePatch{.favorite = true});

  EXPECT_EQ(ids(alice_, {.model = "sdxl"}).size(), 4U);
  EXPECT_EQ(ids(alice_, {.model = "procedural"}).size(), 2U);
  EXPECT_TRUE(ids(alice_, {.model = "dall-e"}).empty());
  EXPECT_EQ(ids(alice_, {.favorite = true}), std::vector<std::string>{mid_images[1].id});
  EXPECT_EQ(ids(alice_, {.favorite = false}).size(), 5U);
  EXPECT_EQ(ids(alice_, {.created_from = kT0 + 1000}).size(), 4U);  // inclusive
  EXPECT_EQ(ids(alice_, {.created_to = kT0 + 1000}).size(), 2U);    // exclusive
  EXPECT_EQ(ids(alice_, {.created_from = kT0 + 1000, .created_to = kT0 + 2000}).size(), 2U);
  EXPECT_EQ(ids(alice_, {.model = "sdxl", .favorite = true, .created_from = kT0}).size(), 1U);
  const auto olds = ids(alice_, {.created_to = kT0 + 1});
  EXPECT_EQ(std::set<std::string>(olds.begin(), olds.end()),
            (std::set<std::string>{old_images[0].id, old_images[1].id}));
}

TEST_P(StoreImagesTest, CountsWhatThePagesHoldWhateverThePage) {
  const auto old_images = generate(alice_, "old fox", 2, kT0, "procedural");
  generate(alice_, "new owl", 3, kT0 + 1000, "sdxl");
  generate(bob_, "bob fox", 4, kT0 + 1000, "sdxl");
  store_->update_image(alice_.id, old_images[0].id, ImagePatch{.favorite = true});

  const auto count = [&](ImageQuery query) {
    return store_->count_matching_images(alice_.id, query);
  };
  EXPECT_EQ(count({}), 5);
  EXPECT_EQ(count({.page = {.after_id = old_images[1].id, .limit = 1}}), 5);
  EXPECT_EQ(count({.text = "fox"}), 2);
  EXPECT_EQ(count({.text = "giraffe"}), 0);
  EXPECT_EQ(count({.model = "sdxl"}), 3);
  EXPECT_EQ(count({.favorite = true}), 1);
  EXPECT_EQ(count({.text = "fox", .favorite = false}), 1);
  EXPECT_EQ(count({.created_from = kT0 + 1000}), 3);
  EXPECT_EQ(count({.created_to = kT0 + 1000}), 2);
  for (const ImageQuery& query : {ImageQuery{.text = "owl"}, ImageQuery{.model = "procedural"},
                                  ImageQuery{.favorite = false}}) {
    ImageQuery all = query;
    all.page.limit = 1000;
    EXPECT_EQ(count(query), static_cast<std::int64_t>(ids(alice_, all).size()));
  }
  EXPECT_EQ(store_->count_matching_images(bob_.id, {.text = "fox"}), 4);
}

TEST_P(StoreImagesTest, SearchFindsWordsPrefixesAndAccentlessForms) {
  generate(alice_, "A red fox in the snow", 1, kT0);
  generate(alice_, "Blue whale, deep sea", 1, kT0 + 1);
  generate(alice_, "Café au lait on a sci-fi table", 1, kT0 + 2);
  generate(alice_, "日本の風景", 1, kT0 + 3);
  generate(bob_, "a red fox", 1, kT0);

  EXPECT_EQ(search("fox"), 1U);
  EXPECT_EQ(search("FOX"), 1U);
  EXPECT_EQ(search("fo"), 1U);
  EXPECT_EQ(search("red fox"), 1U);
  EXPECT_EQ(search("  red   fox  "), 1U);
  EXPECT_EQ(search("fox red"), 1U);
  EXPECT_EQ(search("red whale"), 0U);
  EXPECT_EQ(search("cafe"), 1U);
  EXPECT_EQ(search("café"), 1U);
  EXPECT_EQ(search("sci-fi"), 1U);
  EXPECT_EQ(search("日本"), 1U);
  EXPECT_EQ(search("blurry"), 4U);  // the negative prompt is searchable too
  EXPECT_EQ(search("giraffe"), 0U);
  EXPECT_EQ(search(""), 4U);
  EXPECT_EQ(search(" \t\n"), 4U);
}

TEST_P(StoreImagesTest, SearchTreatsQuerySyntaxAsText) {
  generate(alice_, "a red fox in the snow", 1, kT0);
  generate(alice_, "star * and quotes \"here\"", 1, kT0 + 1);

  std::vector<std::string> hostile = {"\"",
                                      "\"\"",
                                      "\"fox",
                                      "fox\"",
                                      "AND OR NOT",
                                      "AND",
                                      "OR",
                                      "NOT",
                                      "NEAR(fox red)",
                                      "*",
                                      "**",
                                      "-",
                                      "-fox",
                                      "+",
                                      "^fox",
                                      "fox*",
                                      "prompt:fox",
                                      "{prompt}: fox",
                                      "(",
                                      ")",
                                      "(fox",
                                      "'",
                                      "';DROP TABLE images;--",
                                      "\\",
                                      "%",
                                      "_",
                                      "\xff\xfe\xfd",
                                      "\xe6\x97",
                                      "🦊",
                                      "🦊 fox",
                                      "— fox",
                                      "ﬁ",
                                      "\x01\x02",
                                      "a b c d e f g h i j k l m n o p q r s t u v w x y z"};
  hostile.emplace_back("fox\0red", 7);
  hostile.emplace_back(10'000, 'x');
  hostile.emplace_back(2'000, '"');
  for (const auto& text : hostile) {
    EXPECT_NO_THROW(search(text)) << text;
  }
  EXPECT_EQ(search("AND OR NOT"), 0U);  // the words, not operators
  EXPECT_EQ(search("\""), 0U);
  EXPECT_EQ(search("*"), 0U);
  EXPECT_EQ(search("-"), 0U);
  EXPECT_EQ(search("🦊"), 0U);
  EXPECT_EQ(search("fox\""), 1U);
  EXPECT_EQ(search("fox*"), 1U);
  EXPECT_EQ(search("-fox"), 1U);
  EXPECT_EQ(search("— fox"), 1U);  // a word without letters is ignored beside others
  // Emoji are words to SQLite's tokenizer: no prompt has both. PostgreSQL's parser (in a UTF-8
  // locale) drops them like punctuation, so there the fox alone is searched for.
  EXPECT_EQ(search("🦊 fox"), GetParam() == "postgres" ? 1U : 0U);
  EXPECT_EQ(search(std::string("fox\0red", 7)), 1U);
  EXPECT_EQ(search("\"here\""), 1U);
  EXPECT_EQ(search("NEAR(fox red)"), 0U);  // "near" is not in any prompt
  EXPECT_EQ(search("prompt:fox"), 0U);     // a phrase "prompt fox", not a column filter
}

TEST_P(StoreImagesTest, SearchCombinesWithFiltersAndPagination) {
  std::set<std::string> foxes;
  for (int g = 0; g < 12; ++g) {
    const std::string model = g % 3 == 0 ? "sdxl" : "procedural";
    for (const auto& image :
         generate(alice_, "fox number " + std::to_string(g), 1, kT0 + g, model)) {
      if (model == "procedural") foxes.insert(image.id);
    }
    generate(alice_, "a cat", 1, kT0 + g, model);
  }
  generate(bob_, "fox", 1, kT0);

  std::vector<std::string> seen;
  ImageQuery query{.page = {.limit = 3}, .text = "fox", .model = "procedural"};
  for (;;) {
    const auto page = ids(alice_, query);
    seen.insert(seen.end(), page.begin(), page.end());
    if (page.size() < 3) break;
    query.page.after_id = page.back();
  }
  EXPECT_EQ(seen.size(), foxes.size());
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), foxes);
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
  EXPECT_EQ(ids(alice_, {.text = "fox", .created_from = kT0 + 10}).size(), 2U);
}

// PostgreSQL walks a bounded number of the newest rows before it asks its search index: pages
// whose matches lie within that walk, beyond it, or on both sides are all complete and in order.
TEST_P(StoreImagesTest, SearchFindsTheNewestMatchesWhereverTheyLie) {
  std::vector<std::string> owls, foxes;  // newest first
  for (int g = 0; g < 40; ++g) {
    const std::string prompt = g == 0 ? "an owl" : g % 7 == 0 ? "a fox" : "a cat";
    const auto images = generate(alice_, prompt, 1, kT0 + g);
    if (g == 0) owls.insert(owls.begin(), images[0].id);
    if (prompt == "a fox") foxes.insert(foxes.begin(), images[0].id);
  }
  generate(bob_, "an owl", 1, kT0 + 50);

  EXPECT_EQ(ids(alice_, {.page = {.limit = 1}, .text = "owl"}), owls);
  EXPECT_EQ(ids(alice_, {.page = {.limit = 50}, .text = "owl"}), owls);
  for (const int limit : {1, 2, 5}) {
    std::vector<std::string> seen;
    ImageQuery query{.page = {.limit = limit}, .text = "fox"};
    for (;;) {
      const auto page = ids(alice_, query);
      seen.insert(seen.end(), page.begin(), page.end());
      if (static_cast<int>(page.size()) < limit) break;
      query.page.after_id = page.back();
    }
    EXPECT_EQ(seen, foxes) << limit;
  }
  EXPECT_EQ(ids(alice_, {.page = {.limit = 3}, .text = "cat"}).size(), 3U);
}

TEST_P(StoreImagesTest, UpdateChangesOnlyThePatchedFields) {
  const auto images = generate(alice_, "a lighthouse", 1, kT0);
  const std::string id = images[0].id;

  auto updated = store_->update_image(alice_.id, id, ImagePatch{.title = "Harbor light"});
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->title, "Harbor light");
  EXPECT_FALSE(updated->favorite);

  updated = store_->update_image(
      alice_.id, id,
      ImagePatch{.favorite = true, .tags = std::vector<std::string>{"coast", "Night sky"}});
  ASSERT_TRUE(updated);
  EXPECT_TRUE(updated->favorite);
  EXPECT_EQ(updated->title, "Harbor light");
  EXPECT_EQ(updated->tags, (std::vector<std::string>{"coast", "Night sky"}));
  EXPECT_EQ(store_->get_image(alice_.id, id)->tags, updated->tags);

  // The search index follows the title and tags.
  EXPECT_EQ(search("harbor"), 1U);
  EXPECT_EQ(search("night"), 1U);
  updated = store_->update_image(alice_.id, id,
                                 ImagePatch{.title = "Beacon", .tags = std::vector<std::string>{}});
  EXPECT_TRUE(updated->tags.empty());
  EXPECT_EQ(search("harbor"), 0U);
  EXPECT_EQ(search("night"), 0U);
  EXPECT_EQ(search("beacon"), 1U);
  EXPECT_EQ(search("lighthouse"), 1U);

  // An empty patch changes nothing and still answers the image.
  EXPECT_EQ(store_->update_image(alice_.id, id, ImagePatch{})->title, "Beacon");
}

TEST_P(StoreImagesTest, TagsWithQuotesAndUnicodeRoundTrip) {
  const auto images = generate(alice_, "x", 1, kT0);
  const std::vector<std::string> tags = {"\"quoted\"", "back\\slash", "ünïcødé", "", "[]"};
  store_->update_image(alice_.id, images[0].id, ImagePatch{.tags = tags});
  EXPECT_EQ(store_->get_image(alice_.id, images[0].id)->tags, tags);
  EXPECT_EQ(search("unic"), 1U);
}

TEST_P(StoreImagesTest, AnotherUserCanNeitherUpdateNorDelete) {
  const auto images = generate(alice_, "mine", 1, kT0);
  const std::string id = images[0].id;
  EXPECT_FALSE(store_->update_image(bob_.id, id, ImagePatch{.favorite = true, .title = "stolen"}));
  EXPECT_FALSE(store_->delete_image(bob_.id, id));
  const auto image = store_->get_image(alice_.id, id);
  ASSERT_TRUE(image);
  EXPECT_FALSE(image->favorite);
  EXPECT_EQ(image->title, "");
  EXPECT_FALSE(store_->update_image(alice_.id, "no-such-image", ImagePatch{.favorite = true}));
}

TEST_P(StoreImagesTest, DeleteReturnsTheRowAndForgetsIt) {
  generate(alice_, "a calm lake", 1, kT0);
  const auto images = generate(alice_, "a zebra crossing", 2, kT0 + 1);
  const auto deleted = store_->delete_image(alice_.id, images[1].id);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->id, images[1].id);
  EXPECT_EQ(deleted->blob_key, images[1].blob_key);
  EXPECT_FALSE(store_->get_image(alice_.id, images[1].id));
  EXPECT_FALSE(store_->delete_image(alice_.id, images[1].id));
  EXPECT_EQ(store_->count_images(), 2);
  EXPECT_EQ(search("zebra"), 1U);
  EXPECT_EQ(store_->get_job(alice_.id, images[0].job_id)->images.size(), 1U);

  // The newest row's storage slot is reused by the next insert: a stale index entry for the
  // deleted image would now match the new one.
  store_->delete_image(alice_.id, images[0].id);
  generate(alice_, "a mountain", 1, kT0 + 2);
  EXPECT_EQ(search("zebra"), 0U);
  EXPECT_EQ(search("mountain"), 1U);
  EXPECT_EQ(search("lake"), 1U);
}

// Readers share a small pool of connections (more threads than connections here) while the
// writer keeps adding images; every read sees a consistent, growing gallery.
TEST_P(StoreImagesTest, ReadsRunAlongsideWrites) {
  std::atomic<bool> writing = true;
  std::vector<std::thread> readers;
  for (int r = 0; r < 6; ++r) {
    readers.emplace_back([&] {
      std::size_t last = 0;
      while (writing) {
        const auto images = store_->list_images(alice_.id, ImageQuery{.page = {.limit = 1000}});
        EXPECT_GE(images.size(), last);
        EXPECT_EQ(images.size() % 2, 0U);  // a generation's images appear together
        last = images.size();
        if (!images.empty()) {
          EXPECT_TRUE(store_->get_image(alice_.id, images.front().id));
        }
      }
    });
  }
  for (int g = 0; g < 40; ++g) generate(alice_, "frame " + std::to_string(g), 2, kT0 + g);
  writing = false;
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(store_->list_images(alice_.id, ImageQuery{.page = {.limit = 1000}}).size(), 80U);
}

}  // namespace
}  // namespace rendermart
