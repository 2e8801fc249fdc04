#include "client/cli/reassign_command.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/cluster_command.h"
#include "common/status_macros.h"

namespace karst::cli {
namespace {

constexpr char kUsage[] =
    R"(usage: karst reassign --bootstrap-server HOST:PORT[,...] <action> [--output text|json]

actions (exactly one):
  --generate --topics-to-move-json-file F --broker-list 1,2,3
                                 propose moving the topics in F onto the brokers
  --execute --reassignment-json-file F   start the reassignment in F
  --verify --reassignment-json-file F    report whether each partition of F is done
  --cancel --reassignment-json-file F    cancel the reassignments of F still in progress

files:
  topics to move:  {"topics":[{"topic":"t"}],"version":1}
  reassignment:    {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],
                    "log_dirs":["any","any"]}]}

options:
  --bootstrap-server S   brokers to bootstrap from (overrides bootstrap.servers)
  --command-config FILE  client properties: bootstrap.servers, client.id, request.timeout.ms
  --output FORMAT        text (default) or json
  --help                 print this text and exit

exit codes: 0 ok, 1 Kafka or network error, 2 usage error or bad file
)";

std::string Ids(const std::vector<int32_t>& ids) {
  return absl::StrCat("[", absl::StrJoin(ids, ","), "]");
}

std::string Names(const std::vector<client::TopicPartition>& partitions) {
  std::vector<std::string> names;
  for (const auto& tp : partitions) names.push_back(client::ToString(tp));
  return absl::StrJoin(names, ",");
}

// The replicas of every partition of `topics` (UNKNOWN_TOPIC_OR_PARTITION for a missing one).
absl::StatusOr<ReplicaAssignment> CurrentAssignment(client::AdminClient& admin,
                                                    const std::vector<std::string>& topics) {
  ASSIGN_OR_RETURN(const auto described, admin.DescribeTopics(topics));
  ReplicaAssignment out;
  for (const auto& topic : described) {
    for (const auto& p : topic.partitions) out[{topic.name, p.partition}] = p.replicas;
  }
  return out;
}

std::vector<std::string> TopicsOf(const ReplicaAssignment& assignment) {
  std::vector<std::string> topics;
  for (const auto& [tp, unused] : assignment) {
    if (topics.empty() || topics.back() != tp.topic) topics.push_back(tp.topic);
  }
  return topics;
}

std::set<client::TopicPartition> PartitionsOf(const ReplicaAssignment& assignment) {
  std::set<client::TopicPartition> out;
  for (const auto& [tp, unused] : assignment) out.insert(tp);
  return out;
}

// "t-0: <message>" per failed partition; OK when none failed.
absl::Status Failures(const std::string& what,
                      const std::map<client::TopicPartition, absl::Status>& results) {
  std::vector<std::string> errors;
  for (const auto& [tp, status] : results) {
    if (!status.ok()) errors.push_back(absl::StrCat(client::ToString(tp), ": ", status.message()));
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("Error ", what, " partition(s):\n", absl::StrJoin(errors, "\n")));
}

absl::Status Execute(const ReassignFlags& flags, const ReplicaAssignment& target,
                     client::AdminClient& admin) {
  ASSIGN_OR_RETURN(ReplicaAssignment current, CurrentAssignment(admin, TopicsOf(target)));
  std::erase_if(current, [&](const auto& entry) { return !target.contains(entry.first); });
  std::map<client::TopicPartition, std::optional<std::vector<int32_t>>> request;
  for (const auto& [tp, replicas] : target) request[tp] = replicas;
  ASSIGN_OR_RETURN(const auto results, admin.AlterPartitionReassignments(request));
  std::vector<client::TopicPartition> started;
  for (const auto& [tp, replicas] : target) {
    auto it = results.find(tp);
    if (it == results.end() || it->second.ok()) started.push_back(tp);
  }
  if (flags.output == OutputFormat::kJson) {
    Json names = Json::Array(), failed = Json::Array();
    for (const auto& tp : started) names.Push(Json::String(client::ToString(tp)));
    for (const auto& [tp, status] : results) {
      if (status.ok()) continue;
      failed.Push(Json::Object({{"partition", Json::String(client::ToString(tp))},
                                {"error", Json::String(std::string(status.message()))}}));
    }
    std::cout << Json::Object({{"current", ReassignmentJson(current)},
                               {"started", std::move(names)},
                               {"failed", std::move(failed)}})
                     .Dump()
              << "\n";
  } else {
    std::cout << "Current partition replica assignment\n\n"
              << ReassignmentJson(current).Dump()
              << "\n\nSave this to use as the --reassignment-json-file option during rollback\n";
    if (!started.empty()) {
      std::cout << "Successfully started partition reassignment" << (started.size() == 1 ? "" : "s")
                << " for " << Names(started) << "\n";
    }
  }
  return Failures("reassigning", results);
}

