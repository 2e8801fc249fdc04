#include "client/cli/topics_command.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/cluster_command.h"
#include "client/cli/json.h"
#include "client/client_properties.h"
#include "common/status_macros.h"

namespace karst::cli {
namespace {

constexpr char kUsage[] =
    R"(usage: karst topics --bootstrap-server HOST:PORT[,...] <action> [options]

actions (exactly one):
  --create --topic T [--partitions N] [--replication-factor R] [--config k=v ...]
           [--if-not-exists]
  --list
  --describe [--topic T]        every topic when --topic is absent
  --delete --topic T [--if-exists]
  --alter --topic T --partitions N [--if-exists]   raise the partition count to N

options:
  --bootstrap-server S   brokers to bootstrap from (overrides bootstrap.servers)
  --command-config FILE  client properties: bootstrap.servers, client.id, request.timeout.ms
  --output text|json     --list/--describe as text (default, like Kafka's tool) or JSON
  --help                 print this text and exit

exit codes: 0 ok, 1 Kafka or network error, 2 usage error
)";

absl::Status SetAction(TopicsFlags& flags, bool& have_action, TopicsAction action,
                       const std::string& flag) {
  if (have_action)
    return absl::InvalidArgumentError(absl::StrCat("more than one action at ", flag));
  have_action = true;
  flags.action = action;
  return absl::OkStatus();
}

absl::Status CheckCombination(const TopicsFlags& flags) {
  const bool create = flags.action == TopicsAction::kCreate;
  const bool alter = flags.action == TopicsAction::kAlter;
  if ((create || alter || flags.action == TopicsAction::kDelete) && flags.topic.empty()) {
    return absl::InvalidArgumentError(
        create ? "--create requires --topic"
               : absl::StrCat(alter ? "--alter" : "--delete", " requires --topic"));
  }
  if (flags.action == TopicsAction::kList && !flags.topic.empty()) {
    return absl::InvalidArgumentError("--topic is not valid with --list");
  }
  if (alter && !flags.partitions.has_value()) {
    return absl::InvalidArgumentError("--alter requires --partitions");
  }
  if (flags.partitions.has_value() && !create && !alter) {
    return absl::InvalidArgumentError("--partitions is valid only with --create or --alter");
  }
  if ((flags.replication_factor.has_value() || !flags.configs.empty()) && !create) {
    return absl::InvalidArgumentError(
        "--replication-factor and --config are valid only with --create");
  }
  if (flags.if_not_exists && !create) {
    return absl::InvalidArgumentError("--if-not-exists is valid only with --create");
  }
  if (flags.if_exists && !alter && flags.action != TopicsAction::kDelete) {
    return absl::InvalidArgumentError("--if-exists is valid only with --alter or --delete");
  }
  return absl::OkStatus();
}

// Parses one flag that takes a value into `flags`.
absl::Status SetValue(TopicsFlags& flags, const std::string& name, const std::string& value) {
  if (name == "--bootstrap-server") {
    flags.bootstrap_server = value;
  } else if (name == "--command-config") {
    flags.command_config = value;
  } else if (name == "--topic") {
    flags.topic = value;
  } else if (name == "--partitions") {
    int32_t n = 0;
    if (!absl::SimpleAtoi(value, &n) || n <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--partitions: expected a positive integer, got \"", value, "\""));
    }
    flags.partitions = n;
  } else if (name == "--replication-factor") {
    int32_t n = 0;
    if (!absl::SimpleAtoi(value, &n) || n <= 0 || n > INT16_MAX) {
      return absl::InvalidArgumentError(
          absl::StrCat("--replication-factor: expected a positive integer, got \"", value, "\""));
    }
    flags.replication_factor = static_cast<int16_t>(n);
  } else if (name == "--output") {
    ASSIGN_OR_RETURN(flags.output, ParseOutputFormat(value));
  } else if (name == "--config") {
    const size_t eq = value.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--config: expected key=value, got \"", value, "\""));
    }
    flags.configs[value.substr(0, eq)] = value.substr(eq + 1);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown flag ", name));
  }
  return absl::OkStatus();
}

