// `karst configs`: kafka-configs with Kafka's flag names for topic and broker configs, over
// client::AdminClient. Flag parsing, --add-config splitting and the --describe text are pure
// functions; RunConfigsCommand does the I/O, printing results to stdout and errors to stderr.
// Called from main's thread.
#ifndef KARST_CLIENT_CLI_CONFIGS_COMMAND_H_
#define KARST_CLIENT_CLI_CONFIGS_COMMAND_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "client/admin_client.h"
#include "client/cli/console_flags.h"
#include "common/clock.h"

namespace karst::cli {

enum class ConfigsAction { kDescribe, kAlter, kHelp };

struct ConfigsFlags {
  ConfigsAction action = ConfigsAction::kHelp;
  std::string bootstrap_server;  // --bootstrap-server; may come from --command-config instead.
  std::string command_config;    // --command-config: a client .properties file.
  // --entity-type and --entity-name; the name is "" for --entity-default (brokers only).
  client::ConfigResource resource;
  bool all = false;  // --all: every entry of --describe, not only the dynamic ones.
  OutputFormat output = OutputFormat::kText;  // --output text|json (--describe).
  // --describe without --entity-name or --entity-default: every topic, or every broker.
  bool every_entity = false;
  std::vector<std::pair<std::string, std::string>> add_configs;  // --add-config, in order.
  std::vector<std::string> delete_configs;                       // --delete-config, in order.
};

// The usage text of `karst configs`.
const char* ConfigsUsage();

// Splits an --add-config value "k1=v1,k2=[a,b]" as kafka-configs does: on commas outside
// square brackets, each part at its first '='; brackets around a value are dropped ("a,b").
// Errors: kInvalidArgument for a part without "key=".
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseAddConfig(
    const std::string& value);

// Parses the flags after `karst configs` ("--flag value" or "--flag=value"). Exactly one of
// --describe or --alter (or --help); --entity-type topics|brokers and one of --entity-name or
// (brokers only) --entity-default; a broker name is an integer id; --alter needs --add-config or
// --delete-config. Errors: kInvalidArgument naming the bad flag or combination.
absl::StatusOr<ConfigsFlags> ParseConfigsFlags(const std::vector<std::string>& args);

// kafka-configs' --describe text: "Dynamic configs for topic T are:" (or "All configs for ...",
// "Default configs for brokers in the cluster are:"), then "  key=value" per entry whose source
// is the resource's own dynamic one, or with --all every entry as
// "  key=value sensitive=false source=DEFAULT_CONFIG". Sensitive values print as "null".
std::string FormatConfigs(const client::ConfigResource& resource, bool all,
                          const std::vector<client::ConfigEntry>& entries);

// The same entries as FormatConfigs as one JSON object: {"entity_type", "entity_name" (null for
// the cluster default), "configs": [{"name", "value", "source", "read_only", "sensitive"}]}.
std::string FormatConfigsJson(const client::ConfigResource& resource, bool all,
                              const std::vector<client::ConfigEntry>& entries);

// Runs `karst configs <args>` and returns the exit code: kExitOk, kExitFailure for Kafka or
// network errors (the message on stderr), kExitUsage for bad flags or client properties.
int RunConfigsCommand(const std::vector<std::string>& args, Clock& clock);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_CONFIGS_COMMAND_H_
