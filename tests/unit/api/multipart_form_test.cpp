#include "api/multipart_form.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"

namespace rendermart::api {
namespace {

const std::string kType = "multipart/form-data; boundary=XyZ";

std::string field_of_refusal(const std::string& content_type, const std::string& body) {
  try {
    parse_multipart_form(content_type, body);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    return e.field();
  }
  return "";
}

TEST(MultipartForm, ReadsFilesAndFieldsInOrder) {
  const std::string body =
      "preamble\r\n--XyZ\r\n"
      "Content-Disposition: form-data; name=\"file\"; filename=\"a;b.png\"\r\n"
      "Content-Type: image/png\r\n\r\n"
      "\x89PNG\r\n--XY not the boundary\r\n"
      "--XyZ\r\n"
      "content-disposition: form-data; name=title\r\n\r\n"
      "Holiday\r\n"
      "--XyZ--\r\n";
  const auto parts = parse_multipart_form(kType, body);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].name, "file");
  EXPECT_EQ(parts[0].filename, "a;b.png");
  EXPECT_EQ(parts[0].content_type, "image/png");
  EXPECT_EQ(parts[0].data, "\x89PNG\r\n--XY not the boundary");
  EXPECT_EQ(parts[1].name, "title");
  EXPECT_FALSE(parts[1].filename.has_value());
  EXPECT_EQ(parts[1].data, "Holiday");
  EXPECT_TRUE(parse_multipart_form("multipart/form-data; boundary=\"XyZ\"", "--XyZ--").empty());
}

TEST(MultipartForm, RefusesWhatIsNotAWholeForm) {
  const std::string part = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue";
  EXPECT_EQ(field_of_refusal("multipart/form-data", part + "\r\n--XyZ--"), "body");
  EXPECT_EQ(field_of_refusal(kType, part), "body");  // cut short: no closing boundary
  EXPECT_EQ(field_of_refusal(kType, "no boundary at all"), "body");
  EXPECT_EQ(field_of_refusal(kType, "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--"),
            "body");
  EXPECT_EQ(field_of_refusal(kType, "--XyZ\r\nno header end"), "body");
}

}  // namespace
}  // namespace rendermart::api
