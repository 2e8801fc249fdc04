// RunGroups: what `karst groups` asks of the AdminClient for each action, and where Kafka's
// ConsumerGroupCommand prints what (tables on stdout, notes and errors on stderr).
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/groups_command.h"
#include "client/kafka_error.h"
#include "common/status_macros.h"

namespace karst::cli {
namespace {

using client::TopicPartition;
using ResetResults = std::vector<std::pair<std::string, std::map<TopicPartition, int64_t>>>;

absl::StatusOr<std::vector<std::string>> GroupIds(const GroupsFlags& flags,
                                                  client::AdminClient& admin) {
  if (!flags.all_groups) return flags.groups;
  ASSIGN_OR_RETURN(const auto listings, admin.ListConsumerGroups());
  std::vector<std::string> ids;
  for (const auto& l : listings) ids.push_back(l.group_id);
  return ids;
}

// Every partition `topics` names (all of a topic's when it names none).
absl::StatusOr<std::set<TopicPartition>> TopicPartitions(const std::vector<GroupTopic>& topics,
                                                         client::AdminClient& admin) {
  std::set<TopicPartition> out;
  for (const GroupTopic& t : topics) {
    for (int32_t p : t.partitions) out.insert({t.topic, p});
    if (!t.partitions.empty()) continue;
    ASSIGN_OR_RETURN(const auto described, admin.DescribeTopics({t.topic}));
    for (const auto& p : described.at(0).partitions) out.insert({t.topic, p.partition});
  }
  return out;
}

// ListOffsets of `spec` for each partition. Errors: the first partition's error, named.
absl::StatusOr<std::map<TopicPartition, int64_t>> OffsetsAt(
    client::AdminClient& admin, const std::set<TopicPartition>& partitions, int64_t spec) {
  std::map<TopicPartition, client::OffsetSpec> specs;
  for (const TopicPartition& tp : partitions) specs[tp] = {spec};
  std::map<TopicPartition, int64_t> out;
  if (specs.empty()) return out;
  ASSIGN_OR_RETURN(const auto listed, admin.ListOffsets(specs));
  for (const auto& [tp, l] : listed) {
    if (!l.status.ok()) {
      return absl::Status(l.status.code(),
                          absl::StrCat(client::ToString(tp), ": ", l.status.message()));
    }
    out[tp] = l.offset;
  }
  return out;
}

absl::Status List(const GroupsFlags& flags, client::AdminClient& admin) {
  ASSIGN_OR_RETURN(const auto groups, admin.ListConsumerGroups(flags.states));
  std::cout << (flags.output == OutputFormat::kJson ? GroupListJson(groups)
                                                    : FormatGroupList(groups, flags.list_states));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<GroupOffsetRow>> OffsetRows(const client::ConsumerGroupDescription& g,
                                                       client::AdminClient& admin) {
  ASSIGN_OR_RETURN(const auto committed, admin.ListConsumerGroupOffsets(g.group_id));
  std::map<TopicPartition, client::OffsetSpec> specs;
  for (const auto& m : g.members) {
    for (const TopicPartition& tp : m.assignment) specs[tp] = {client::OffsetSpec::kLatest};
  }
  for (const auto& [tp, unused] : committed) specs[tp] = {client::OffsetSpec::kLatest};
  std::map<TopicPartition, client::ListedOffset> log_ends;
  if (!specs.empty()) {
    ASSIGN_OR_RETURN(log_ends, admin.ListOffsets(specs));
  }
  return GroupOffsetRows(g, committed, log_ends);
}

// Kafka's shouldPrintMemberState notes, on stderr.
void PrintStateNote(const client::ConsumerGroupDescription& g) {
  if (g.state == "Empty") {
    std::cerr << "\nConsumer group '" << g.group_id << "' has no active members.\n";
  } else if (g.state != "Stable") {
    std::cerr << "\nWarning: Consumer group '" << g.group_id << "' is rebalancing.\n";
  }
}

absl::Status Describe(const GroupsFlags& flags, client::AdminClient& admin) {
  ASSIGN_OR_RETURN(const std::vector<std::string> ids, GroupIds(flags, admin));
  ASSIGN_OR_RETURN(const auto groups, admin.DescribeConsumerGroups(ids));
  const bool json = flags.output == OutputFormat::kJson;
  std::vector<std::string> missing;
  std::vector<client::ConsumerGroupDescription> found;
  std::vector<GroupOffsetRow> rows;
  for (const auto& g : groups) {
    if (g.state == "Dead") {
      missing.push_back(absl::StrCat("Consumer group '", g.group_id, "' does not exist."));
      continue;
    }
    found.push_back(g);
    std::vector<GroupOffsetRow> group_rows;
    if (flags.view == DescribeView::kOffsets) {
      ASSIGN_OR_RETURN(group_rows, OffsetRows(g, admin));
      rows.insert(rows.end(), group_rows.begin(), group_rows.end());
    }
    if (json) continue;
    if (flags.view != DescribeView::kState) PrintStateNote(g);
    switch (flags.view) {
      case DescribeView::kOffsets:
        std::cout << FormatGroupOffsets(group_rows);
        break;
      case DescribeView::kMembers:
        if (!g.members.empty()) std::cout << FormatGroupMembers(g, flags.verbose);
        break;
      case DescribeView::kState:
        std::cout << FormatGroupState(g);
        break;
    }
  }
  if (json) {
    std::cout << GroupDescriptionsJson(
        found, flags.view == DescribeView::kOffsets ? std::optional(rows) : std::nullopt);
  }
  if (!missing.empty()) return absl::NotFoundError(absl::StrJoin(missing, " "));
  return absl::OkStatus();
}

absl::Status Delete(const GroupsFlags& flags, client::AdminClient& admin) {
  ASSIGN_OR_RETURN(const std::vector<std::string> ids, GroupIds(flags, admin));
  ASSIGN_OR_RETURN(const auto results, admin.DeleteConsumerGroups(ids));
  std::vector<std::string> deleted;
  std::vector<std::string> failed;
  for (const std::string& id : ids) {
    const absl::Status& s = results.at(id);
    if (s.ok()) {
      deleted.push_back(absl::StrCat("'", id, "'"));
    } else {
      failed.push_back(
          absl::StrCat("* Group '", id, "' could not be deleted due to: ", s.message()));
    }
  }
  if (failed.empty()) {
    std::cout << "Deletion of requested consumer groups (" << absl::StrJoin(deleted, ", ")
              << ") was successful.\n";
    return absl::OkStatus();
  }
  std::cerr << "Error: Deletion of some consumer groups failed:\n";
  std::cout << absl::StrJoin(failed, "\n") << "\n";
  if (!deleted.empty()) {
    std::cout << "\nThese other groups were deleted successfully: " << absl::StrJoin(deleted, ", ")
              << "\n";
  }
  return absl::FailedPreconditionError(
      absl::StrCat(failed.size(), " of ", ids.size(), " groups could not be deleted"));
}

absl::Status DeleteOffsets(const GroupsFlags& flags, client::AdminClient& admin) {
  const std::string& group = flags.groups.at(0);
  ASSIGN_OR_RETURN(const std::set<TopicPartition> partitions, TopicPartitions(flags.topics, admin));
  absl::StatusOr<std::map<TopicPartition, absl::Status>> results =
      admin.DeleteConsumerGroupOffsets(group, partitions);
  if (!results.ok()) {
    // Kafka's messages for the group-level errors.
    const std::string name = client::KafkaErrorName(results.status());
    const absl::StatusCode code = results.status().code();
    if (name == "GROUP_ID_NOT_FOUND") {
      return absl::Status(code, absl::StrCat("'", group, "' does not exist."));
    }
    if (name == "NON_EMPTY_GROUP") {
      return absl::Status(code, absl::StrCat("Deleting offsets of a consumer group '", group,
                                             "' is forbidden if the group is not empty."));
    }
    if (name == "INVALID_GROUP_ID") {
      return absl::Status(code, absl::StrCat("'", group, "' is not valid."));
    }
    return results.status();
  }
  bool failed = false;
  for (const auto& [tp, s] : *results) failed |= !s.ok();
  if (!failed) {
    std::vector<std::string> topics;
    for (const GroupTopic& t : flags.topics) topics.push_back(t.topic);
    std::cout << "Request succeed for deleting offsets with topic " << absl::StrJoin(topics, ", ")
              << " group " << group << "\n";
  } else {
    std::cerr << "Error: Encounter some partition level error, see the follow-up details:\n";
  }
  std::cout << FormatDeletedOffsets(*results);
  if (failed) return absl::FailedPreconditionError("some partitions' offsets were not deleted");
  return absl::OkStatus();
}

// Each partition's new offset for one inactive group; `warnings` gets Kafka's clamp notes.
absl::StatusOr<std::map<TopicPartition, int64_t>> PrepareReset(const GroupsFlags& flags,
                                                               const std::string& group,
                                                               client::AdminClient& admin,
                                                               std::vector<std::string>& warnings) {
  ASSIGN_OR_RETURN(const auto committed, admin.ListConsumerGroupOffsets(group));
  std::set<TopicPartition> partitions;
  if (flags.all_topics) {
    for (const auto& [tp, unused] : committed) partitions.insert(tp);
  } else {
    ASSIGN_OR_RETURN(partitions, TopicPartitions(flags.topics, admin));
  }
  ASSIGN_OR_RETURN(const auto starts, OffsetsAt(admin, partitions, client::OffsetSpec::kEarliest));
  ASSIGN_OR_RETURN(const auto ends, OffsetsAt(admin, partitions, client::OffsetSpec::kLatest));
  std::map<TopicPartition, int64_t> at_datetime;
  if (flags.scenario == ResetScenario::kToDatetime) {
    ASSIGN_OR_RETURN(at_datetime, OffsetsAt(admin, partitions, flags.reset_value));
  }
  std::map<TopicPartition, int64_t> out;
  for (const TopicPartition& tp : partitions) {
    PartitionOffsetsForReset offsets{.log_start_offset = starts.at(tp),
                                     .log_end_offset = ends.at(tp)};
    if (auto c = committed.find(tp); c != committed.end()) offsets.committed = c->second.offset;
    if (auto d = at_datetime.find(tp); d != at_datetime.end()) {
      offsets.offset_at_datetime = d->second;
    }
    ASSIGN_OR_RETURN(out[tp], ResetOffset(flags, tp, offsets, warnings));
  }
  return out;
}

absl::Status ResetOffsets(const GroupsFlags& flags, client::AdminClient& admin) {
  if (!flags.execute && !flags.dry_run_given) {
    std::cerr << "WARN: No action will be performed as the --execute option is missing. "
                 "Add --dry-run to say so, or --execute to reset the offsets.\n";
  }
  ASSIGN_OR_RETURN(const std::vector<std::string> ids, GroupIds(flags, admin));
  ASSIGN_OR_RETURN(const auto groups, admin.DescribeConsumerGroups(ids));
  ResetResults resets;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  for (const auto& g : groups) {
    if (g.state != "Empty" && g.state != "Dead") {
      errors.push_back(absl::StrCat("Assignments can only be reset if the group '", g.group_id,
                                    "' is inactive, but the current state is ", g.state, "."));
      continue;
    }
    ASSIGN_OR_RETURN(auto offsets, PrepareReset(flags, g.group_id, admin, warnings));
    if (flags.execute && !offsets.empty()) {
      RETURN_IF_ERROR(admin.AlterConsumerGroupOffsets(g.group_id, offsets));
    }
    resets.emplace_back(g.group_id, std::move(offsets));
  }
  for (const std::string& w : warnings) std::cerr << "WARN: " << w << "\n";
  std::cout << (flags.output == OutputFormat::kJson ? ResetOffsetsJson(resets, flags.execute)
                                                    : FormatResetOffsets(resets));
  if (!errors.empty()) return absl::FailedPreconditionError(absl::StrJoin(errors, "\n"));
  return absl::OkStatus();
}

}  // namespace

absl::Status RunGroups(const GroupsFlags& flags, client::AdminClient& admin) {
  switch (flags.action) {
    case GroupsAction::kList:
      return List(flags, admin);
    case GroupsAction::kDescribe:
      return Describe(flags, admin);
    case GroupsAction::kDelete:
      return Delete(flags, admin);
    case GroupsAction::kDeleteOffsets:
      return DeleteOffsets(flags, admin);
    case GroupsAction::kResetOffsets:
      return ResetOffsets(flags, admin);
  }
  return absl::InternalError("unknown action");
}

}  // namespace karst::cli
