// The platform's own cost per job: what a worker spends on a job besides the model. Jobs go
// through the real WorkerPool and GenerationRunner (one worker thread), the real Store (a SQLite
// file, or PostgreSQL at the URL given), the real job events (in memory, or LISTEN/NOTIFY) and
// local files as the blob store, with a provider that costs nothing: it hands back copies of one
// image rendered before the run. Each Store, BlobStore and JobEvents call and the provider are
// timed by subclasses that forward to the real ones, on whichever thread calls them.
//
// Modes:
//   queue    N jobs queued before the worker starts, so enqueueing is not counted; per job:
//            claim, the provider call, job events, encoding (the PNG with its parameters,
//            SHA-256, WebP thumbnails: the worker's time between the provider's return and
//            complete_job less the blob writes and events in it), blob writes, complete_job,
//            lease renewals, the rest (logging, metrics, the worker loop), claim to completed,
//            and the cycle (one claim to the next).
//   trickle  one job queued at a time, as an API process queues it (enqueue, then the "job
//            queued" notification), each once the previous one's "succeeded" event has arrived
//            and the worker has been idle for a while (--idle-ms): how long an idle worker takes
//            to claim a job after it is queued (wake-up), and enqueue to "succeeded" heard.
//
// Prints one JSON object (microseconds); bench/job_overhead_bench.py runs it per backend and
// round and prints the tables of docs/benchmarks.md.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "blob/local/file_blob_store.hpp"
#include "core/ids.hpp"
#include "core/metrics.hpp"
#include "providers/procedural/procedural_provider.hpp"
#include "services/blob_writers.hpp"
#include "services/image_files.hpp"
#include "services/model_catalog.hpp"
#include "services/worker_pool.hpp"
#include "store/postgres/pg_job_events.hpp"
#include "store/postgres/pg_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace rendermart {
namespace {

using Clock = std::chrono::steady_clock;

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

enum class Stage { claim, claim_empty, provider, publish, notify, put, complete, renew, other };

const char* stage_name(Stage stage) {
  switch (stage) {
    case Stage::claim: return "claim";
    case Stage::claim_empty: return "claim_empty";
    case Stage::provider: return "provider";
    case Stage::publish: return "events";
    case Stage::notify: return "notify";
    case Stage::put: return "blob_writes";
    case Stage::complete: return "complete_job";
    case Stage::renew: return "renew_lease";
    case Stage::other: return "other";
  }
  return "?";
}

struct Span {
  Stage stage;
  Clock::time_point start;
  Clock::time_point end;
  std::thread::id thread;
};

// Every timed call of the run, from every thread.
class Recorder {
 public:
  void add(Stage stage, Clock::time_point start) {
    const auto end = Clock::now();
    std::lock_guard lock(mutex_);
    spans_.push_back({stage, start, end, std::this_thread::get_id()});
  }
  std::vector<Span> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(spans_, {});
  }

 private:
  std::mutex mutex_;
  std::vector<Span> spans_;
};

Recorder recorder;

// Times a call and records it, also when it throws.
template <typename Call>
auto timed(Stage stage, Call&& call) {
  struct Record {
    Stage stage;
    Clock::time_point start = Clock::now();
    ~Record() { recorder.add(stage, start); }
  } record{stage};
  return call();
}

// The real Store of either backend, with the worker's calls timed.
template <typename Base>
class TimedStore : public Base {
 public:
  using Base::Base;

  std::optional<Job> claim_job(const std::string& worker_id, Millis now,
                               const QueuePolicy& policy) override {
    const auto start = Clock::now();
    auto job = Base::claim_job(worker_id, now, policy);
    recorder.add(job ? Stage::claim : Stage::claim_empty, start);
    return job;
  }
  bool renew_lease(const std::string& job_id, const std::string& worker_id, double progress,
                   Millis now, const QueuePolicy& policy) override {
    return timed(Stage::renew,
                 [&] { return Base::renew_lease(job_id, worker_id, progress, now, policy); });
  }
  bool complete_job(const std::string& job_id, const std::string& worker_id,
                    const std::vector<Image>& images, Millis now) override {
    return timed(Stage::complete,
                 [&] { return Base::complete_job(job_id, worker_id, images, now); });
  }
};

template <typename Base>
class TimedEvents : public Base {
 public:
  using Base::Base;

  void publish(const JobEvent& event) override {
    timed(Stage::publish, [&] { Base::publish(event); });
  }
  void notify_job_queued() override {
    timed(Stage::notify, [&] { Base::notify_job_queued(); });
  }
};

