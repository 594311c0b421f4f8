#include "app/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/iso_time.hpp"

namespace rendermart {
namespace {

class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    std::string line;
    if (text.size() > 2 && text.front() == '{' && text.back() == '}') {
      line = text;  // already a complete structured record (the access log)
    } else {
      const auto millis =
          std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch())
              .count();
      const auto level = spdlog::level::to_string_view(msg.level);
      line = "{\"ts\":\"" + format_iso8601(millis) + "\",\"level\":\"" +
             std::string(level.data(), level.size()) + "\",\"msg\":" +
             nlohmann::json(std::string(text))
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
             "}";
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

void setup_logging(const std::string& level, const std::string& format) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    throw invalid_argument("log_level",
                           "RENDERMART_LOG_LEVEL must be trace, debug, info, warn or error");
  }
  // "access" is the HTTP server's request log; both share stderr and the format.
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  for (const char* name : {"rendermart", "access"}) {
    auto logger = std::make_shared<spdlog::logger>(name, sink);
    logger->set_level(parsed);
    logger->flush_on(spdlog::level::trace);
    spdlog::register_logger(logger);
    if (std::string(name) == "rendermart") spdlog::set_default_logger(logger);
  }
  if (format == "json") {
    sink->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  }
}

}  // namespace rendermart
