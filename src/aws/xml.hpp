#pragma once

// Just enough XML for AWS's REST-XML answers (S3, STS): flat documents whose elements we pick by
// name. Not a general parser: no attributes, CDATA or namespaces prefixes on the tags we read.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rendermart::aws {

// The unescaped text of the first <tag>...</tag>; nothing if absent.
std::optional<std::string> xml_text(std::string_view xml, std::string_view tag);
// The texts of every <tag> element, in document order.
std::vector<std::string> xml_texts(std::string_view xml, std::string_view tag);

std::string xml_escape(std::string_view text);
std::string xml_unescape(std::string_view text);

}  // namespace rendermart::aws
