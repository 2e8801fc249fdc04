// `karst topics`: kafka-topics with Kafka's flag names, over client::AdminClient. Flag parsing
// and the --describe text are pure functions; RunTopicsCommand does the I/O, printing results
// to stdout and errors to stderr. Called from main's thread.
#ifndef KARST_CLIENT_CLI_TOPICS_COMMAND_H_
#define KARST_CLIENT_CLI_TOPICS_COMMAND_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/admin_client.h"
#include "client/cli/console_flags.h"
#include "common/clock.h"

namespace karst::cli {

enum class TopicsAction { kCreate, kList, kDescribe, kDelete, kAlter, kHelp };

struct TopicsFlags {
  TopicsAction action = TopicsAction::kHelp;
  std::string bootstrap_server;  // --bootstrap-server; may come from --command-config instead.
  std::string command_config;    // --command-config: a client .properties file.
  std::string topic;             // --topic: an exact name.
  std::optional<int32_t> partitions;
  std::optional<int16_t> replication_factor;
  std::map<std::string, std::string> configs;  // --config k=v, repeatable.
  bool if_not_exists = false;
  bool if_exists = false;
  OutputFormat output = OutputFormat::kText;  // --output text|json (--list, --describe).
};

// The usage text of `karst topics`.
const char* TopicsUsage();

// Parses the flags after `karst topics` ("--flag value" or "--flag=value"). Exactly one of
// --create, --list, --describe, --delete, --alter (or --help). Errors: kInvalidArgument naming
// the bad flag or combination, e.g. "--create requires --topic".
absl::StatusOr<TopicsFlags> ParseTopicsFlags(const std::vector<std::string>& args);

// kafka-topics' --describe text for one topic: a header line, then one tab-indented line per
// partition, each ending in '\n'. `configs` are the topic's overridden configs.
std::string FormatTopicDescription(const client::TopicDescription& topic,
                                   const std::map<std::string, std::string>& configs);

// The topics as one JSON object: {"topics": [{"name", "topic_id", "partition_count",
// "replication_factor", "configs": {k: v}, "partitions": [{"partition", "leader" (null for
// none), "replicas", "isr"}]}]}. `configs` holds each topic's overridden configs by name.
std::string FormatTopicsJson(
    const std::vector<client::TopicDescription>& topics,
    const std::map<std::string, std::map<std::string, std::string>>& configs);

// Runs `karst topics <args>` and returns the exit code: kExitOk, kExitFailure for Kafka or
// network errors (the message on stderr), kExitUsage for bad flags or client properties.
int RunTopicsCommand(const std::vector<std::string>& args, Clock& clock);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_TOPICS_COMMAND_H_
