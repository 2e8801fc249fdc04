#include "client/cli/groups_command.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/cli/admin_flags.h"
#include "client/cli/admin_json.h"
#include "client/cli/cluster_command.h"
#include "common/status_macros.h"

namespace karst::cli {
namespace {

constexpr char kUsage[] =
    R"(usage: karst groups --bootstrap-server HOST:PORT[,...] [--command-config FILE]
         --list [--state [S1,S2]]
       | --describe (--group G [--group G2 ...] | --all-groups)
                    [--offsets (default) | --members [--verbose] | --state]
       | --delete (--group G [--group G2 ...] | --all-groups)
       | --delete-offsets --group G --topic T[:P1,P2] [--topic ...]
       | --reset-offsets (--group G [--group ...] | --all-groups)
                    (--topic T[:P1,P2] [--topic ...] | --all-topics)
                    (--to-earliest | --to-latest | --to-offset N | --shift-by N | --to-current
                     | --to-datetime YYYY-MM-DDTHH:mm:SS.sss[Z|+hh:mm|-hh:mm])
                    [--dry-run (default) | --execute]
         [--output text|json]   (--list, --describe, --reset-offsets)

Lists, describes, deletes and moves the committed offsets of consumer groups
(kafka-consumer-groups). --describe prints GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET
LAG CONSUMER-ID HOST CLIENT-ID; a partition without a committed offset shows '-'.
--reset-offsets needs an inactive group (no members); --to-offset and --shift-by are clamped
into [log start, log end]; --to-datetime without a zone is local time, and a time after the
last record resets to the log end. Without --execute nothing changes.

exit codes: 0 ok; 1 Kafka or network error, an unknown group on --describe ("Consumer group
'G' does not exist."), a group that could not be deleted or is not inactive on
--reset-offsets, a partition whose offset could not be deleted; 2 usage error
)";

const std::vector<std::pair<std::string, GroupsAction>>& Actions() {
  static const auto* actions = new std::vector<std::pair<std::string, GroupsAction>>{
      {"--list", GroupsAction::kList},
      {"--describe", GroupsAction::kDescribe},
      {"--delete", GroupsAction::kDelete},
      {"--delete-offsets", GroupsAction::kDeleteOffsets},
      {"--reset-offsets", GroupsAction::kResetOffsets}};
  return *actions;
}

using ActionSet = std::set<GroupsAction>;

// The actions each flag goes with (the connection flags go with all).
const std::map<std::string, ActionSet>& FlagActions() {
  using A = GroupsAction;
  static const auto* table = new std::map<std::string, ActionSet>{
      {"--group", {A::kDescribe, A::kDelete, A::kDeleteOffsets, A::kResetOffsets}},
      {"--all-groups", {A::kDescribe, A::kDelete, A::kResetOffsets}},
      {"--state", {A::kList, A::kDescribe}},
      {"--members", {A::kDescribe}},
      {"--offsets", {A::kDescribe}},
      {"--verbose", {A::kDescribe}},
      {"--topic", {A::kDeleteOffsets, A::kResetOffsets}},
      {"--all-topics", {A::kResetOffsets}},
      {"--to-earliest", {A::kResetOffsets}},
      {"--to-latest", {A::kResetOffsets}},
      {"--to-current", {A::kResetOffsets}},
      {"--to-offset", {A::kResetOffsets}},
      {"--shift-by", {A::kResetOffsets}},
      {"--to-datetime", {A::kResetOffsets}},
      {"--dry-run", {A::kResetOffsets}},
      {"--execute", {A::kResetOffsets}},
      {"--output", {A::kList, A::kDescribe, A::kResetOffsets}}};
  return *table;
}

absl::StatusOr<GroupTopic> ParseGroupTopic(const std::string& value) {
  GroupTopic out;
  const size_t colon = value.find(':');
  out.topic = value.substr(0, colon);
  if (out.topic.empty()) return absl::InvalidArgumentError("--topic needs a topic name");
  if (colon != std::string::npos) {
    ASSIGN_OR_RETURN(out.partitions, ParseIdList("--topic " + out.topic, value.substr(colon + 1)));
  }
  return out;
}

absl::StatusOr<std::string> CanonicalState(absl::string_view state) {
  for (const char* known : client::kGroupStates) {
    if (absl::EqualsIgnoreCase(state, known)) return std::string(known);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--state: unknown group state \"", state,
                   "\" (expected PreparingRebalance, CompletingRebalance, Stable, Dead or Empty)"));
}

// --group, --topic and --state, taken out of `args` before SplitCommandLine: the first two
// repeat, and --state's value is optional (--list --state lists states; --state S filters).
struct RepeatedFlags {
  std::vector<std::string> rest;
  std::vector<std::string> groups;
  std::vector<GroupTopic> topics;
  bool state = false;
  std::optional<std::string> state_value;
};

absl::StatusOr<RepeatedFlags> TakeRepeatedFlags(const std::vector<std::string>& args) {
  RepeatedFlags out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    if (name != "--group" && name != "--topic" && name != "--state") {
      out.rest.push_back(arg);
      continue;
    }
    std::optional<std::string> value;
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size() && (name != "--state" || !absl::StartsWith(args[i + 1], "-"))) {
      value = args[++i];
    }
    if (name == "--state") {
      if (out.state) return absl::InvalidArgumentError("--state is given twice");
      out.state = true;
      out.state_value = value;
      continue;
    }
    if (!value.has_value() || value->empty()) {
      return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
    }
    if (name == "--group") {
      out.groups.push_back(*value);
    } else {
      ASSIGN_OR_RETURN(GroupTopic topic, ParseGroupTopic(*value));
      out.topics.push_back(std::move(topic));
    }
  }
  return out;
}

