#include "client/cli/configs_command.h"

#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/cli/cluster_command.h"
#include "client/cli/console_flags.h"
#include "client/cli/json.h"
#include "client/client_properties.h"
#include "common/status_macros.h"

namespace karst::cli {
namespace {

using client::ConfigResourceType;

constexpr char kUsage[] =
    R"(usage: karst configs --bootstrap-server HOST:PORT[,...] --entity-type topics|brokers
                     [--entity-name N | --entity-default] <action> [options]

actions (exactly one):
  --describe [--all]        the dynamic configs; --all: every config with its source
  --alter [--add-config k1=v1,k2=[a,b]] [--delete-config k3,k4]

options:
  --entity-type T        topics or brokers
  --entity-name N        a topic name, or a broker id (--describe without it: every one)
  --entity-default       brokers only: the cluster-wide default
  --bootstrap-server S   brokers to bootstrap from (overrides bootstrap.servers)
  --command-config FILE  client properties: bootstrap.servers, client.id, request.timeout.ms
  --output text|json     --describe as text (default, like kafka-configs) or JSON
  --help                 print this text and exit

exit codes: 0 ok, 1 Kafka or network error, 2 usage error
)";

absl::Status SetAction(ConfigsFlags& flags, bool& have_action, ConfigsAction action,
                       const std::string& flag) {
  if (have_action) {
    return absl::InvalidArgumentError(absl::StrCat("more than one action at ", flag));
  }
  have_action = true;
  flags.action = action;
  return absl::OkStatus();
}

// Parses one flag that takes a value into `flags`; `entity_type` and `entity_name` record
// whether those flags were seen.
absl::Status SetValue(ConfigsFlags& flags, const std::string& name, const std::string& value,
                      bool& entity_type, bool& entity_name) {
  if (name == "--bootstrap-server") {
    flags.bootstrap_server = value;
  } else if (name == "--command-config") {
    flags.command_config = value;
  } else if (name == "--entity-type") {
    if (value == "topics") {
      flags.resource.type = ConfigResourceType::kTopic;
    } else if (value == "brokers") {
      flags.resource.type = ConfigResourceType::kBroker;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--entity-type: expected topics or brokers, got \"", value, "\""));
    }
    entity_type = true;
  } else if (name == "--entity-name") {
    if (value.empty()) return absl::InvalidArgumentError("--entity-name: empty name");
    flags.resource.name = value;
    entity_name = true;
  } else if (name == "--add-config") {
    ASSIGN_OR_RETURN(auto configs, ParseAddConfig(value));
    flags.add_configs.insert(flags.add_configs.end(), configs.begin(), configs.end());
  } else if (name == "--output") {
    ASSIGN_OR_RETURN(flags.output, ParseOutputFormat(value));
  } else if (name == "--delete-config") {
    for (absl::string_view key : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      flags.delete_configs.emplace_back(absl::StripAsciiWhitespace(key));
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown flag ", name));
  }
  return absl::OkStatus();
}

