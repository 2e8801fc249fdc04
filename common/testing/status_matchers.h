// gMock matchers for absl::Status and absl::StatusOr<T>, which Debian's Abseil 20220623 lacks:
//   EXPECT_THAT(s, IsOk());
//   EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound));
//   EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("node.id")));
//   ASSERT_OK(s);  ASSERT_OK_AND_ASSIGN(auto v, MakeV());
#ifndef KARST_COMMON_TESTING_STATUS_MATCHERS_H_
#define KARST_COMMON_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace internal

MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& status = internal::GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P(StatusIs, code,
          std::string(negation ? "does not have" : "has") + " code " +
              absl::StatusCodeToString(code)) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           std::string(negation ? "does not have" : "has") + " code " +
               absl::StatusCodeToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher, negation)) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                       result_listener);
}

}  // namespace karst::testing

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::karst::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::karst::testing::IsOk())

#define KARST_MATCHERS_CONCAT_INNER(a, b) a##b
#define KARST_MATCHERS_CONCAT(a, b) KARST_MATCHERS_CONCAT_INNER(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  KARST_ASSERT_OK_AND_ASSIGN_IMPL(KARST_MATCHERS_CONCAT(karst_assert_or_, __LINE__), lhs, expr)
#define KARST_ASSERT_OK_AND_ASSIGN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                    \
  ASSERT_OK(statusor);                                       \
  lhs = std::move(statusor).value()

#endif  // KARST_COMMON_TESTING_STATUS_MATCHERS_H_
