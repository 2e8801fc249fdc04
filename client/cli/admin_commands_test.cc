// Flag parsing and output formatting of `karst offsets`, `delete-records`, `leader-election`
// and `reassign` (the pure parts; tests/karst_admin_tools_test.cc runs them on a cluster).
#include "client/cli/delete_records_command.h"
#include "client/cli/leader_election_command.h"
#include "client/cli/offsets_command.h"
#include "client/cli/reassign_command.h"
#include "client/kafka_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst::cli {
namespace {

using client::TopicPartition;
using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

TEST(SplitCommandLine, TakesBothValueFormsAndRejectsUnknownRepeatedAndPositional) {
  absl::StatusOr<SplitFlags> split =
      SplitCommandLine({"--a", "1", "--b=2", "--s"}, {"--s"}, {"--a", "--b"});
  ASSERT_OK(split.status());
  EXPECT_EQ(split->Value("--a"), "1");
  EXPECT_EQ(split->Value("--b"), "2");
  EXPECT_TRUE(split->Has("--s"));
  EXPECT_THAT(SplitCommandLine({"--zzz"}, {}, {"--a"}),
              StatusIs(kInvalid, HasSubstr("unknown flag --zzz")));
  EXPECT_THAT(SplitCommandLine({"--a", "1", "--a", "2"}, {}, {"--a"}),
              StatusIs(kInvalid, HasSubstr("--a is given twice")));
  EXPECT_THAT(SplitCommandLine({"--a"}, {}, {"--a"}),
              StatusIs(kInvalid, HasSubstr("needs a value")));
  EXPECT_THAT(SplitCommandLine({"x"}, {}, {}),
              StatusIs(kInvalid, HasSubstr("unexpected argument")));
  EXPECT_THAT(SplitCommandLine({"--s=1"}, {"--s"}, {}), StatusIs(kInvalid, HasSubstr("no value")));
}

TEST(OffsetsFlags, ParsesTimeAndPartitions) {
  absl::StatusOr<OffsetsFlags> flags =
      ParseOffsetsFlags({"--bootstrap-server", "h:1", "--topic", "t", "--partitions", "0,2",
                         "--time", "earliest", "--output", "json"});
  ASSERT_OK(flags.status());
  EXPECT_EQ(flags->topic, "t");
  EXPECT_EQ(flags->partitions, (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(flags->spec.timestamp, client::OffsetSpec::kEarliest);
  EXPECT_EQ(flags->output, OutputFormat::kJson);
  EXPECT_EQ(ParseOffsetTime("latest")->timestamp, -1);
  EXPECT_EQ(ParseOffsetTime("max-timestamp")->timestamp, -3);
  EXPECT_EQ(ParseOffsetTime("1700000000000")->timestamp, 1700000000000);
  EXPECT_THAT(ParseOffsetTime("-4"), StatusIs(kInvalid, HasSubstr("--time")));
  EXPECT_THAT(ParseOffsetTime("soon"), StatusIs(kInvalid, HasSubstr("--time")));
  EXPECT_THAT(ParseOffsetsFlags({"--bootstrap-server", "h:1"}),
              StatusIs(kInvalid, HasSubstr("--topic is required")));
  EXPECT_THAT(ParseOffsetsFlags({"--topic", "t", "--output", "xml"}),
              StatusIs(kInvalid, HasSubstr("--output")));
  EXPECT_TRUE(ParseOffsetsFlags({"--help"})->help);
}

TEST(OffsetsFormat, PrintsTopicPartitionOffsetAndCollectsErrors) {
  const std::map<TopicPartition, client::ListedOffset> offsets{
      {{"t", 0}, {.status = absl::OkStatus(), .offset = 5, .timestamp = 9, .leader_epoch = 2}},
      {{"t", 1}, {.status = client::KafkaErrorStatus(3)}},
      {{"t", 2}, {.status = absl::OkStatus(), .offset = -1}}};
  std::vector<std::string> errors;
  EXPECT_EQ(FormatOffsets(offsets, OutputFormat::kText, errors), "t:0:5\nt:2:\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("t-1: UNKNOWN_TOPIC_OR_PARTITION"));
  errors.clear();
  EXPECT_EQ(
      FormatOffsets({offsets.begin(), std::next(offsets.begin())}, OutputFormat::kJson, errors),
      R"({"offsets":[{"topic":"t","partition":0,"offset":5,"timestamp":9,)"
      R"("leader_epoch":2}]})"
      "\n");
}

TEST(DeleteRecordsFlags, RequiresTheFile) {
  EXPECT_THAT(ParseDeleteRecordsFlags({"--bootstrap-server", "h:1"}),
              StatusIs(kInvalid, HasSubstr("--offset-json-file is required")));
  EXPECT_THAT(ParseDeleteRecordsFlags({"--offset-json-file", "f", "--offset", "3"}),
              StatusIs(kInvalid, HasSubstr("unknown flag --offset")));
  EXPECT_EQ(ParseDeleteRecordsFlags({"--offset-json-file=f"})->offset_json_file, "f");
}

TEST(DeleteRecordsFormat, PrintsLowWatermarksAndErrors) {
  int failures = 0;
  const std::string text = FormatDeletedRecords(
      {{{"t", 0}, {.status = absl::OkStatus(), .low_watermark = 4}},
       {{"t", 1}, {.status = client::KafkaErrorStatus(1), .low_watermark = -1}}},
      OutputFormat::kText, failures);
  EXPECT_EQ(failures, 1);
  EXPECT_THAT(text, HasSubstr("partition: t-0\tlow_watermark: 4\n"));
  EXPECT_THAT(text, HasSubstr("partition: t-1\terror: OFFSET_OUT_OF_RANGE"));
}

TEST(LeaderElectionFlags, NeedsATypeAndExactlyOneTarget) {
  absl::StatusOr<LeaderElectionFlags> one = ParseLeaderElectionFlags(
      {"--election-type", "preferred", "--topic", "t", "--partition", "3"});
  ASSERT_OK(one.status());
  EXPECT_EQ(one->type, client::ElectionType::kPreferred);
  EXPECT_EQ(one->partition, (TopicPartition{"t", 3}));
  absl::StatusOr<LeaderElectionFlags> all =
      ParseLeaderElectionFlags({"--election-type", "UNCLEAN", "--all-topic-partitions"});
  ASSERT_OK(all.status());
  EXPECT_EQ(all->type, client::ElectionType::kUnclean);
  EXPECT_TRUE(all->all_topic_partitions);
  EXPECT_THAT(ParseLeaderElectionFlags({"--all-topic-partitions"}),
              StatusIs(kInvalid, HasSubstr("--election-type is required")));
  EXPECT_THAT(ParseLeaderElectionFlags({"--election-type", "random", "--all-topic-partitions"}),
              StatusIs(kInvalid, HasSubstr("PREFERRED or UNCLEAN")));
  EXPECT_THAT(ParseLeaderElectionFlags({"--election-type", "preferred"}),
              StatusIs(kInvalid, HasSubstr("exactly one of")));
  EXPECT_THAT(ParseLeaderElectionFlags({"--election-type", "preferred", "--all-topic-partitions",
                                        "--path-to-json-file", "f"}),
              StatusIs(kInvalid, HasSubstr("exactly one of")));
  EXPECT_THAT(ParseLeaderElectionFlags({"--election-type", "preferred", "--topic", "t"}),
              StatusIs(kInvalid, HasSubstr("--topic and --partition go together")));
  EXPECT_THAT(ParseLeaderElectionFlags(
                  {"--election-type", "preferred", "--topic", "t", "--partition", "x"}),
              StatusIs(kInvalid, HasSubstr("--partition")));
}

TEST(LeaderElectionFormat, SeparatesElectedNotNeededAndFailed) {
  int failures = 0;
  const std::map<TopicPartition, absl::Status> results{
      {{"t", 0}, absl::OkStatus()},
      {{"t", 1}, absl::OkStatus()},
      {{"t", 2}, client::KafkaErrorStatus(84)},
      {{"u", 0}, client::KafkaErrorStatus(80, "no preferred leader")}};
  const std::string text =
      FormatElection(client::ElectionType::kPreferred, results, OutputFormat::kText, failures);
  EXPECT_EQ(failures, 1);
  EXPECT_EQ(text,
            "Successfully completed leader election (PREFERRED) for partitions t-0, t-1\n"
            "Valid replica already elected for partitions t-2\n"
            "Error completing leader election (PREFERRED) for partition: u-0: "
            "PREFERRED_LEADER_NOT_AVAILABLE: no preferred leader\n");
  EXPECT_EQ(FormatElection(client::ElectionType::kPreferred, {{{"t", 0}, absl::OkStatus()}},
                           OutputFormat::kJson, failures),
            R"({"election_type":"PREFERRED","succeeded":["t-0"],"noop":[],"failed":[]})"
            "\n");
}

TEST(ReassignFlags, OneActionWithItsFiles) {
  absl::StatusOr<ReassignFlags> generate = ParseReassignFlags(
      {"--generate", "--topics-to-move-json-file", "m.json", "--broker-list", "1,2,3"});
  ASSERT_OK(generate.status());
  EXPECT_EQ(generate->action, ReassignAction::kGenerate);
  EXPECT_EQ(generate->broker_list, (std::vector<int32_t>{1, 2, 3}));
  absl::StatusOr<ReassignFlags> verify =
      ParseReassignFlags({"--verify", "--reassignment-json-file", "r.json"});
  ASSERT_OK(verify.status());
  EXPECT_EQ(verify->action, ReassignAction::kVerify);
  EXPECT_THAT(ParseReassignFlags({"--execute", "--verify", "--reassignment-json-file", "r"}),
              StatusIs(kInvalid, HasSubstr("exactly one of")));
  EXPECT_THAT(ParseReassignFlags({"--execute"}),
              StatusIs(kInvalid, HasSubstr("require --reassignment-json-file")));
  EXPECT_THAT(ParseReassignFlags({"--generate", "--topics-to-move-json-file", "m"}),
              StatusIs(kInvalid, HasSubstr("--broker-list")));
  EXPECT_THAT(
      ParseReassignFlags({"--cancel", "--reassignment-json-file", "r", "--broker-list", "1"}),
      StatusIs(kInvalid, HasSubstr("only with --generate")));
  EXPECT_THAT(ParseReassignFlags({"--verify", "--reassignment-json-file", "r", "--bogus"}),
              StatusIs(kInvalid, HasSubstr("unknown flag --bogus")));
  EXPECT_EQ(ParseReassignFlags({"--help"})->action, ReassignAction::kHelp);
}

TEST(ReassignFormat, GenerateAndVerifyText) {
  const ReplicaAssignment current{{{"t", 0}, {1}}};
  const ReplicaAssignment proposed{{{"t", 0}, {2}}};
  EXPECT_EQ(
      FormatGenerate(current, proposed, OutputFormat::kText),
      "Current partition replica assignment\n"
      R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1],"log_dirs":["any"]}]})"
      "\n\nProposed partition reassignment configuration\n"
      R"({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[2],"log_dirs":["any"]}]})"
      "\n");
  const ReplicaAssignment target{{{"t", 0}, {2}}, {{"t", 1}, {3}}, {{"t", 2}, {1}}};
  const ReplicaAssignment now{{{"t", 0}, {2}}, {{"t", 1}, {3, 1}}, {{"t", 2}, {2}}};
  const std::map<TopicPartition, client::PartitionReassignment> ongoing{
      {{"t", 1}, {.replicas = {3, 1}, .adding_replicas = {3}, .removing_replicas = {1}}}};
  EXPECT_EQ(FormatVerify(target, now, ongoing, OutputFormat::kText),
            "Status of partition reassignment:\n"
            "Reassignment of partition t-0 is completed.\n"
            "Reassignment of partition t-1 is still in progress.\n"
            "There is no active reassignment of partition t-2, but replica set is [2] rather "
            "than [1].\n");
  EXPECT_THAT(FormatVerify(target, now, ongoing, OutputFormat::kJson),
              HasSubstr(R"({"topic":"t","partition":1,"status":"in_progress"})"));
}

}  // namespace
}  // namespace karst::cli
