#include "client/cli/leader_election_command.h"

#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/admin_json.h"
#include "client/cli/cluster_command.h"
#include "client/kafka_error.h"
#include "common/status_macros.h"

namespace karst::cli {
namespace {

constexpr char kUsage[] =
    R"(usage: karst leader-election --bootstrap-server HOST:PORT[,...]
                             --election-type PREFERRED|UNCLEAN
                             (--topic T --partition N | --all-topic-partitions |
                              --path-to-json-file FILE) [--output text|json]

Elects partition leaders (kafka-leader-election). FILE:
  {"partitions":[{"topic":"t","partition":0}]}

options:
  --election-type TYPE    PREFERRED: the first replica; UNCLEAN: any replica (not offered
                          by Karst brokers yet)
  --topic T --partition N one partition
  --all-topic-partitions  every partition
  --path-to-json-file F   the partitions listed in F
  --bootstrap-server S    brokers to bootstrap from (overrides bootstrap.servers)
  --command-config FILE   client properties: bootstrap.servers, client.id, request.timeout.ms
  --output FORMAT         text (default) or json
  --help                  print this text and exit

exit codes: 0 ok, 1 Kafka or network error (or a partition failed), 2 usage error or bad file
)";

const char* TypeName(client::ElectionType type) {
  return type == client::ElectionType::kPreferred ? "PREFERRED" : "UNCLEAN";
}

absl::Status CheckTarget(const SplitFlags& split) {
  const bool single = split.Has("--topic") || split.Has("--partition");
  const int targets = (single ? 1 : 0) + (split.Has("--all-topic-partitions") ? 1 : 0) +
                      (split.Has("--path-to-json-file") ? 1 : 0);
  if (targets != 1) {
    return absl::InvalidArgumentError(
        "exactly one of --topic/--partition, --all-topic-partitions or --path-to-json-file is "
        "required");
  }
  if (single && !(split.Has("--topic") && split.Has("--partition"))) {
    return absl::InvalidArgumentError("--topic and --partition go together");
  }
  return absl::OkStatus();
}

}  // namespace

const char* LeaderElectionUsage() { return kUsage; }

absl::StatusOr<LeaderElectionFlags> ParseLeaderElectionFlags(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(const SplitFlags split,
                   SplitCommandLine(args, {"--all-topic-partitions"},
                                    {"--bootstrap-server", "--command-config", "--election-type",
                                     "--topic", "--partition", "--path-to-json-file", "--output"}));
  LeaderElectionFlags flags;
  if (split.Has("--help") || split.Has("-h")) {
    flags.help = true;
    return flags;
  }
  flags.bootstrap_server = split.Value("--bootstrap-server");
  flags.command_config = split.Value("--command-config");
  const std::string type = absl::AsciiStrToUpper(split.Value("--election-type"));
  if (type == "PREFERRED") {
    flags.type = client::ElectionType::kPreferred;
  } else if (type == "UNCLEAN") {
    flags.type = client::ElectionType::kUnclean;
  } else if (type.empty()) {
    return absl::InvalidArgumentError("--election-type is required");
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--election-type: expected PREFERRED or UNCLEAN, got \"",
                     split.Value("--election-type"), "\""));
  }
  RETURN_IF_ERROR(CheckTarget(split));
  if (split.Has("--topic")) {
    int32_t partition = 0;
    if (!absl::SimpleAtoi(split.Value("--partition"), &partition) || partition < 0) {
      return absl::InvalidArgumentError(absl::StrCat("--partition: expected a partition id, got \"",
                                                     split.Value("--partition"), "\""));
    }
    if (split.Value("--topic").empty()) return absl::InvalidArgumentError("--topic: empty name");
    flags.partition = client::TopicPartition{split.Value("--topic"), partition};
  }
  flags.path_to_json_file = split.Value("--path-to-json-file");
  flags.all_topic_partitions = split.Has("--all-topic-partitions");
  if (split.Has("--output")) {
    ASSIGN_OR_RETURN(flags.output, ParseOutputFormat(split.Value("--output")));
  }
  return flags;
}

std::string FormatElection(client::ElectionType type,
                           const std::map<client::TopicPartition, absl::Status>& results,
                           OutputFormat output, int& failures) {
  std::vector<std::string> succeeded, noop;
  std::vector<std::pair<std::string, std::string>> failed;
  for (const auto& [tp, status] : results) {
    if (status.ok()) {
      succeeded.push_back(client::ToString(tp));
    } else if (client::KafkaErrorName(status) == "ELECTION_NOT_NEEDED") {
      noop.push_back(client::ToString(tp));
    } else {
      failed.emplace_back(client::ToString(tp), std::string(status.message()));
    }
  }
  failures = static_cast<int>(failed.size());
  if (output == OutputFormat::kJson) {
    Json ok = Json::Array(), same = Json::Array(), bad = Json::Array();
    for (const std::string& p : succeeded) ok.Push(Json::String(p));
    for (const std::string& p : noop) same.Push(Json::String(p));
    for (const auto& [p, error] : failed) {
      bad.Push(Json::Object({{"partition", Json::String(p)}, {"error", Json::String(error)}}));
    }
    return Json::Object({{"election_type", Json::String(TypeName(type))},
                         {"succeeded", std::move(ok)},
                         {"noop", std::move(same)},
                         {"failed", std::move(bad)}})
               .Dump() +
           "\n";
  }
  std::string out;
  if (!succeeded.empty()) {
    absl::StrAppend(&out, "Successfully completed leader election (", TypeName(type),
                    ") for partitions ", absl::StrJoin(succeeded, ", "), "\n");
  }
  if (!noop.empty()) {
    absl::StrAppend(&out, "Valid replica already elected for partitions ",
                    absl::StrJoin(noop, ", "), "\n");
  }
  for (const auto& [p, error] : failed) {
    absl::StrAppend(&out, "Error completing leader election (", TypeName(type),
                    ") for partition: ", p, ": ", error, "\n");
  }
  return out;
}

int RunLeaderElectionCommand(const std::vector<std::string>& args, Clock& clock) {
  absl::StatusOr<LeaderElectionFlags> flags = ParseLeaderElectionFlags(args);
  if (!flags.ok()) return UsageError("leader-election", flags.status(), kUsage);
  if (flags->help) {
    std::cout << kUsage;
    return kExitOk;
  }
  absl::StatusOr<client::AdminClientOptions> options =
      AdminOptions(flags->bootstrap_server, flags->command_config);
  if (!options.ok()) return UsageError("leader-election", options.status(), kUsage);
  std::optional<std::set<client::TopicPartition>> partitions;
  if (flags->partition.has_value()) partitions = std::set{*flags->partition};
  if (!flags->path_to_json_file.empty()) {
    absl::StatusOr<std::set<client::TopicPartition>> listed =
        ReadJsonFileAs("--path-to-json-file", flags->path_to_json_file, &ParseTopicPartitionsJson);
    if (!listed.ok()) {
      std::cerr << "karst leader-election: " << listed.status().message() << "\n";
      return kExitUsage;
    }
    partitions = *std::move(listed);
  }
  return RunWithAdmin("leader-election", *std::move(options), clock,
                      [&](client::AdminClient& admin) -> absl::Status {
                        ASSIGN_OR_RETURN(const auto results,
                                         admin.ElectLeaders(flags->type, partitions));
                        int failures = 0;
                        std::cout << FormatElection(flags->type, results, flags->output, failures);
                        if (failures > 0) {
                          return absl::FailedPreconditionError(
                              absl::StrCat(failures, " replica(s) could not be elected"));
                        }
                        return absl::OkStatus();
                      });
}

}  // namespace karst::cli
