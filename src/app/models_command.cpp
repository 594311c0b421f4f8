#include "app/models_command.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>

#include "app/local_engine.hpp"
#include "app/progress_bar.hpp"
#include "core/error.hpp"
#include "library/model_installer.hpp"

namespace rendermart {
namespace {

using Clock = std::chrono::steady_clock;

// A terminal redraws the bar this often at most; a log gets one line per file.
constexpr std::chrono::milliseconds kRedrawInterval{100};

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1000 && unit < 4) {
    bytes /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return text;
}

library::ModelInstaller installer(const Config& config) {
  return library::ModelInstaller(library::ModelsFolder(config.models_dir),
                                 library::HubSettings::from_environment(), local_model_checker());
}

// Shows a pull's progress: a bar on a terminal, plain lines (one per file) elsewhere.
class PullPrinter {
 public:
  PullPrinter() : terminal_(isatty(STDERR_FILENO) != 0) {}

  void notice(const std::string& line) {
    end_bar();
    std::fprintf(stderr, "%s\n", line.c_str());
  }

  void progress(const library::PullProgress& p) {
    const auto now = Clock::now();
    if (!first_bytes_) {
      first_bytes_ = p.bytes_done;
      started_ = now;
    }
    if (!terminal_) {
      if (p.current_file != file_ && !p.current_file.empty()) {
        std::fprintf(stderr, "downloading %s (file %d of %d)\n", p.current_file.c_str(),
                     p.files_done + 1, p.files_total.value_or(1));
      }
      file_ = p.current_file;
      return;
    }
    if (now - drawn_ < kRedrawInterval && p.files_total && p.files_done < *p.files_total) return;
    drawn_ = now;
    const double seconds = std::chrono::duration<double>(now - started_).count();
    const double rate =
        seconds > 0 ? static_cast<double>(p.bytes_done - *first_bytes_) / seconds : 0;
    const auto total = p.bytes_total.value_or(0);
    draw_progress(total > 0 ? static_cast<double>(p.bytes_done) / static_cast<double>(total) : 0,
                  human_bytes(static_cast<double>(p.bytes_done)) + " / " +
                      (total > 0 ? human_bytes(static_cast<double>(total)) : std::string("?")) +
                      ", " + human_bytes(rate) + "/s  " + p.current_file);
    bar_shown_ = true;
  }

  void end_bar() {
    if (bar_shown_) end_progress();
    bar_shown_ = false;
  }

 private:
  bool terminal_;
  bool bar_shown_ = false;
  std::string file_;
  std::optional<std::int64_t> first_bytes_;
  Clock::time_point started_;
  Clock::time_point drawn_;
};

void print_installed(const library::InstallResult& result, const char* verb) {
  std::cout << verb << " " << result.name << " in " << result.path << " ("
            << human_bytes(static_cast<double>(library::size_on_disk(result.path))) << "; source "
            << result.source << (result.license.empty() ? "" : "; license " + result.license)
            << ")\n";
}

}  // namespace

int run_models_pull(const Config& config, const ModelsPullOptions& options) {
  const auto variant = library::variant_from_string(options.variant);
  if (!variant) throw invalid_argument("variant", "--variant must be auto, fp16 or full");
  PullPrinter printer;
  const library::InstallEvents events{[&](const library::PullProgress& p) { printer.progress(p); },
                                      [&](const std::string& line) { printer.notice(line); }};
  // Ctrl-C ends the process; what was downloaded stays for the next pull to resume.
  const std::atomic<bool> never_canceled{false};
  library::InstallResult result;
  try {
    result =
        installer(config).pull({options.source, options.name, *variant, options.lora, options.file},
                               events, never_canceled);
  } catch (...) {
    printer.end_bar();
    throw;
  }
  printer.end_bar();
  if (result.already_installed) {
    print_installed(result, "already installed:");
    return 0;
  }
  std::cerr << "downloaded " << human_bytes(static_cast<double>(result.bytes_downloaded)) << "\n";
  print_installed(result, "installed");
  return 0;
}

int run_models_add(const Config& config, const std::string& path, const std::string& name) {
  PullPrinter printer;
  const library::InstallEvents events{{}, [&](const std::string& line) { printer.notice(line); }};
  print_installed(installer(config).add(path, name, events), "added");
  return 0;
}

int run_models_list(const Config& config) {
  const library::ModelsFolder folder(config.models_dir);
  const auto models = library::list_installed(folder, local_model_checker());
  if (models.empty()) {
    std::cout << "No models in " << folder.dir()
              << ". Install one: rendermart models pull stabilityai/sd-turbo\n";
    return 0;
  }
  std::printf("%-28s %-11s %-6s %10s  %-40s %-24s %s\n", "NAME", "FORMAT", "FAMILY", "SIZE",
              "SOURCE", "LICENSE", "STATUS");
  for (const auto& m : models) {
    const auto status =
        m.check.problem.empty() ? std::string("usable") : "NOT USABLE: " + m.check.problem;
    std::printf("%-28s %-11s %-6s %10s  %-40s %-24s %s\n", m.name.c_str(),
                library::to_string(m.format), m.check.family.empty() ? "-" : m.check.family.c_str(),
                human_bytes(static_cast<double>(m.size_bytes)).c_str(),
                m.source.empty() ? "-" : m.source.c_str(),
                m.license.empty() ? "-" : m.license.c_str(), status.c_str());
  }
  return 0;
}

int run_models_remove(const Config& config, const std::string& name) {
  library::remove_installed(library::ModelsFolder(config.models_dir), name);
  std::cout << "removed " << name << "\n";
  return 0;
}

}  // namespace rendermart
