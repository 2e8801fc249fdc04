// `karst groups`' pure parts: kafka-consumer-groups' flags, the reset scenarios, the describe
// rows and the tables and JSON.
#include "client/cli/groups_command.h"

#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::cli {
namespace {

using ::karst::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::TimeZone kUtc = absl::UTCTimeZone();

absl::StatusOr<GroupsFlags> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), {"--bootstrap-server", "h:9092"});
  return ParseGroupsFlags(args, kUtc);
}

TEST(GroupsFlags, ParsesDescribeWithRepeatedGroups) {
  auto flags = Parse({"--describe", "--group", "a", "--group=b", "--members", "--verbose"});
  ASSERT_OK(flags.status());
  EXPECT_EQ(flags->action, GroupsAction::kDescribe);
  EXPECT_THAT(flags->groups, ElementsAre("a", "b"));
  EXPECT_EQ(flags->view, DescribeView::kMembers);
  EXPECT_TRUE(flags->verbose);
  EXPECT_EQ(flags->bootstrap_server, "h:9092");

  flags = Parse({"--describe", "--all-groups", "--state", "--output", "json"});
  ASSERT_OK(flags.status());
  EXPECT_EQ(flags->view, DescribeView::kState);
  EXPECT_TRUE(flags->all_groups);
  EXPECT_EQ(flags->output, OutputFormat::kJson);
  EXPECT_EQ(Parse({"--describe", "--group", "a"})->view, DescribeView::kOffsets);
}