class TimedBlobs : public FileBlobStore {
 public:
  using FileBlobStore::FileBlobStore;

  void put(const std::string& key, const std::string& bytes,
           const std::string& content_type) override {
    timed(Stage::put, [&] { FileBlobStore::put(key, bytes, content_type); });
  }
};

// A model that costs nothing: copies of an image made before the run.
class InstantProvider : public Provider {
 public:
  explicit InstantProvider(RawImage image) : image_(std::move(image)) {}

  std::vector<ModelInfo> models() const override {
    ModelInfo info;
    info.id = "instant";
    info.name = "Instant (benchmark)";
    info.provider = "bench";
    info.kind = "demo";
    info.family = "demo";
    return {info};
  }
  std::vector<RawImage> generate(const GenerationParams& params, const GenerationInputs&,
                                 const ProgressFn&, const CancelFlag&) override {
    return timed(Stage::provider, [&] {
      return std::vector<RawImage>(static_cast<std::size_t>(params.count), image_);
    });
  }

 private:
  RawImage image_;
};

// Writes that do nothing: what encoding costs without the disk.
class NoBlobs : public BlobStore {
 public:
  void put(const std::string&, const std::string&, const std::string&) override {}
  std::string get(const std::string&) override { return {}; }
  std::optional<BlobInfo> head(const std::string&) override { return std::nullopt; }
  void remove(const std::string&) override {}
  std::optional<std::string> presigned_get_url(const std::string&, std::chrono::seconds) override {
    return std::nullopt;
  }
  void ping() override {}
};

// The median time of an image's encoding as the runner does it (the PNG with its parameters,
// its SHA-256, the thumbnails), handed to writers that do nothing.
double encoding_alone_us(const RawImage& image, const GenerationParams& params) {
  constexpr int kRuns = 100;
  NoBlobs nothing;
  BlobWriters writers(nothing, kFilesPerImage);
  std::vector<double> times;
  for (int i = 0; i < kRuns; ++i) {
    const auto start = Clock::now();
    const std::string png = generated_png(image, params, "Instant (benchmark)");
    sha256_hex(png);
    put_image_files(writers, "images/bench.png", png, image);
    times.push_back(micros(Clock::now() - start));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

GenerationParams job_params(int size) {
  GenerationParams params;
  params.prompt = "a lighthouse on a cliff at dusk, oil painting";
  params.negative_prompt = "blurry";
  params.model = "instant";
  params.width = size;
  params.height = size;
  params.steps = 1;
  params.cfg_scale = 7;
  params.seed = 1234;
  return params;
}

Job make_job(const std::string& user_id, const GenerationParams& params, Millis created_at) {
  Job job;
  job.id = new_id();
  job.user_id = user_id;
  job.params = params;
  job.created_at = created_at;
  return job;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

// One job as the worker thread spent it.
struct JobTimes {
  Clock::time_point claim_start;
  std::map<std::string, double> stages;  // microseconds
  double claim_to_completed = 0;
};

// The worker thread: the one that claims jobs.
std::thread::id worker_thread(const std::vector<Span>& spans) {
  for (const auto& span : spans) {
    if (span.stage == Stage::claim) return span.thread;
  }
  return {};
}

using Interval = std::pair<Clock::time_point, Clock::time_point>;

// Microseconds covered by at least one of `intervals`.
double covered(std::vector<Interval> intervals) {
  std::sort(intervals.begin(), intervals.end());
  double total = 0;
  std::optional<Interval> run;
  for (const auto& [start, end] : intervals) {
    if (run && start <= run->second) {
      run->second = std::max(run->second, end);
      continue;
    }
    if (run) total += micros(run->second - run->first);
    run = Interval{start, end};
  }
  if (run) total += micros(run->second - run->first);
  return total;
}

// Splits the spans into jobs, each from its successful claim on the worker thread to the next
// one. The worker's own stages add up. Blob writes may run on other threads, at the same time as
// each other and as encoding: they count as the time during which at least one of the job's
// writes ran, and encoding as the rest of the time between the provider's return and
// complete_job, when the worker neither waited for a write nor published an event.
std::vector<JobTimes> per_job(const std::vector<Span>& all) {
  std::vector<Span> spans;
  std::vector<Span> puts;
  const auto worker = worker_thread(all);
  for (const auto& span : all) {
    if (span.stage == Stage::put) {
      puts.push_back(span);
    } else if (span.thread == worker) {
      spans.push_back(span);
    }
  }
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.start < b.start; });

  std::vector<JobTimes> jobs;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    if (spans[i].stage != Stage::claim) continue;
    JobTimes job;
    job.claim_start = spans[i].start;
    for (const auto stage : {Stage::claim, Stage::provider, Stage::publish, Stage::put,
                             Stage::complete, Stage::renew}) {
      job.stages[stage_name(stage)] = 0;
    }
    std::optional<Clock::time_point> provider_end;
    for (std::size_t j = i; j < spans.size() && (j == i || spans[j].stage != Stage::claim); ++j) {
      const auto& span = spans[j];
      if (span.stage == Stage::claim_empty) break;  // the queue ran dry: idle time follows
      job.stages[stage_name(span.stage)] += micros(span.end - span.start);
      if (span.stage == Stage::provider) provider_end = span.end;
      if (span.stage != Stage::complete || !provider_end) continue;
      job.claim_to_completed = micros(span.end - job.claim_start);
      std::vector<Interval> writes;
      for (const auto& put : puts) {
        if (put.start >= *provider_end && put.end <= span.start) {
          writes.emplace_back(put.start, put.end);
        }
      }
      std::vector<Interval> busy = writes;
      for (std::size_t k = i; k < j; ++k) {
        if (spans[k].start >= *provider_end &&
            (spans[k].stage == Stage::publish || spans[k].stage == Stage::renew)) {
          busy.emplace_back(spans[k].start, spans[k].end);
        }
      }
      job.stages[stage_name(Stage::put)] = covered(writes);
      job.stages["encoding"] = micros(span.start - *provider_end) - covered(busy);
    }
    jobs.push_back(std::move(job));
  }
  return jobs;
}

