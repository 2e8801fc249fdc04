#include "broker/replication/offset_checkpoint.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::broker::replication {
namespace {

using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

TEST(OffsetCheckpoint, WritesKafkasFormatAndReadsItBack) {
  const std::map<TopicPartition, int64_t> offsets = {
      {{"orders", 1}, 42}, {{"orders", 0}, 7}, {{"__consumer_offsets", 12}, 0}};
  const std::string text = FormatOffsetCheckpoint(offsets);
  EXPECT_EQ(text, "0\n3\n__consumer_offsets 12 0\norders 0 7\norders 1 42\n");
  ASSERT_OK_AND_ASSIGN(auto parsed, ParseOffsetCheckpoint(text, "f"));
  EXPECT_EQ(parsed, offsets);
  ASSERT_OK_AND_ASSIGN(auto empty, ParseOffsetCheckpoint(FormatOffsetCheckpoint({}), "f"));
  EXPECT_TRUE(empty.empty());
}

TEST(OffsetCheckpoint, MalformedFilesNameTheFileAndLine) {
  EXPECT_THAT(ParseOffsetCheckpoint("", "d/cp"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("d/cp:1: expected version 0")));
  EXPECT_THAT(ParseOffsetCheckpoint("1\n0\n", "d/cp"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("d/cp:1:")));
  EXPECT_THAT(ParseOffsetCheckpoint("0\nx\n", "d/cp"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("d/cp:2: expected the number")));
  // A torn write: fewer entries than announced.
  EXPECT_THAT(ParseOffsetCheckpoint("0\n2\nt 0 5\n", "d/cp"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("expected 2 entries, found 1")));
  EXPECT_THAT(ParseOffsetCheckpoint("0\n1\nt 0\n", "d/cp"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("d/cp:3: expected")));
  EXPECT_THAT(ParseOffsetCheckpoint("0\n1\nt 0 -5\n", "d/cp"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("d/cp:3:")));
  EXPECT_THAT(ParseOffsetCheckpoint("0\n1\nt -1 5\n", "d/cp"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("d/cp:3:")));
}

}  // namespace
}  // namespace karst::broker::replication
