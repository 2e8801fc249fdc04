#include "client/cli/admin_json.h"

#include <filesystem>
#include <fstream>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst::cli {
namespace {

using client::TopicPartition;
using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

Json Parse(const std::string& text) {
  absl::StatusOr<Json> json = ParseJson(text);
  EXPECT_TRUE(json.ok()) << json.status();
  return json.ok() ? *json : Json();
}

TEST(ReassignmentJson, ParsesKafkasFormatWithAndWithoutLogDirs) {
  absl::StatusOr<ReplicaAssignment> parsed = ParseReassignmentJson(Parse(
      R"({"version":1,"partitions":[{"topic":"t","partition":1,"replicas":[3,1],
          "log_dirs":["any","any"]},{"topic":"t","partition":0,"replicas":[2]}]})"));
  ASSERT_OK(parsed.status());
  EXPECT_EQ(*parsed, (ReplicaAssignment{{{"t", 0}, {2}}, {{"t", 1}, {3, 1}}}));
}

TEST(ReassignmentJson, WritesKafkasFormatThatParsesBack) {
  const ReplicaAssignment plan{{{"a", 0}, {1, 2}}, {{"b", 3}, {3}}};
  const std::string text = ReassignmentJson(plan).Dump();
  EXPECT_EQ(text, R"({"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[1,2],)"
                  R"("log_dirs":["any","any"]},{"topic":"b","partition":3,"replicas":[3],)"
                  R"("log_dirs":["any"]}]})");
  absl::StatusOr<ReplicaAssignment> again = ParseReassignmentJson(Parse(text));
  ASSERT_OK(again.status());
  EXPECT_EQ(*again, plan);
}

TEST(ReassignmentJson, NamesTheBadEntry) {
  const struct {
    const char* text;
    const char* error;
  } cases[] = {
      {R"([])", "expected a JSON object"},
      {R"({"version":1})", "missing \"partitions\""},
      {R"({"partitions":{}})", "\"partitions\" must be an array"},
      {R"({"partitions":[]})", "\"partitions\" is empty"},
      {R"({"partitions":[{"topic":"t","partition":0,"replicas":[1]},{"partition":0}]})",
       "partitions[1]: missing \"topic\""},
      {R"({"partitions":[{"topic":"t","partition":-1,"replicas":[1]}]})",
       "partitions[0]: \"partition\" must be an integer"},
      {R"({"partitions":[{"topic":"t","partition":0}]})", "partitions[0]: missing \"replicas\""},
      {R"({"partitions":[{"topic":"t","partition":0,"replicas":[]}]})",
       "\"replicas\" must be a non-empty array of broker ids"},
      {R"({"partitions":[{"topic":"t","partition":0,"replicas":["1"]}]})",
       "\"replicas\" must be a non-empty array of broker ids"},
      {R"({"partitions":[{"topic":"t","partition":0,"replicas":[1,1]}]})",
       "broker 1 is listed twice"},
      {R"({"partitions":[{"topic":"t","partition":0,"replicas":[1],"log_dirs":["any","any"]}]})",
       "one entry per replica"},
      {R"({"partitions":[{"topic":"t","partition":0,"replicas":[1]},
                         {"topic":"t","partition":0,"replicas":[2]}]})",
       "partitions[1]: partition t-0 is listed twice"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(ParseReassignmentJson(Parse(c.text)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.error)))
        << c.text;
  }
}

TEST(TopicsToMoveJson, ParsesTopicsInOrder) {
  absl::StatusOr<std::vector<std::string>> topics =
      ParseTopicsToMoveJson(Parse(R"({"topics":[{"topic":"b"},{"topic":"a"}],"version":1})"));
  ASSERT_OK(topics.status());
  EXPECT_EQ(*topics, (std::vector<std::string>{"b", "a"}));
  EXPECT_THAT(ParseTopicsToMoveJson(Parse(R"({"topics":[{"name":"b"}]})")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("topics[0]: missing")));
}

TEST(TopicPartitionsJson, ParsesAndRejectsDuplicates) {
  absl::StatusOr<std::set<TopicPartition>> parsed = ParseTopicPartitionsJson(
      Parse(R"({"partitions":[{"topic":"t","partition":1},{"topic":"u","partition":0}]})"));
  ASSERT_OK(parsed.status());
  EXPECT_EQ(*parsed, (std::set<TopicPartition>{{"t", 1}, {"u", 0}}));
  EXPECT_THAT(ParseTopicPartitionsJson(Parse(
                  R"({"partitions":[{"topic":"t","partition":1},{"topic":"t","partition":1}]})")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")));
}

TEST(OffsetJson, ParsesOffsetsAndMinusOne) {
  absl::StatusOr<std::map<TopicPartition, int64_t>> parsed = ParseOffsetJson(Parse(
      R"({"partitions":[{"topic":"t","partition":0,"offset":5},
                        {"topic":"t","partition":1,"offset":-1}],"version":1})"));
  ASSERT_OK(parsed.status());
  EXPECT_EQ(*parsed, (std::map<TopicPartition, int64_t>{{{"t", 0}, 5}, {{"t", 1}, -1}}));
  EXPECT_THAT(ParseOffsetJson(Parse(R"({"partitions":[{"topic":"t","partition":0,"offset":-2}]})")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"offset\" must be")));
  EXPECT_THAT(ParseOffsetJson(Parse(R"({"partitions":[{"topic":"t","partition":0}]})")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing \"offset\"")));
}

TEST(ReadJsonFile, NamesFlagFileAndPosition) {
  const std::string path = ::testing::TempDir() + "/bad.json";
  std::ofstream(path) << "{\"partitions\": [\n  {\"topic\": \"t\",, }]}";
  EXPECT_THAT(ReadJsonFile("--offset-json-file", path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--offset-json-file " + path + ": line 2, column 17")));
  EXPECT_THAT(ReadJsonFile("--offset-json-file", path + ".missing"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot read file")));
  const std::string shape = ::testing::TempDir() + "/shape.json";
  std::ofstream(shape) << R"({"partitions":[{"topic":"t"}]})";
  EXPECT_THAT(ReadJsonFileAs("--offset-json-file", shape, &ParseOffsetJson),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--offset-json-file " + shape +
                                 ": partitions[0]: missing \"partition\"")));
}

TEST(IdList, ParsesAndRejects) {
  EXPECT_EQ(*ParseIdList("--broker-list", "1, 2,3"), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_THAT(ParseIdList("--broker-list", "1,x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--broker-list")));
  EXPECT_THAT(ParseIdList("--broker-list", ""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseIdList("--broker-list", "1,1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")));
}

TEST(ProposeAssignment, SpreadsReplicasAndKeepsReplicationFactor) {
  const ReplicaAssignment current{{{"t", 0}, {1, 2}}, {{"t", 1}, {2, 1}}, {{"t", 2}, {1, 2}}};
  absl::StatusOr<ReplicaAssignment> proposed = ProposeAssignment(current, {4, 5, 6});
  ASSERT_OK(proposed.status());
  EXPECT_EQ(*proposed,
            (ReplicaAssignment{{{"t", 0}, {4, 5}}, {{"t", 1}, {5, 6}}, {{"t", 2}, {6, 4}}}));
  EXPECT_THAT(ProposeAssignment(current, {4}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("replication factor 2")));
}

}  // namespace
}  // namespace karst::cli
