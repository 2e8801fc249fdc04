#include "common/status_macros.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst {
namespace {

using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

absl::StatusOr<int> Half(int v) {
  if (v % 2 != 0) return absl::InvalidArgumentError("odd");
  return v / 2;
}

absl::StatusOr<int> Quarter(int v) {
  ASSIGN_OR_RETURN(int half, Half(v));
  ASSIGN_OR_RETURN(half, Half(half));
  return half;
}

absl::Status CheckEven(int v, int* calls) {
  ++*calls;
  RETURN_IF_ERROR(Half(v));
  RETURN_IF_ERROR(absl::OkStatus());
  return absl::OkStatus();
}

TEST(StatusMacros, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(6), StatusIs(absl::StatusCode::kInvalidArgument, "odd"));
  EXPECT_THAT(Quarter(3), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StatusMacros, ReturnIfErrorEvaluatesOnce) {
  int calls = 0;
  EXPECT_THAT(CheckEven(4, &calls), IsOk());
  EXPECT_THAT(CheckEven(5, &calls), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(calls, 2);
}

TEST(StatusMacros, AnnotateKeepsTheCodeAndPrefixesTheMessage) {
  EXPECT_THAT(Annotate(absl::NotFoundError("no segment"), "partition t-0"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("partition t-0: no segment")));
  EXPECT_THAT(Annotate(absl::OkStatus(), "ignored"), IsOk());
}

TEST(StatusMatchers, DescribeAMismatch) {
  EXPECT_THAT(absl::DataLossError("crc"), ::testing::Not(IsOk()));
  EXPECT_THAT(absl::StatusOr<int>(3), IsOk());
  EXPECT_THAT(absl::StatusOr<int>(absl::AbortedError("x")),
              ::testing::Not(StatusIs(absl::StatusCode::kNotFound)));
}

}  // namespace
}  // namespace karst