absl::Status CheckGroupChoice(const GroupsFlags& flags, const std::string& action) {
  if (flags.groups.empty() && !flags.all_groups) {
    return absl::InvalidArgumentError(absl::StrCat(action, " needs --group or --all-groups"));
  }
  if (!flags.groups.empty() && flags.all_groups) {
    return absl::InvalidArgumentError("--group and --all-groups cannot be combined");
  }
  return absl::OkStatus();
}

absl::Status ParseResetScenario(const SplitFlags& split, absl::TimeZone local, GroupsFlags& flags) {
  const std::vector<std::pair<std::string, ResetScenario>> scenarios = {
      {"--to-earliest", ResetScenario::kToEarliest}, {"--to-latest", ResetScenario::kToLatest},
      {"--to-offset", ResetScenario::kToOffset},     {"--shift-by", ResetScenario::kShiftBy},
      {"--to-datetime", ResetScenario::kToDatetime}, {"--to-current", ResetScenario::kToCurrent}};
  int given = 0;
  for (const auto& [flag, scenario] : scenarios) {
    if (!split.Has(flag)) continue;
    ++given;
    flags.scenario = scenario;
    const std::string value = split.Value(flag);
    if (scenario == ResetScenario::kToDatetime) {
      ASSIGN_OR_RETURN(flags.reset_value, ParseResetDateTime(value, local));
    } else if ((scenario == ResetScenario::kToOffset || scenario == ResetScenario::kShiftBy) &&
               !absl::SimpleAtoi(value, &flags.reset_value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": expected an integer, got \"", value, "\""));
    }
  }
  if (given != 1) {
    return absl::InvalidArgumentError(
        "--reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset, "
        "--shift-by, --to-datetime, --to-current");
  }
  if (flags.topics.empty() == !flags.all_topics) {
    return absl::InvalidArgumentError(
        "--reset-offsets needs either --topic (repeatable) or --all-topics");
  }
  flags.execute = split.Has("--execute");
  flags.dry_run_given = split.Has("--dry-run");
  if (flags.execute && flags.dry_run_given) {
    return absl::InvalidArgumentError("--dry-run and --execute cannot be combined");
  }
  return CheckGroupChoice(flags, "--reset-offsets");
}