absl::Status Cancel(const ReassignFlags& flags, const ReplicaAssignment& target,
                    client::AdminClient& admin) {
  ASSIGN_OR_RETURN(const auto ongoing, admin.ListPartitionReassignments(PartitionsOf(target)));
  // As Kafka's cancelAssignment: only the partitions still moving are cancelled.
  std::map<client::TopicPartition, std::optional<std::vector<int32_t>>> request;
  for (const auto& [tp, unused] : target) {
    if (ongoing.contains(tp)) request[tp] = std::nullopt;
  }
  std::map<client::TopicPartition, absl::Status> results;
  if (!request.empty()) {
    ASSIGN_OR_RETURN(results, admin.AlterPartitionReassignments(request));
  }
  std::vector<client::TopicPartition> cancelled;
  for (const auto& [tp, unused] : request) {
    auto it = results.find(tp);
    if (it == results.end() || it->second.ok()) cancelled.push_back(tp);
  }
  if (flags.output == OutputFormat::kJson) {
    Json names = Json::Array();
    for (const auto& tp : cancelled) names.Push(Json::String(client::ToString(tp)));
    std::cout << Json::Object({{"cancelled", std::move(names)}}).Dump() << "\n";
  } else if (cancelled.empty()) {
    std::cout << "None of the specified partition reassignments are active.\n";
  } else {
    std::cout << "Successfully cancelled partition reassignments for: " << Names(cancelled) << "\n";
  }
  return Failures("cancelling", results);
}

absl::Status Run(const ReassignFlags& flags, client::AdminClient& admin) {
  if (flags.action == ReassignAction::kGenerate) {
    ASSIGN_OR_RETURN(const std::vector<std::string> topics,
                     ReadJsonFileAs("--topics-to-move-json-file", flags.topics_to_move_json_file,
                                    &ParseTopicsToMoveJson));
    ASSIGN_OR_RETURN(const ReplicaAssignment current, CurrentAssignment(admin, topics));
    ASSIGN_OR_RETURN(const ReplicaAssignment proposed,
                     ProposeAssignment(current, flags.broker_list));
    std::cout << FormatGenerate(current, proposed, flags.output);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(const ReplicaAssignment target,
                   ReadJsonFileAs("--reassignment-json-file", flags.reassignment_json_file,
                                  &ParseReassignmentJson));
  if (flags.action == ReassignAction::kExecute) return Execute(flags, target, admin);
  if (flags.action == ReassignAction::kCancel) return Cancel(flags, target, admin);
  ASSIGN_OR_RETURN(const auto ongoing, admin.ListPartitionReassignments(PartitionsOf(target)));
  ASSIGN_OR_RETURN(const ReplicaAssignment current, CurrentAssignment(admin, TopicsOf(target)));
  std::cout << FormatVerify(target, current, ongoing, flags.output);
  return absl::OkStatus();
}

}  // namespace

const char* ReassignUsage() { return kUsage; }