absl::StatusOr<client::Properties> LoadProperties(const TopicsFlags& flags) {
  client::Properties properties;
  if (!flags.command_config.empty()) {
    std::ifstream in(flags.command_config);
    if (!in) {
      return absl::InvalidArgumentError(
          absl::StrCat("--command-config: cannot read ", flags.command_config));
    }
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<client::Properties> parsed = client::ParseProperties(text.str());
    RETURN_IF_ERROR(Annotate(parsed.status(), flags.command_config));
    properties = *std::move(parsed);
  }
  if (!flags.bootstrap_server.empty()) properties["bootstrap.servers"] = flags.bootstrap_server;
  if (properties.count("bootstrap.servers") == 0) {
    return absl::InvalidArgumentError("--bootstrap-server is required");
  }
  return properties;
}

std::string JoinIds(const std::vector<int32_t>& ids) { return absl::StrJoin(ids, ","); }

// Runs the parsed action; errors are Kafka or network failures.
absl::Status RunAction(const TopicsFlags& flags, client::AdminClient& admin) {
  switch (flags.action) {
    case TopicsAction::kCreate: {
      client::NewTopic topic{.name = flags.topic,
                             .partitions = flags.partitions.value_or(-1),
                             .replication_factor = flags.replication_factor.value_or(-1),
                             .configs = flags.configs};
      absl::Status s = admin.CreateTopics({topic});
      if (flags.if_not_exists && absl::IsAlreadyExists(s)) return absl::OkStatus();
      RETURN_IF_ERROR(s);
      std::cout << "Created topic " << flags.topic << ".\n";
      return absl::OkStatus();
    }
    case TopicsAction::kList: {
      ASSIGN_OR_RETURN(const std::vector<std::string> names, admin.ListTopics());
      if (flags.output == OutputFormat::kJson) {
        Json list = Json::Array();
        for (const std::string& name : names) list.Push(Json::String(name));
        std::cout << Json::Object().Set("topics", std::move(list)).Dump() << "\n";
        return absl::OkStatus();
      }
      for (const std::string& name : names) std::cout << name << "\n";
      return absl::OkStatus();
    }
    case TopicsAction::kDescribe: {
      ASSIGN_OR_RETURN(const std::vector<client::TopicDescription> topics,
                       admin.DescribeTopics(flags.topic.empty() ? std::vector<std::string>()
                                                                : std::vector{flags.topic}));
      std::map<std::string, std::map<std::string, std::string>> configs;
      for (const client::TopicDescription& topic : topics) {
        ASSIGN_OR_RETURN(configs[topic.name], admin.DescribeTopicConfigs(topic.name));
      }
      if (flags.output == OutputFormat::kJson) {
        std::cout << FormatTopicsJson(topics, configs) << "\n";
        return absl::OkStatus();
      }
      for (const client::TopicDescription& topic : topics) {
        std::cout << FormatTopicDescription(topic, configs[topic.name]);
      }
      return absl::OkStatus();
    }
    case TopicsAction::kDelete: {
      absl::Status s = admin.DeleteTopics({flags.topic});
      return flags.if_exists && absl::IsNotFound(s) ? absl::OkStatus() : s;
    }
    case TopicsAction::kAlter: {
      absl::Status s = admin.CreatePartitions({{flags.topic, *flags.partitions}});
      return flags.if_exists && absl::IsNotFound(s) ? absl::OkStatus() : s;
    }
    case TopicsAction::kHelp:
      break;
  }
  return absl::OkStatus();
}

}  // namespace

const char* TopicsUsage() { return kUsage; }

absl::StatusOr<TopicsFlags> ParseTopicsFlags(const std::vector<std::string>& args) {
  TopicsFlags flags;
  bool have_action = false;
  const std::map<std::string, TopicsAction> actions = {{"--create", TopicsAction::kCreate},
                                                       {"--list", TopicsAction::kList},
                                                       {"--describe", TopicsAction::kDescribe},
                                                       {"--delete", TopicsAction::kDelete},
                                                       {"--alter", TopicsAction::kAlter},
                                                       {"--help", TopicsAction::kHelp},
                                                       {"-h", TopicsAction::kHelp}};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (auto it = actions.find(arg); it != actions.end()) {
      if (it->second == TopicsAction::kHelp) return TopicsFlags{};
      RETURN_IF_ERROR(SetAction(flags, have_action, it->second, arg));
    } else if (arg == "--if-not-exists") {
      flags.if_not_exists = true;
    } else if (arg == "--if-exists") {
      flags.if_exists = true;
    } else if (absl::StartsWith(arg, "--")) {
      const size_t eq = arg.find('=');
      std::string name = arg.substr(0, eq);
      std::string value;
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
      }
      RETURN_IF_ERROR(SetValue(flags, name, value));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
  }
  if (!have_action) {
    return absl::InvalidArgumentError(
        "one of --create, --list, --describe, --delete or --alter is required");
  }
  RETURN_IF_ERROR(CheckCombination(flags));
  return flags;
}

