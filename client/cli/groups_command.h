// `karst groups`: kafka-consumer-groups over client::AdminClient: --list, --describe (offsets
// and lag, --members, --state), --delete, --delete-offsets and --reset-offsets. Flag parsing
// and the reset scenarios (groups_command.cc) and the tables (groups_layout.cc) are pure;
// RunGroups (groups_run.cc) does the I/O. Called from main's thread.
#ifndef KARST_CLIENT_CLI_GROUPS_COMMAND_H_
#define KARST_CLIENT_CLI_GROUPS_COMMAND_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/admin_client.h"
#include "client/cli/console_flags.h"
#include "common/clock.h"

namespace karst::cli {

enum class GroupsAction { kList, kDescribe, kDelete, kDeleteOffsets, kResetOffsets };
enum class DescribeView { kOffsets, kMembers, kState };
enum class ResetScenario { kToEarliest, kToLatest, kToOffset, kShiftBy, kToDatetime, kToCurrent };

// --topic T (every partition) or T:0,2.
struct GroupTopic {
  std::string topic;
  std::vector<int32_t> partitions;  // Empty: every partition.
};

struct GroupsFlags {
  bool help = false;
  std::string bootstrap_server;
  std::string command_config;
  GroupsAction action = GroupsAction::kList;
  std::vector<std::string> groups;  // --group, repeatable, in order.
  bool all_groups = false;
  bool list_states = false;      // --list --state: print each group's state.
  std::set<std::string> states;  // --list --state S1,S2: Kafka's state names.
  DescribeView view = DescribeView::kOffsets;
  bool verbose = false;            // --describe --members --verbose.
  std::vector<GroupTopic> topics;  // --topic, repeatable.
  bool all_topics = false;
  ResetScenario scenario = ResetScenario::kToEarliest;
  int64_t reset_value = 0;  // --to-offset N, --shift-by N, --to-datetime (ms since the epoch).
  bool execute = false;     // --execute; else a dry run.
  bool dry_run_given = false;
  OutputFormat output = OutputFormat::kText;
};

const char* GroupsUsage();

// --to-datetime: YYYY-MM-DDTHH:mm:SS.sss with an optional Z, +hh:mm or -hh:mm (else in
// `local`, as Kafka assumes the local time zone); milliseconds since the epoch.
absl::StatusOr<int64_t> ParseResetDateTime(const std::string& text, absl::TimeZone local);

// Errors: kInvalidArgument naming the bad or conflicting flag. `local` is for --to-datetime.
absl::StatusOr<GroupsFlags> ParseGroupsFlags(const std::vector<std::string>& args,
                                             absl::TimeZone local);

// What a reset scenario needs to know of one partition. Offsets are -1 when unknown.
struct PartitionOffsetsForReset {
  int64_t log_start_offset = -1;
  int64_t log_end_offset = -1;
  std::optional<int64_t> committed;
  int64_t offset_at_datetime = -1;  // ListOffsets by timestamp; -1: no record that late.
};

// Kafka's prepareOffsetsToReset for one partition: the new offset, clamped into
// [log start, log end] for --to-offset and --shift-by (a warning like Kafka's goes to
// `warnings`); --to-current and --to-datetime fall back to the log end. Errors:
// kInvalidArgument for --shift-by on a partition with no committed offset.
absl::StatusOr<int64_t> ResetOffset(const GroupsFlags& flags, const client::TopicPartition& tp,
                                    const PartitionOffsetsForReset& offsets,
                                    std::vector<std::string>& warnings);

// One row of the default --describe view; nullopt prints as '-'.
struct GroupOffsetRow {
  std::string group;
  std::optional<std::string> topic;
  std::optional<int32_t> partition;
  std::optional<int64_t> current_offset;
  std::optional<int64_t> log_end_offset;
  std::optional<int64_t> lag;
  std::optional<std::string> consumer_id;
  std::optional<std::string> host;
  std::optional<std::string> client_id;
};

// Kafka's collectGroupOffsets: each member's assigned partitions (members with most partitions
// first; a member with none gets one row of '-'), then committed partitions no member holds.
// LAG = LOG-END-OFFSET - CURRENT-OFFSET when both are known.
std::vector<GroupOffsetRow> GroupOffsetRows(
    const client::ConsumerGroupDescription& group,
    const std::map<client::TopicPartition, client::CommittedOffset>& committed,
    const std::map<client::TopicPartition, client::ListedOffset>& log_end_offsets);

// The tables of kafka-consumer-groups, column for column (each starts with a blank line, as
// Kafka prints them).
std::string FormatGroupOffsets(const std::vector<GroupOffsetRow>& rows);
std::string FormatGroupMembers(const client::ConsumerGroupDescription& group, bool verbose);
std::string FormatGroupState(const client::ConsumerGroupDescription& group);
std::string FormatGroupList(const std::vector<client::ConsumerGroupListing>& groups,
                            bool with_state);
// GROUP TOPIC PARTITION NEW-OFFSET, per group in order.
std::string FormatResetOffsets(
    const std::vector<std::pair<std::string, std::map<client::TopicPartition, int64_t>>>& resets);

// --delete-offsets' TOPIC PARTITION STATUS table ("Successful" or "Error: <message>").
std::string FormatDeletedOffsets(const std::map<client::TopicPartition, absl::Status>& results);

// --output json: {"groups":[{"group","protocol_type","state"}]} for --list;
// {"groups":[{"group","state","protocol_type","protocol","coordinator":{..},"members":[..],
// "offsets":[..]}]} for --describe ("offsets" in the offsets view only; '-' is null);
// {"offsets":[{"group","topic","partition","new_offset"}],"executed":bool} for --reset-offsets.
std::string GroupListJson(const std::vector<client::ConsumerGroupListing>& groups);
std::string GroupDescriptionsJson(const std::vector<client::ConsumerGroupDescription>& groups,
                                  const std::optional<std::vector<GroupOffsetRow>>& offsets);
std::string ResetOffsetsJson(
    const std::vector<std::pair<std::string, std::map<client::TopicPartition, int64_t>>>& resets,
    bool executed);

// Runs the parsed command against `admin`, printing to stdout (tables, JSON) and stderr
// (Kafka's notes and warnings) as kafka-consumer-groups does (groups_run.cc). Errors: the
// failure to report, e.g. "Consumer group 'g' does not exist.".
absl::Status RunGroups(const GroupsFlags& flags, client::AdminClient& admin);

// Returns kExitOk, kExitFailure (Kafka or network error, an unknown group on --describe, a
// failed deletion, a group that is not inactive on --reset-offsets) or kExitUsage.
int RunGroupsCommand(const std::vector<std::string>& args, Clock& clock);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_GROUPS_COMMAND_H_