absl::Status ParseActionFlags(const SplitFlags& split, const RepeatedFlags& repeated,
                              absl::TimeZone local, GroupsFlags& flags) {
  switch (flags.action) {
    case GroupsAction::kList:
      flags.list_states = repeated.state;
      if (repeated.state_value.has_value()) {
        for (absl::string_view s : absl::StrSplit(*repeated.state_value, ',', absl::SkipEmpty())) {
          ASSIGN_OR_RETURN(std::string state, CanonicalState(absl::StripAsciiWhitespace(s)));
          flags.states.insert(std::move(state));
        }
      }
      return absl::OkStatus();
    case GroupsAction::kDescribe: {
      if (repeated.state_value.has_value()) {
        return absl::InvalidArgumentError("--state takes no value with --describe");
      }
      const int views = split.Has("--members") + split.Has("--offsets") + repeated.state;
      if (views > 1) {
        return absl::InvalidArgumentError("give at most one of --offsets, --members, --state");
      }
      if (split.Has("--members")) flags.view = DescribeView::kMembers;
      if (repeated.state) flags.view = DescribeView::kState;
      flags.verbose = split.Has("--verbose");
      if (flags.verbose && flags.view != DescribeView::kMembers) {
        return absl::InvalidArgumentError("--verbose goes with --members only");
      }
      return CheckGroupChoice(flags, "--describe");
    }
    case GroupsAction::kDelete:
      return CheckGroupChoice(flags, "--delete");
    case GroupsAction::kDeleteOffsets:
      if (flags.groups.size() != 1) {
        return absl::InvalidArgumentError("--delete-offsets needs exactly one --group");
      }
      if (flags.topics.empty()) return absl::InvalidArgumentError("--delete-offsets needs --topic");
      return absl::OkStatus();
    case GroupsAction::kResetOffsets:
      return ParseResetScenario(split, local, flags);
  }
  return absl::OkStatus();
}

}  // namespace

const char* GroupsUsage() { return kUsage; }

absl::StatusOr<int64_t> ParseResetDateTime(const std::string& text, absl::TimeZone local) {
  const size_t t = text.find('T');
  absl::Time time;
  std::string error;
  bool parsed = false;
  if (t != std::string::npos && absl::EndsWith(text, "Z")) {
    parsed = absl::ParseTime("%Y-%m-%dT%H:%M:%E*S", text.substr(0, text.size() - 1),
                             absl::UTCTimeZone(), &time, &error);
  } else if (t != std::string::npos && text.find_first_of("+-", t) != std::string::npos) {
    parsed = absl::ParseTime("%Y-%m-%dT%H:%M:%E*S%Ez", text, &time, &error);
  } else if (t != std::string::npos) {
    parsed = absl::ParseTime("%Y-%m-%dT%H:%M:%E*S", text, local, &time, &error);
  }
  if (!parsed) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--to-datetime: expected YYYY-MM-DDTHH:mm:SS.sss with an optional Z, +hh:mm or -hh:mm, "
        "got \"",
        text, "\""));
  }
  return absl::ToUnixMillis(time);
}

