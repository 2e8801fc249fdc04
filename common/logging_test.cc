#include "common/logging.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst {
namespace {

using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

TEST(Logging, ParsesEveryLevelName) {
  EXPECT_EQ(*ParseLogLevel("trace"), spdlog::level::trace);
  EXPECT_EQ(*ParseLogLevel("warn"), spdlog::level::warn);
  EXPECT_EQ(*ParseLogLevel("off"), spdlog::level::off);
  EXPECT_THAT(ParseLogLevel("verbose"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("allowed: trace")));
}

TEST(Logging, FormatsAbslStringView) {
  EXPECT_EQ(fmt::format("[{}]", absl::string_view("abc")), "[abc]");
  EXPECT_EQ(fmt::format("{:>5}", absl::string_view("ab")), "   ab");
}

TEST(Logging, SetUpInstallsTheDefaultLogger) {
  ASSERT_THAT(SetUpLogging({.level = "debug", .pattern = "%l %v", .name = "t"}), IsOk());
  EXPECT_EQ(spdlog::default_logger()->name(), "t");
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
  EXPECT_THAT(SetUpLogging({.level = "loud"}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SetUpLogging({.level = "info", .pattern = ""}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace karst
