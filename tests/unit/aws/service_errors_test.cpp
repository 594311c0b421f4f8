// What AWS services say in failed responses, and which failures are retried.

#include <gtest/gtest.h>

#include "aws/service_errors.hpp"

namespace rendermart::aws {
namespace {

TEST(AwsErrors, ErrorCodeFromXmlJsonOrHeader) {
  EXPECT_EQ(error_code({503, {}, "<Error><Code>SlowDown</Code></Error>"}), "SlowDown");
  EXPECT_EQ(error_code({400, {}, R"({"__type":"com.amazon#ThrottlingException","message":"x"})"}),
            "ThrottlingException");
  EXPECT_EQ(error_code({429, {{"x-amzn-errortype", "ThrottlingException:http://internal"}}, ""}),
            "ThrottlingException");
  EXPECT_EQ(error_code({404, {}, ""}), "");
}

TEST(AwsErrors, RetryableResponses) {
  EXPECT_TRUE(is_retryable({500, {}, ""}));
  EXPECT_TRUE(is_retryable({503, {}, ""}));
  EXPECT_TRUE(is_retryable({429, {}, ""}));
  EXPECT_TRUE(is_retryable({400, {}, "<Error><Code>RequestTimeout</Code></Error>"}));
  EXPECT_TRUE(is_retryable({400, {}, "<Error><Code>Throttling</Code></Error>"}));
  EXPECT_FALSE(is_retryable({400, {}, "<Error><Code>InvalidArgument</Code></Error>"}));
  EXPECT_FALSE(is_retryable({403, {}, ""}));
  EXPECT_FALSE(is_retryable({404, {}, ""}));
  EXPECT_FALSE(is_retryable({200, {}, ""}));
}

}  // namespace
}  // namespace rendermart::aws