TEST(GroupsFlags, ListStateIsASwitchOrAFilter) {
  auto flags = Parse({"--list", "--state"});
  ASSERT_OK(flags.status());
  EXPECT_TRUE(flags->list_states);
  EXPECT_TRUE(flags->states.empty());
  flags = Parse({"--list", "--state", "stable,EMPTY"});
  ASSERT_OK(flags.status());
  EXPECT_THAT(flags->states, ElementsAre("Empty", "Stable"));
  EXPECT_THAT(Parse({"--list", "--state", "sleepy"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown group state")));
}

TEST(GroupsFlags, ParsesResetOffsets) {
  auto flags = Parse({"--reset-offsets", "--group", "g", "--topic", "t:0,2", "--topic", "u",
                      "--shift-by", "-3", "--execute"});
  ASSERT_OK(flags.status());
  EXPECT_EQ(flags->scenario, ResetScenario::kShiftBy);
  EXPECT_EQ(flags->reset_value, -3);
  EXPECT_TRUE(flags->execute);
  ASSERT_EQ(flags->topics.size(), 2u);
  EXPECT_EQ(flags->topics[0].topic, "t");
  EXPECT_THAT(flags->topics[0].partitions, ElementsAre(0, 2));
  EXPECT_TRUE(flags->topics[1].partitions.empty());

  flags = Parse({"--reset-offsets", "--all-groups", "--all-topics", "--to-datetime",
                 "2024-01-02T03:04:05.678Z"});
  ASSERT_OK(flags.status());
  EXPECT_EQ(flags->scenario, ResetScenario::kToDatetime);
  EXPECT_EQ(flags->reset_value, 1704164645678);
  EXPECT_FALSE(flags->execute);
  EXPECT_FALSE(flags->dry_run_given);
}

TEST(GroupsFlags, RejectsWrongCombinations) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "exactly one of"},
      {{"--list", "--describe"}, "exactly one of"},
      {{"--list", "--members"}, "--members cannot be used with --list"},
      {{"--list", "--group", "g"}, "--group cannot be used with --list"},
      {{"--describe"}, "needs --group or --all-groups"},
      {{"--describe", "--group", "g", "--all-groups"}, "cannot be combined"},
      {{"--describe", "--group", "g", "--verbose"}, "--verbose goes with --members"},
      {{"--describe", "--group", "g", "--members", "--state"}, "at most one"},
      {{"--describe", "--group", "g", "--state", "Stable"}, "takes no value"},
      {{"--delete-offsets", "--group", "a", "--group", "b", "--topic", "t"}, "exactly one --group"},
      {{"--delete-offsets", "--group", "a"}, "needs --topic"},
      {{"--reset-offsets", "--group", "g", "--all-topics"}, "exactly one of --to-earliest"},
      {{"--reset-offsets", "--group", "g", "--all-topics", "--to-earliest", "--to-latest"},
       "exactly one of --to-earliest"},
      {{"--reset-offsets", "--group", "g", "--to-earliest"}, "--topic (repeatable) or --all"},
      {{"--reset-offsets", "--group", "g", "--all-topics", "--topic", "t", "--to-earliest"},
       "--topic (repeatable) or --all"},
      {{"--reset-offsets", "--group", "g", "--all-topics", "--to-latest", "--dry-run", "--execute"},
       "cannot be combined"},
      {{"--reset-offsets", "--group", "g", "--all-topics", "--to-offset", "x"}, "an integer"},
      {{"--reset-offsets", "--group", "g", "--all-topics", "--to-datetime", "yesterday"},
       "--to-datetime"},
      {{"--reset-offsets", "--group", "g", "--topic", "t:0,x", "--to-earliest"}, "--topic t"},
      {{"--delete", "--group", "g", "--output", "json"}, "--output cannot be used with --delete"},
      {{"--list", "--output", "xml"}, "--output"},
      {{"--list", "--frobnicate"}, "unknown flag --frobnicate"},
      {{"--describe", "--group"}, "--group needs a value"},
  };
  for (const auto& [args, message] : cases) {
    EXPECT_THAT(Parse(args).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << ::testing::PrintToString(args);
  }
}

TEST(GroupsFlags, HelpNeedsNothingElse) {
  auto flags = ParseGroupsFlags({"--help"}, kUtc);
  ASSERT_OK(flags.status());
  EXPECT_TRUE(flags->help);
}

TEST(ParseResetDateTime, TakesZulu_OffsetsAndLocalTime) {
  EXPECT_EQ(*ParseResetDateTime("1970-01-01T00:00:01.500Z", kUtc), 1500);
  EXPECT_EQ(*ParseResetDateTime("1970-01-01T01:00:00.000+01:00", kUtc), 0);
  EXPECT_EQ(*ParseResetDateTime("1970-01-01T00:00:00.000-00:30", kUtc), 1800000);
  EXPECT_EQ(*ParseResetDateTime("1970-01-01T02:00:00.000", absl::FixedTimeZone(7200)), 0);
  EXPECT_FALSE(ParseResetDateTime("1970-01-01", kUtc).ok());
  EXPECT_FALSE(ParseResetDateTime("1970-01-01T25:00:00.000Z", kUtc).ok());
}

int64_t Reset(ResetScenario scenario, int64_t value, PartitionOffsetsForReset offsets,
              std::vector<std::string>* warnings = nullptr) {
  GroupsFlags flags;
  flags.scenario = scenario;
  flags.reset_value = value;
  std::vector<std::string> local;
  absl::StatusOr<int64_t> out =
      ResetOffset(flags, {"t", 0}, offsets, warnings != nullptr ? *warnings : local);
  EXPECT_OK(out.status());
  return out.value_or(-100);
}

TEST(ResetOffset, FollowsKafkasScenarios) {
  const PartitionOffsetsForReset p{.log_start_offset = 10, .log_end_offset = 50, .committed = 30};
  EXPECT_EQ(Reset(ResetScenario::kToEarliest, 0, p), 10);
  EXPECT_EQ(Reset(ResetScenario::kToLatest, 0, p), 50);
  EXPECT_EQ(Reset(ResetScenario::kToOffset, 20, p), 20);
  EXPECT_EQ(Reset(ResetScenario::kShiftBy, -5, p), 25);
  EXPECT_EQ(Reset(ResetScenario::kToCurrent, 0, p), 30);
  PartitionOffsetsForReset at = p;
  at.offset_at_datetime = 42;
  EXPECT_EQ(Reset(ResetScenario::kToDatetime, 0, at), 42);
  // No record at or after the time: the log end, as Kafka.
  EXPECT_EQ(Reset(ResetScenario::kToDatetime, 0, p), 50);
  PartitionOffsetsForReset uncommitted = p;
  uncommitted.committed.reset();
  EXPECT_EQ(Reset(ResetScenario::kToCurrent, 0, uncommitted), 50);
}

TEST(ResetOffset, ClampsIntoTheLogWithKafkasWarnings) {
  const PartitionOffsetsForReset p{.log_start_offset = 10, .log_end_offset = 50, .committed = 30};
  std::vector<std::string> warnings;
  EXPECT_EQ(Reset(ResetScenario::kToOffset, 99, p, &warnings), 50);
  EXPECT_EQ(Reset(ResetScenario::kShiftBy, -100, p, &warnings), 10);
  EXPECT_THAT(warnings,
              ElementsAre("New offset (99) is higher than latest offset for topic partition t-0. "
                          "Value will be set to 50",
                          "New offset (-70) is lower than earliest offset for topic partition "
                          "t-0. Value will be set to 10"));
}

TEST(ResetOffset, ShiftNeedsACommittedOffset) {
  GroupsFlags flags;
  flags.scenario = ResetScenario::kShiftBy;
  std::vector<std::string> warnings;
  EXPECT_THAT(
      ResetOffset(flags, {"t", 3}, {.log_start_offset = 0, .log_end_offset = 5}, warnings).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("partition t-3")));
}

