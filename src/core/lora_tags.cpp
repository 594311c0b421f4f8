#include "core/lora_tags.hpp"

#include <cmath>
#include <regex>

#include "core/error.hpp"

namespace rendermart {

PromptLoras extract_lora_tags(const std::string& prompt) {
  static const std::regex tag(R"(<(\w+):([^>]+)>)");
  PromptLoras out;
  std::string::const_iterator from = prompt.begin();
  for (std::sregex_iterator it(prompt.begin(), prompt.end(), tag), end; it != end; ++it) {
    const auto& match = *it;
    if (match[1].str() != "lora") continue;
    out.prompt.append(from, match[0].first);
    from = match[0].second;
    const std::string arguments = match[2].str();
    const auto colon = arguments.find(':');
    LoraUse use;
    use.name = arguments.substr(0, colon);
    if (colon != std::string::npos) {
      const std::string weight = arguments.substr(colon + 1);
      if (weight.find(':') != std::string::npos) {
        throw invalid_argument("prompt", match[0].str() +
                                             " gives separate text encoder and UNet weights; "
                                             "write one weight, as in <lora:" +
                                             use.name + ":0.8>");
      }
      std::size_t used = 0;
      try {
        use.weight = std::stod(weight, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != weight.size() || !std::isfinite(use.weight)) {
        throw invalid_argument(
            "prompt",
            match[0].str() + ": the weight must be a number, as in <lora:" + use.name + ":0.8>");
      }
    }
    out.loras.push_back(std::move(use));
  }
  out.prompt.append(from, prompt.end());
  return out;
}

}  // namespace rendermart
