#include "aws/xml.hpp"

#include <array>
#include <utility>

namespace rendermart::aws {
namespace {

constexpr std::array<std::pair<std::string_view, char>, 5> entities = {
    {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}}};

}  // namespace

std::vector<std::string> xml_texts(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    const std::size_t start = pos + open.size();
    const std::size_t end = xml.find(close, start);
    if (end == std::string_view::npos) break;
    out.push_back(xml_unescape(xml.substr(start, end - start)));
    pos = end + close.size();
  }
  return out;
}

std::optional<std::string> xml_text(std::string_view xml, std::string_view tag) {
  auto texts = xml_texts(xml, tag);
  if (texts.empty()) return std::nullopt;
  return std::move(texts.front());
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    bool escaped = false;
    for (const auto& [entity, character] : entities) {
      if (c == character) {
        out += entity;
        escaped = true;
        break;
      }
    }
    if (!escaped) out += c;
  }
  return out;
}

std::string xml_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& [entity, character] : entities) {
        if (text.substr(i, entity.size()) == entity) {
          out += character;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

}  // namespace rendermart::aws
