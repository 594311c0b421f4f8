#include "api/multipart_form.hpp"

#include <boost/algorithm/string/predicate.hpp>

#include "core/error.hpp"

namespace rendermart::api {
namespace {

constexpr std::size_t kMaxBoundary = 70;  // RFC 2046

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The value of `name=` among a header's ;-separated parameters, unquoted; nothing when absent.
std::optional<std::string> header_parameter(std::string_view header, std::string_view name) {
  std::size_t start = header.find(';');
  while (start != std::string_view::npos) {
    const auto next = header.find(';', start + 1);
    auto item = trim(header.substr(
        start + 1, next == std::string_view::npos ? std::string_view::npos : next - start - 1));
    const auto eq = item.find('=');
    if (eq != std::string_view::npos && boost::iequals(trim(item.substr(0, eq)), name)) {
      auto value = trim(item.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"') {
        // A quoted value may hold ';': take everything up to the closing quote.
        const auto whole = header.substr(header.find('"', start) + 1);
        return std::string(whole.substr(0, whole.find('"')));
      }
      return std::string(value);
    }
    start = next;
  }
  return std::nullopt;
}

Error malformed(const std::string& why) {
  return invalid_argument("body", "the multipart/form-data body is malformed: " + why);
}

FormPart parse_part(std::string_view part) {
  const auto header_end = part.find("\r\n\r\n");
  if (header_end == std::string_view::npos) throw malformed("a part has no header");
  FormPart out;
  out.data = part.substr(header_end + 4);
  auto headers = part.substr(0, header_end);
  bool disposition = false;
  while (!headers.empty()) {
    const auto eol = headers.find("\r\n");
    const auto line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const auto name = trim(line.substr(0, colon));
    const auto value = trim(line.substr(colon + 1));
    if (boost::iequals(name, "content-disposition")) {
      disposition = true;
      out.name = header_parameter(value, "name").value_or("");
      out.filename = header_parameter(value, "filename");
    } else if (boost::iequals(name, "content-type")) {
      out.content_type = std::string(value);
    }
  }
  if (!disposition || out.name.empty()) throw malformed("a part has no form-data name");
  return out;
}

}  // namespace

std::vector<FormPart> parse_multipart_form(std::string_view content_type, std::string_view body) {
  const auto boundary = header_parameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > kMaxBoundary) {
    throw malformed("the Content-Type names no boundary");
  }
  const std::string delimiter = "--" + *boundary;
  // The first delimiter may follow a preamble; every later one starts on a new line.
  auto position = body.find(delimiter);
  if (position == std::string_view::npos) throw malformed("no part starts with the boundary");
  std::vector<FormPart> parts;
  const std::string next_delimiter = "\r\n" + delimiter;
  while (true) {
    position += delimiter.size();
    if (body.substr(position, 2) == "--") return parts;
    if (body.substr(position, 2) != "\r\n") throw malformed("a boundary line does not end");
    position += 2;
    const auto end = body.find(next_delimiter, position);
    if (end == std::string_view::npos) {
      throw malformed("the body ends before its closing boundary (was the upload cut short?)");
    }
    parts.push_back(parse_part(body.substr(position, end - position)));
    position = end + 2;
  }
}

}  // namespace rendermart::api