nlohmann::json summarize(const std::vector<JobTimes>& jobs, bool with_cycle) {
  std::map<std::string, std::vector<double>> values;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    double parts = 0;
    for (const auto& [name, us] : jobs[i].stages) {
      values[name].push_back(us);
      parts += us;
    }
    values["claim_to_completed"].push_back(jobs[i].claim_to_completed);
    // The last job has no next claim to end its cycle.
    if (with_cycle && i + 1 < jobs.size()) {
      const double cycle = micros(jobs[i + 1].claim_start - jobs[i].claim_start);
      values["cycle"].push_back(cycle);
      values["other"].push_back(cycle - parts);
    }
  }
  nlohmann::json medians = nlohmann::json::object();
  nlohmann::json means = nlohmann::json::object();
  for (const auto& [name, list] : values) {
    medians[name] = median(list);
    double sum = 0;
    for (const double v : list) sum += v;
    means[name] = list.empty() ? 0 : sum / static_cast<double>(list.size());
  }
  return {{"median_us", medians}, {"mean_us", means}};
}

struct Options {
  std::string database = "sqlite://job-overhead.db";
  std::string storage = "job-overhead-files";
  std::string mode = "queue";
  int jobs = 300;
  int users = 4;
  int size = 64;
  int idle_ms = 20;
};