absl::StatusOr<GroupsFlags> ParseGroupsFlags(const std::vector<std::string>& args,
                                             absl::TimeZone local) {
  ASSIGN_OR_RETURN(const RepeatedFlags repeated, TakeRepeatedFlags(args));
  std::set<std::string> switches;
  std::set<std::string> valued = {"--bootstrap-server", "--command-config"};
  for (const auto& [flag, name] : Actions()) switches.insert(flag);
  for (const auto& [flag, unused] : FlagActions()) {
    if (flag == "--group" || flag == "--topic" || flag == "--state") continue;
    const bool has_value = flag == "--to-offset" || flag == "--shift-by" ||
                           flag == "--to-datetime" || flag == "--output";
    (has_value ? valued : switches).insert(flag);
  }
  ASSIGN_OR_RETURN(const SplitFlags split, SplitCommandLine(repeated.rest, switches, valued));
  GroupsFlags flags;
  if (split.Has("--help") || split.Has("-h")) {
    flags.help = true;
    return flags;
  }
  std::vector<std::string> chosen;
  for (const auto& [flag, action] : Actions()) {
    if (!split.Has(flag)) continue;
    chosen.push_back(flag);
    flags.action = action;
  }
  if (chosen.size() != 1) {
    return absl::InvalidArgumentError(
        "give exactly one of --list, --describe, --delete, --delete-offsets, --reset-offsets");
  }
  for (const auto& [flag, actions] : FlagActions()) {
    const bool given = flag == "--group"   ? !repeated.groups.empty()
                       : flag == "--topic" ? !repeated.topics.empty()
                       : flag == "--state" ? repeated.state
                                           : split.Has(flag);
    if (given && !actions.contains(flags.action)) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " cannot be used with ", chosen[0]));
    }
  }
  flags.bootstrap_server = split.Value("--bootstrap-server");
  flags.command_config = split.Value("--command-config");
  flags.groups = repeated.groups;
  flags.topics = repeated.topics;
  flags.all_groups = split.Has("--all-groups");
  flags.all_topics = split.Has("--all-topics");
  if (split.Has("--output")) {
    ASSIGN_OR_RETURN(flags.output, ParseOutputFormat(split.Value("--output")));
  }
  RETURN_IF_ERROR(ParseActionFlags(split, repeated, local, flags));
  return flags;
}

absl::StatusOr<int64_t> ResetOffset(const GroupsFlags& flags, const client::TopicPartition& tp,
                                    const PartitionOffsetsForReset& offsets,
                                    std::vector<std::string>& warnings) {
  // Kafka's checkOffsetsRange.
  auto clamp = [&](int64_t wanted) {
    if (offsets.log_end_offset >= 0 && wanted > offsets.log_end_offset) {
      warnings.push_back(absl::StrCat(
          "New offset (", wanted, ") is higher than latest offset for topic partition ",
          client::ToString(tp), ". Value will be set to ", offsets.log_end_offset));
      return offsets.log_end_offset;
    }
    if (offsets.log_start_offset >= 0 && wanted < offsets.log_start_offset) {
      warnings.push_back(absl::StrCat(
          "New offset (", wanted, ") is lower than earliest offset for topic partition ",
          client::ToString(tp), ". Value will be set to ", offsets.log_start_offset));
      return offsets.log_start_offset;
    }
    return wanted;
  };
  switch (flags.scenario) {
    case ResetScenario::kToEarliest:
      return offsets.log_start_offset;
    case ResetScenario::kToLatest:
      return offsets.log_end_offset;
    case ResetScenario::kToOffset:
      return clamp(flags.reset_value);
    case ResetScenario::kShiftBy:
      if (!offsets.committed.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot shift offset for partition ", client::ToString(tp),
                         " since there is no current committed offset"));
      }
      return clamp(*offsets.committed + flags.reset_value);
    case ResetScenario::kToDatetime:
      return offsets.offset_at_datetime >= 0 ? offsets.offset_at_datetime : offsets.log_end_offset;
    case ResetScenario::kToCurrent:
      return offsets.committed.value_or(offsets.log_end_offset);
  }
  return absl::InternalError("unknown reset scenario");
}

int RunGroupsCommand(const std::vector<std::string>& args, Clock& clock) {
  absl::StatusOr<GroupsFlags> flags = ParseGroupsFlags(args, absl::LocalTimeZone());
  if (!flags.ok()) return UsageError("groups", flags.status(), kUsage);
  if (flags->help) {
    std::cout << kUsage;
    return kExitOk;
  }
  absl::StatusOr<client::AdminClientOptions> options =
      AdminOptions(flags->bootstrap_server, flags->command_config);
  if (!options.ok()) return UsageError("groups", options.status(), kUsage);
  return RunWithAdmin("groups", *std::move(options), clock,
                      [&](client::AdminClient& admin) { return RunGroups(*flags, admin); });
}

}  // namespace karst::cli
