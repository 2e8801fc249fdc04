#include "common/config/command_line.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst::config {
namespace {

using ::karst::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CommandLine, ParsesBothFlagForms) {
  ASSERT_OK_AND_ASSIGN(CommandLine c, ParseCommandLine({"--config", "a.properties", "--override",
                                                        "node.id=1", "--override=log.dirs=/x=y"}));
  EXPECT_EQ(c.config_path, "a.properties");
  EXPECT_THAT(c.overrides, ElementsAre("node.id=1", "log.dirs=/x=y"));
  ASSERT_OK_AND_ASSIGN(CommandLine d, ParseCommandLine({"--config=b.properties", "--version"}));
  EXPECT_EQ(d.config_path, "b.properties");
  EXPECT_TRUE(d.version);
  ASSERT_OK_AND_ASSIGN(CommandLine e, ParseCommandLine({"-h"}));
  EXPECT_TRUE(e.help);
}

TEST(CommandLine, RejectsWhatItDoesNotKnow) {
  EXPECT_THAT(ParseCommandLine({"--confg", "x"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown flag --confg")));
  EXPECT_THAT(ParseCommandLine({"server.properties"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'server.properties'")));
  EXPECT_THAT(ParseCommandLine({"--override"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a value")));
  EXPECT_THAT(ParseCommandLine({"--config=a", "--config", "b"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
}

}  // namespace
}  // namespace karst::config