// Counts "succeeded" events as they arrive (on the publishing or the notification thread).
class Completions {
 public:
  void on_event(const JobEvent& event) {
    if (event.type != JobEvent::Type::status || event.status != JobStatus::succeeded) return;
    {
      std::lock_guard lock(mutex_);
      ++count_;
    }
    changed_.notify_all();
  }
  // False after `timeout` without reaching `count`.
  bool wait_for(int count, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return count_ >= count; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int count_ = 0;
};

int run(const Options& options) {
  const bool postgres = options.database.starts_with("postgres");
  std::unique_ptr<Store> store;
  std::unique_ptr<JobEvents> events;
  if (postgres) {
    store = std::make_unique<TimedStore<PgStore>>(options.database);
    events = std::make_unique<TimedEvents<PostgresJobEvents>>(options.database);
  } else {
    const std::string path = options.database.substr(std::string("sqlite://").size());
    store = std::make_unique<TimedStore<SqliteStore>>(path);
    events = std::make_unique<TimedEvents<InProcessJobEvents>>();
  }
  store->migrate();
  TimedBlobs blobs(options.storage);

  const auto params = job_params(options.size);
  const auto image = ProceduralProvider().generate(
      params, {}, [](const ProgressUpdate&) {}, CancelFlag{false});
  ModelCatalog catalog;
  catalog.add(std::make_shared<InstantProvider>(image.front()));
  Metrics metrics;

  std::vector<std::string> users;
  for (int i = 0; i < options.users; ++i) {
    User user{.id = new_id(),
              .email = "bench" + std::to_string(i) + "@example.com",
              .password_hash = "unused",
              .created_at = now_millis()};
    store->create_user(user);
    users.push_back(user.id);
  }

  Completions completions;
  const auto subscription =
      events->subscribe_all([&](const JobEvent& event) { completions.on_event(event); });

  WorkerOptions worker_options;
  worker_options.threads = 1;
  WorkerPool pool(*store, blobs, catalog, *events, metrics, worker_options);
  constexpr auto kTimeout = std::chrono::seconds(600);

  nlohmann::json out = {{"backend", postgres ? "PostgreSQL" : "SQLite"},
                        {"mode", options.mode},
                        {"jobs", options.jobs},
                        {"users", options.users},
                        {"size", options.size},
                        {"idle_ms", options.idle_ms},
                        {"encoding_alone_us", encoding_alone_us(image.front(), params)}};
  if (options.mode == "queue") {
    const Millis created = now_millis();
    for (int i = 0; i < options.jobs; ++i) {
      store->enqueue_job(
          make_job(users[static_cast<std::size_t>(i % options.users)], params, created + i));
    }
    recorder.take();
    const auto started = Clock::now();
    pool.start();
    if (!completions.wait_for(options.jobs, kTimeout)) {
      std::fprintf(stderr, "the jobs did not finish in time\n");
      return 1;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    pool.stop();
    const auto spans = recorder.take();
    const auto jobs = per_job(spans);
    out["jobs_per_s"] = options.jobs / seconds;
    // The heartbeat thread's renewals, beside the worker's own (a stage of each job).
    const auto worker = worker_thread(spans);
    out["heartbeat_renewals"] = std::count_if(spans.begin(), spans.end(), [&](const Span& span) {
      return span.stage == Stage::renew && span.thread != worker;
    });
    out["measured_jobs"] = jobs.size();
    out.update(summarize(jobs, true));
  } else {
    pool.start();
    recorder.take();
    std::vector<Clock::time_point> queued;
    std::vector<double> end_to_end;
    for (int i = 0; i < options.jobs; ++i) {
      // The worker finds the queue empty and waits.
      std::this_thread::sleep_for(std::chrono::milliseconds(options.idle_ms));
      const auto start = Clock::now();
      store->enqueue_job(
          make_job(users[static_cast<std::size_t>(i % options.users)], params, now_millis()));
      queued.push_back(Clock::now());
      events->notify_job_queued();
      if (!completions.wait_for(i + 1, kTimeout)) {
        std::fprintf(stderr, "job %d did not finish in time\n", i);
        return 1;
      }
      end_to_end.push_back(micros(Clock::now() - start));
    }
    pool.stop();
    const auto jobs = per_job(recorder.take());
    if (jobs.size() != queued.size()) {
      std::fprintf(stderr, "%zu claims for %zu jobs\n", jobs.size(), queued.size());
      return 1;
    }
    std::vector<double> wake;
    int slow_wakes = 0;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      wake.push_back(micros(jobs[i].claim_start - queued[i]));
      if (wake.back() > 100'000) ++slow_wakes;
    }
    out.update(summarize(jobs, false));
    out["wake_us"] = {
        {"median", median(wake)}, {"p90", percentile(wake, 0.9)}, {"max", percentile(wake, 1.0)}};
    out["wakes_over_100ms"] = slow_wakes;
    out["enqueue_to_succeeded_us"] = {{"median", median(end_to_end)},
                                      {"p90", percentile(end_to_end, 0.9)},
                                      {"max", percentile(end_to_end, 1.0)}};
  }
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace
}  // namespace rendermart

int main(int argc, char** argv) {
  rendermart::Options options;
  CLI::App app("The platform's cost per job, with a provider that costs nothing");
  app.add_option("--database", options.database,
                 "sqlite://PATH (a new file) or a PostgreSQL URL (an empty database)");
  app.add_option("--storage", options.storage, "blob directory (local files)");
  app.add_option("--mode", options.mode, "queue: a filled queue; trickle: one job at a time")
      ->check(CLI::IsMember({"queue", "trickle"}));
  app.add_option("--jobs", options.jobs, "jobs per run")->check(CLI::Range(2, 1'000'000));
  app.add_option("--users", options.users, "users the jobs are spread over")
      ->check(CLI::Range(1, 1000));
  app.add_option("--size", options.size, "the image's side, pixels")->check(CLI::Range(8, 2048));
  app.add_option("--idle-ms", options.idle_ms, "trickle: the worker's idle time before each job")
      ->check(CLI::Range(0, 10'000));
  CLI11_PARSE(app, argc, argv);
  // As the server logs by default: info and above, to stderr, flushed at once.
  auto logger = std::make_shared<spdlog::logger>("rendermart",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  try {
    return rendermart::run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "job_overhead_bench: %s\n", e.what());
    return 1;
  }
}