client::ConsumerGroupDescription StableGroup() {
  client::ConsumerGroupDescription g;
  g.group_id = "g";
  g.state = "Stable";
  g.protocol_type = "consumer";
  g.protocol = "range";
  g.coordinator = {.id = 2, .host = "127.0.0.12", .port = 9092};
  g.members.push_back({.member_id = "idle",
                       .group_instance_id = std::nullopt,
                       .client_id = "c2",
                       .host = "/127.0.0.1",
                       .subscribed_topics = {"t"},
                       .assignment = {}});
  g.members.push_back({.member_id = "busy",
                       .group_instance_id = "i-1",
                       .client_id = "c1",
                       .host = "/127.0.0.1",
                       .subscribed_topics = {"t"},
                       .assignment = {{"t", 1}, {"t", 0}}});
  return g;
}

TEST(GroupOffsetRows, ListsAssignedPartitionsThenCommittedOnesNoMemberHolds) {
  const std::map<client::TopicPartition, client::CommittedOffset> committed = {
      {{"t", 0}, {.offset = 4}}, {{"u", 0}, {.offset = 1}}};
  const std::map<client::TopicPartition, client::ListedOffset> ends = {
      {{"t", 0}, {.offset = 10}},
      {{"t", 1}, {.offset = 7}},
      {{"u", 0}, {.status = absl::UnavailableError("down")}}};
  const auto rows = GroupOffsetRows(StableGroup(), committed, ends);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].partition, 0);
  EXPECT_EQ(rows[0].current_offset, 4);
  EXPECT_EQ(rows[0].lag, 6);
  EXPECT_EQ(rows[0].consumer_id, "busy");
  EXPECT_EQ(rows[1].partition, 1);
  EXPECT_EQ(rows[1].current_offset, std::nullopt);
  EXPECT_EQ(rows[1].log_end_offset, 7);
  EXPECT_EQ(rows[1].lag, std::nullopt);
  EXPECT_EQ(rows[2].topic, std::nullopt);
  EXPECT_EQ(rows[2].consumer_id, "idle");
  EXPECT_EQ(rows[3].topic, "u");
  EXPECT_EQ(rows[3].log_end_offset, std::nullopt);
  EXPECT_EQ(rows[3].consumer_id, std::nullopt);

  EXPECT_EQ(FormatGroupOffsets(rows),
            "\n"
            "GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG        "
            "     CONSUMER-ID     HOST            CLIENT-ID\n"
            "g               t               0          4               10              6          "
            "     busy            /127.0.0.1      c1\n"
            "g               t               1          -               7               -          "
            "     busy            /127.0.0.1      c1\n"
            "g               -               -          -               -               -          "
            "     idle            /127.0.0.1      c2\n"
            "g               u               0          1               -               -          "
            "     -               -               -\n");
  EXPECT_EQ(FormatGroupOffsets({}), "");
}