absl::Status CheckCombination(const ConfigsFlags& flags, bool entity_type, bool entity_name,
                              bool entity_default) {
  if (!entity_type) return absl::InvalidArgumentError("--entity-type is required");
  const bool broker = flags.resource.type == ConfigResourceType::kBroker;
  if (entity_name == entity_default && !flags.every_entity) {
    return absl::InvalidArgumentError(
        broker ? "exactly one of --entity-name or --entity-default is required"
               : "--entity-name is required");
  }
  if (entity_default && !broker) {
    return absl::InvalidArgumentError("--entity-default is valid only with --entity-type brokers");
  }
  int32_t id = 0;
  if (broker && entity_name && (!absl::SimpleAtoi(flags.resource.name, &id) || id < 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--entity-name: a broker id must be an integer, got \"", flags.resource.name, "\""));
  }
  const bool alter = flags.action == ConfigsAction::kAlter;
  if (alter && flags.add_configs.empty() && flags.delete_configs.empty()) {
    return absl::InvalidArgumentError("--alter requires --add-config or --delete-config");
  }
  if (!alter && (!flags.add_configs.empty() || !flags.delete_configs.empty())) {
    return absl::InvalidArgumentError(
        "--add-config and --delete-config are valid only with --alter");
  }
  if (alter && flags.all) return absl::InvalidArgumentError("--all is valid only with --describe");
  for (const auto& [key, value] : flags.add_configs) {
    for (const std::string& deleted : flags.delete_configs) {
      if (key == deleted) {
        return absl::InvalidArgumentError(
            absl::StrCat("config ", key, " is in both --add-config and --delete-config"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<client::AdminClientOptions> ClientOptions(const ConfigsFlags& flags) {
  client::Properties properties;
  if (!flags.bootstrap_server.empty()) properties["bootstrap.servers"] = flags.bootstrap_server;
  if (!flags.command_config.empty()) {
    RETURN_IF_ERROR(MergePropertiesFile("--command-config", flags.command_config, properties));
  }
  if (properties.count("bootstrap.servers") == 0) {
    return absl::InvalidArgumentError("--bootstrap-server is required");
  }
  return client::AdminClientOptionsFromProperties(properties);
}

// "topic T", "broker 1" or "brokers in the cluster" as kafka-configs names the entity.
std::string EntityText(const client::ConfigResource& resource) {
  if (resource.type == ConfigResourceType::kTopic) return absl::StrCat("topic ", resource.name);
  if (resource.name.empty()) return "brokers in the cluster";
  return absl::StrCat("broker ", resource.name);
}

// Runs the parsed action; errors are Kafka or network failures.
absl::Status RunAction(const ConfigsFlags& flags, client::AdminClient& admin) {
  if (flags.action == ConfigsAction::kDescribe) {
    std::vector<client::ConfigResource> resources = {flags.resource};
    if (flags.every_entity) {
      resources.clear();
      if (flags.resource.type == ConfigResourceType::kTopic) {
        ASSIGN_OR_RETURN(const std::vector<std::string> topics, admin.ListTopics());
        for (const std::string& topic : topics) resources.push_back({flags.resource.type, topic});
      } else {
        ASSIGN_OR_RETURN(const client::ClusterDescription cluster, admin.DescribeCluster());
        for (const client::ClusterBroker& broker : cluster.brokers) {
          resources.push_back({flags.resource.type, absl::StrCat(broker.id)});
        }
      }
    }
    std::vector<std::string> json;
    for (const client::ConfigResource& resource : resources) {
      ASSIGN_OR_RETURN(const std::vector<client::ConfigEntry> entries,
                       admin.DescribeConfigs(resource));
      if (flags.output == OutputFormat::kJson) {
        json.push_back(FormatConfigsJson(resource, flags.all, entries));
      } else {
        std::cout << FormatConfigs(resource, flags.all, entries);
      }
    }
    if (flags.output == OutputFormat::kJson) {
      // One object for a named entity; an array when describing them all.
      std::cout << (flags.every_entity ? absl::StrCat("[", absl::StrJoin(json, ","), "]")
                                       : json.front())
                << "\n";
    }
    return absl::OkStatus();
  }
  std::vector<client::AlterConfigOp> ops;
  for (const auto& [key, value] : flags.add_configs) {
    ops.push_back({.name = key, .op = client::AlterConfigOpType::kSet, .value = value});
  }
  for (const std::string& key : flags.delete_configs) {
    ops.push_back({.name = key, .op = client::AlterConfigOpType::kDelete, .value = ""});
  }
  RETURN_IF_ERROR(admin.IncrementalAlterConfigs(flags.resource, ops));
  const bool cluster_default =
      flags.resource.type == ConfigResourceType::kBroker && flags.resource.name.empty();
  std::cout << "Completed updating " << (cluster_default ? "default " : "") << "config for "
            << EntityText(flags.resource) << ".\n";
  return absl::OkStatus();
}

}  // namespace

const char* ConfigsUsage() { return kUsage; }

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseAddConfig(
    const std::string& value) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  for (char c : value) {
    if (c == '[') ++depth;
    if (c == ']' && depth > 0) --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(std::move(current));
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& part : parts) {
    const size_t eq = part.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--add-config: expected key=value, got \"", part, "\""));
    }
    std::string v = part.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '[' && v.back() == ']') v = v.substr(1, v.size() - 2);
    out.emplace_back(part.substr(0, eq), std::move(v));
  }
  return out;
}