std::string FormatTopicsJson(
    const std::vector<client::TopicDescription>& topics,
    const std::map<std::string, std::map<std::string, std::string>>& configs) {
  const auto ids = [](const std::vector<int32_t>& v) {
    Json out = Json::Array();
    for (int32_t id : v) out.Push(Json::Int(id));
    return out;
  };
  Json list = Json::Array();
  for (const client::TopicDescription& topic : topics) {
    Json topic_configs = Json::Object();
    if (auto it = configs.find(topic.name); it != configs.end()) {
      for (const auto& [key, value] : it->second) topic_configs.Set(key, Json::String(value));
    }
    Json partitions = Json::Array();
    for (const client::PartitionDescription& p : topic.partitions) {
      partitions.Push(Json::Object()
                          .Set("partition", Json::Int(p.partition))
                          .Set("leader", p.leader < 0 ? Json() : Json::Int(p.leader))
                          .Set("replicas", ids(p.replicas))
                          .Set("isr", ids(p.isr)));
    }
    const size_t replication_factor =
        topic.partitions.empty() ? 0 : topic.partitions.front().replicas.size();
    list.Push(Json::Object()
                  .Set("name", Json::String(topic.name))
                  .Set("topic_id", Json::String(topic.topic_id))
                  .Set("partition_count", Json::Int(static_cast<int64_t>(topic.partitions.size())))
                  .Set("replication_factor", Json::Int(static_cast<int64_t>(replication_factor)))
                  .Set("configs", std::move(topic_configs))
                  .Set("partitions", std::move(partitions)));
  }
  return Json::Object().Set("topics", std::move(list)).Dump();
}

std::string FormatTopicDescription(const client::TopicDescription& topic,
                                   const std::map<std::string, std::string>& configs) {
  // Kafka's TopicCommand: the replication factor is the first partition's replica count.
  const size_t replication_factor =
      topic.partitions.empty() ? 0 : topic.partitions.front().replicas.size();
  std::string out = absl::StrCat(
      "Topic: ", topic.name, "\tTopicId: ", topic.topic_id,
      "\tPartitionCount: ", topic.partitions.size(), "\tReplicationFactor: ", replication_factor,
      "\tConfigs: ", absl::StrJoin(configs, ",", absl::PairFormatter("=")), "\n");
  for (const client::PartitionDescription& p : topic.partitions) {
    absl::StrAppend(&out, "\tTopic: ", topic.name, "\tPartition: ", p.partition,
                    "\tLeader: ", p.leader >= 0 ? absl::StrCat(p.leader) : "none",
                    "\tReplicas: ", JoinIds(p.replicas), "\tIsr: ", JoinIds(p.isr));
    if (!p.offline.empty()) absl::StrAppend(&out, "\tOffline: ", JoinIds(p.offline));
    out += "\n";
  }
  return out;
}

int RunTopicsCommand(const std::vector<std::string>& args, Clock& clock) {
  absl::StatusOr<TopicsFlags> flags = ParseTopicsFlags(args);
  if (!flags.ok()) {
    std::cerr << "karst topics: " << flags.status().message() << "\n\n" << kUsage;
    return kExitUsage;
  }
  if (flags->action == TopicsAction::kHelp) {
    std::cout << kUsage;
    return kExitOk;
  }
  absl::StatusOr<client::AdminClientOptions> options =
      [&]() -> absl::StatusOr<client::AdminClientOptions> {
    ASSIGN_OR_RETURN(const client::Properties properties, LoadProperties(*flags));
    return client::AdminClientOptionsFromProperties(properties);
  }();
  if (!options.ok()) {
    std::cerr << "karst topics: " << options.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<client::AdminClient>> admin =
      client::AdminClient::Create(*std::move(options), clock);
  absl::Status status = admin.ok() ? RunAction(*flags, **admin) : admin.status();
  if (!status.ok()) {
    std::cerr << "karst topics: " << status.message() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace karst::cli