TEST(GroupTables, MembersStateListAndReset) {
  EXPECT_EQ(FormatGroupMembers(StableGroup(), /*verbose=*/true),
            "\n"
            "GROUP           CONSUMER-ID     GROUP-INSTANCE-ID HOST            CLIENT-ID       "
            "#PARTITIONS     ASSIGNMENT\n"
            "g               idle                              /127.0.0.1      c2              "
            "0               -\n"
            "g               busy            i-1               /127.0.0.1      c1              "
            "2               t(0,1)\n");
  EXPECT_EQ(FormatGroupState(StableGroup()),
            "\n"
            "GROUP           COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE                "
            "#MEMBERS\n"
            "g               127.0.0.12:9092  (2)      range                Stable               "
            "2\n");
  EXPECT_EQ(FormatGroupList({{"a", "consumer", "Stable"}, {"b", "", "Empty"}}, false), "a\nb\n");
  EXPECT_EQ(FormatGroupList({{"a", "consumer", "Stable"}}, true),
            "GROUP           STATE\na               Stable\n");
  EXPECT_EQ(
      FormatResetOffsets({{"g", {{{"t", 0}, 5}}}}),
      "\nGROUP                          TOPIC                          PARTITION  NEW-OFFSET     "
      "\ng                              t                              0          5          "
      "    \n");
  EXPECT_EQ(FormatDeletedOffsets({{{"t", 0}, absl::OkStatus()},
                                  {{"t", 1}, absl::FailedPreconditionError("X: busy")}}),
            "\nTOPIC                          PARTITION       STATUS         "
            "\nt                              0               Successful     "
            "\nt                              1               Error: X: busy \n");
}

TEST(GroupJson, ListDescribeAndReset) {
  EXPECT_EQ(GroupListJson({{"a", "consumer", "Stable"}}),
            R"({"groups":[{"group":"a","protocol_type":"consumer","state":"Stable"}]})"
            "\n");
  client::ConsumerGroupDescription g = StableGroup();
  g.members.resize(1);
  const std::vector<GroupOffsetRow> rows = {{.group = "g",
                                             .topic = "t",
                                             .partition = 0,
                                             .current_offset = 3,
                                             .log_end_offset = 5,
                                             .lag = 2}};
  EXPECT_EQ(GroupDescriptionsJson({g}, rows),
            R"({"groups":[{"group":"g","state":"Stable","protocol_type":"consumer",)"
            R"("protocol":"range","coordinator":{"id":2,"host":"127.0.0.12","port":9092},)"
            R"("members":[{"consumer_id":"idle","group_instance_id":null,"client_id":"c2",)"
            R"("host":"/127.0.0.1","assignment":[]}],"offsets":[{"topic":"t","partition":0,)"
            R"("current_offset":3,"log_end_offset":5,"lag":2,"consumer_id":null,"host":null,)"
            R"("client_id":null}]}]})"
            "\n");
  EXPECT_EQ(ResetOffsetsJson({{"g", {{{"t", 1}, 7}}}}, true),
            R"({"offsets":[{"group":"g","topic":"t","partition":1,"new_offset":7}],)"
            R"("executed":true})"
            "\n");
}

}  // namespace
}  // namespace karst::cli
