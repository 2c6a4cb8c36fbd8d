#include "galfriday/core/status.hpp"

#include <gtest/gtest.h>

namespace galfriday {
namespace {

Result<int> half(int value) {
  if (value % 2 != 0) return invalid_argument(std::to_string(value) + " is odd");
  return value / 2;
}

Status check_even(int value) {
  GF_RETURN_IF_ERROR(half(value).status());
  return Status::ok();
}

TEST(Status, ResultCarriesValueOrError) {
  EXPECT_EQ(half(8).value(), 4);
  auto odd = half(7);
  ASSERT_FALSE(odd.is_ok());
  EXPECT_EQ(odd.status().to_string(), "INVALID_ARGUMENT: 7 is odd");
}

TEST(Status, ReturnIfErrorPropagatesWithContext) {
  EXPECT_TRUE(check_even(2).is_ok());
  const Status status = check_even(3).with_context("row 12");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "row 12: 3 is odd");
}

}  // namespace
}  // namespace galfriday