absl::StatusOr<ConfigsFlags> ParseConfigsFlags(const std::vector<std::string>& args) {
  ConfigsFlags flags;
  bool have_action = false, entity_type = false, entity_name = false, entity_default = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") return ConfigsFlags{};
    if (arg == "--describe") {
      RETURN_IF_ERROR(SetAction(flags, have_action, ConfigsAction::kDescribe, arg));
    } else if (arg == "--alter") {
      RETURN_IF_ERROR(SetAction(flags, have_action, ConfigsAction::kAlter, arg));
    } else if (arg == "--all") {
      flags.all = true;
    } else if (arg == "--entity-default") {
      entity_default = true;
      flags.resource.name.clear();
    } else if (absl::StartsWith(arg, "--")) {
      const size_t eq = arg.find('=');
      const std::string name = arg.substr(0, eq);
      std::string value;
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
      }
      RETURN_IF_ERROR(SetValue(flags, name, value, entity_type, entity_name));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
  }
  if (!have_action) return absl::InvalidArgumentError("one of --describe or --alter is required");
  // kafka-configs --describe without an entity describes every entity of the type.
  flags.every_entity = flags.action == ConfigsAction::kDescribe && !entity_name && !entity_default;
  RETURN_IF_ERROR(CheckCombination(flags, entity_type, entity_name, entity_default));
  return flags;
}

namespace {

// The source of the entries `resource` sets itself: without --all, Kafka's ConfigCommand shows
// only those.
client::ConfigSource OwnSource(const client::ConfigResource& resource) {
  if (resource.type == ConfigResourceType::kBroker) {
    return resource.name.empty() ? client::ConfigSource::kDynamicDefaultBrokerConfig
                                 : client::ConfigSource::kDynamicBrokerConfig;
  }
  return client::ConfigSource::kDynamicTopicConfig;
}

}  // namespace

std::string FormatConfigsJson(const client::ConfigResource& resource, bool all,
                              const std::vector<client::ConfigEntry>& entries) {
  const client::ConfigSource own = OwnSource(resource);
  Json configs = Json::Array();
  for (const client::ConfigEntry& entry : entries) {
    if (!all && entry.source != own) continue;
    configs.Push(Json::Object()
                     .Set("name", Json::String(entry.name))
                     .Set("value", entry.value ? Json::String(*entry.value) : Json())
                     .Set("source", Json::String(client::ConfigSourceName(entry.source)))
                     .Set("read_only", Json::Bool(entry.read_only))
                     .Set("sensitive", Json::Bool(entry.sensitive)));
  }
  return Json::Object()
      .Set("entity_type",
           Json::String(resource.type == ConfigResourceType::kTopic ? "topics" : "brokers"))
      .Set("entity_name", resource.name.empty() && resource.type == ConfigResourceType::kBroker
                              ? Json()
                              : Json::String(resource.name))
      .Set("configs", std::move(configs))
      .Dump();
}

std::string FormatConfigs(const client::ConfigResource& resource, bool all,
                          const std::vector<client::ConfigEntry>& entries) {
  const client::ConfigSource own = OwnSource(resource);
  const bool cluster_default =
      resource.type == ConfigResourceType::kBroker && resource.name.empty();
  std::string out = absl::StrCat(all               ? "All"
                                 : cluster_default ? "Default"
                                                   : "Dynamic",
                                 " configs for ", EntityText(resource), " are:\n");
  for (const client::ConfigEntry& entry : entries) {
    if (!all && entry.source != own) continue;
    absl::StrAppend(&out, "  ", entry.name, "=", entry.value.value_or("null"));
    if (all) {
      absl::StrAppend(&out, " sensitive=", entry.sensitive ? "true" : "false",
                      " source=", client::ConfigSourceName(entry.source));
    }
    out += "\n";
  }
  return out;
}

int RunConfigsCommand(const std::vector<std::string>& args, Clock& clock) {
  absl::StatusOr<ConfigsFlags> flags = ParseConfigsFlags(args);
  if (!flags.ok()) {
    std::cerr << "karst configs: " << flags.status().message() << "\n\n" << kUsage;
    return kExitUsage;
  }
  if (flags->action == ConfigsAction::kHelp) {
    std::cout << kUsage;
    return kExitOk;
  }
  absl::StatusOr<client::AdminClientOptions> options = ClientOptions(*flags);
  if (!options.ok()) {
    std::cerr << "karst configs: " << options.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<client::AdminClient>> admin =
      client::AdminClient::Create(*std::move(options), clock);
  absl::Status status = admin.ok() ? RunAction(*flags, **admin) : admin.status();
  if (!status.ok()) {
    std::cerr << "karst configs: " << status.message() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace karst::cli