absl::StatusOr<ReassignFlags> ParseReassignFlags(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(
      const SplitFlags split,
      SplitCommandLine(args, {"--generate", "--execute", "--verify", "--cancel"},
                       {"--bootstrap-server", "--command-config", "--reassignment-json-file",
                        "--topics-to-move-json-file", "--broker-list", "--output"}));
  ReassignFlags flags;
  if (split.Has("--help") || split.Has("-h")) return flags;
  int actions = 0;
  for (const auto& [name, action] : {std::pair{"--generate", ReassignAction::kGenerate},
                                     std::pair{"--execute", ReassignAction::kExecute},
                                     std::pair{"--verify", ReassignAction::kVerify},
                                     std::pair{"--cancel", ReassignAction::kCancel}}) {
    if (split.Has(name)) {
      flags.action = action;
      ++actions;
    }
  }
  if (actions != 1) {
    return absl::InvalidArgumentError(
        "exactly one of --generate, --execute, --verify or --cancel is required");
  }
  flags.bootstrap_server = split.Value("--bootstrap-server");
  flags.command_config = split.Value("--command-config");
  flags.reassignment_json_file = split.Value("--reassignment-json-file");
  flags.topics_to_move_json_file = split.Value("--topics-to-move-json-file");
  if (flags.action == ReassignAction::kGenerate) {
    if (flags.topics_to_move_json_file.empty() || !split.Has("--broker-list")) {
      return absl::InvalidArgumentError(
          "--generate requires --topics-to-move-json-file and --broker-list");
    }
    if (split.Has("--reassignment-json-file")) {
      return absl::InvalidArgumentError("--reassignment-json-file is not valid with --generate");
    }
    ASSIGN_OR_RETURN(flags.broker_list, ParseIdList("--broker-list", split.Value("--broker-list")));
  } else {
    if (flags.reassignment_json_file.empty()) {
      return absl::InvalidArgumentError(
          "--execute, --verify and --cancel require --reassignment-json-file");
    }
    if (split.Has("--topics-to-move-json-file") || split.Has("--broker-list")) {
      return absl::InvalidArgumentError(
          "--topics-to-move-json-file and --broker-list are valid only with --generate");
    }
  }
  if (split.Has("--output")) {
    ASSIGN_OR_RETURN(flags.output, ParseOutputFormat(split.Value("--output")));
  }
  return flags;
}

std::string FormatGenerate(const ReplicaAssignment& current, const ReplicaAssignment& proposed,
                           OutputFormat output) {
  if (output == OutputFormat::kJson) {
    return Json::Object(
               {{"current", ReassignmentJson(current)}, {"proposed", ReassignmentJson(proposed)}})
               .Dump() +
           "\n";
  }
  return absl::StrCat("Current partition replica assignment\n", ReassignmentJson(current).Dump(),
                      "\n\nProposed partition reassignment configuration\n",
                      ReassignmentJson(proposed).Dump(), "\n");
}

std::string FormatVerify(
    const ReplicaAssignment& target, const ReplicaAssignment& current,
    const std::map<client::TopicPartition, client::PartitionReassignment>& ongoing,
    OutputFormat output) {
  std::string text = "Status of partition reassignment:\n";
  Json list = Json::Array();
  for (const auto& [tp, replicas] : target) {
    const std::string name = client::ToString(tp);
    auto now = current.find(tp);
    const char* status = "completed";
    if (ongoing.contains(tp)) {
      status = "in_progress";
      absl::StrAppend(&text, "Reassignment of partition ", name, " is still in progress.\n");
    } else if (now != current.end() && now->second == replicas) {
      absl::StrAppend(&text, "Reassignment of partition ", name, " is completed.\n");
    } else {
      status = "failed";
      absl::StrAppend(&text, "There is no active reassignment of partition ", name,
                      ", but replica set is ", now == current.end() ? "[]" : Ids(now->second),
                      " rather than ", Ids(replicas), ".\n");
    }
    list.Push(Json::Object({{"topic", Json::String(tp.topic)},
                            {"partition", Json::Int(tp.partition)},
                            {"status", Json::String(status)}}));
  }
  if (output == OutputFormat::kText) return text;
  return Json::Object({{"partitions", std::move(list)}}).Dump() + "\n";
}

int RunReassignCommand(const std::vector<std::string>& args, Clock& clock) {
  absl::StatusOr<ReassignFlags> flags = ParseReassignFlags(args);
  if (!flags.ok()) return UsageError("reassign", flags.status(), kUsage);
  if (flags->action == ReassignAction::kHelp) {
    std::cout << kUsage;
    return kExitOk;
  }
  absl::StatusOr<client::AdminClientOptions> options =
      AdminOptions(flags->bootstrap_server, flags->command_config);
  if (!options.ok()) return UsageError("reassign", options.status(), kUsage);
  // A bad file is a usage error, found before connecting.
  const absl::Status file =
      flags->action == ReassignAction::kGenerate
          ? ReadJsonFileAs("--topics-to-move-json-file", flags->topics_to_move_json_file,
                           &ParseTopicsToMoveJson)
                .status()
          : ReadJsonFileAs("--reassignment-json-file", flags->reassignment_json_file,
                           &ParseReassignmentJson)
                .status();
  if (!file.ok()) {
    std::cerr << "karst reassign: " << file.message() << "\n";
    return kExitUsage;
  }
  return RunWithAdmin("reassign", *std::move(options), clock,
                      [&](client::AdminClient& admin) { return Run(*flags, admin); });
}

}  // namespace karst::cli
