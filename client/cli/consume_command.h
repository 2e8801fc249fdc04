// `karst consume`: kafka-console-consumer with Kafka's flag names, over client::Consumer
// (assign()-based; --group arrives with the groups issue). Flag parsing and record formatting
// are pure functions; RunConsumeCommand prints one record per line on stdout. Called from
// main's thread.
#ifndef KARST_CLIENT_CLI_CONSUME_COMMAND_H_
#define KARST_CLIENT_CLI_CONSUME_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/consumer.h"
#include "common/clock.h"

namespace karst::cli {

// kafka-console-consumer's DefaultMessageFormatter properties (--property k=v).
struct FormatterOptions {
  bool print_timestamp = false;
  bool print_partition = false;
  bool print_offset = false;
  bool print_headers = false;
  bool print_key = false;
  bool print_value = true;
  std::string key_separator = "\t";
  std::string line_separator = "\n";
  std::string headers_separator = ",";
  std::string headers_key_separator = ":";
  std::string null_literal = "null";
};

struct ConsumeFlags {
  bool help = false;
  std::string topic;
  std::string include;  // --include: a regex of topics (with --group), instead of --topic.
  bool group = false;   // --group (group.id in consumer_properties): Subscribe, not Assign.
  std::optional<int32_t> partition;
  client::StartOffset start;  // --offset / --from-beginning; default latest
  std::optional<int64_t> max_messages;
  std::optional<int64_t> timeout_ms;  // Exit when no record arrives for this long.
  FormatterOptions format;
  client::Properties consumer_properties;
};

const char* ConsumeUsage();

// Errors: kInvalidArgument naming the bad flag or property (e.g. --offset without --partition).
absl::StatusOr<ConsumeFlags> ParseConsumeFlags(const std::vector<std::string>& args);

// The DefaultMessageFormatter text of one record, line separator included:
// [CreateTime:ts SEP][Partition:p SEP][Offset:o SEP][headers SEP][key SEP]value
std::string FormatConsoleRecord(const client::ConsumerRecord& record,
                                const FormatterOptions& options);

// Runs `karst consume <args>`: exit 0 after --max-messages records or --timeout-ms without
// one ("Processed a total of N messages" on stderr), 1 for a Kafka or network error, 2 usage.
int RunConsumeCommand(const std::vector<std::string>& args, Clock& clock);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_CONSUME_COMMAND_H_
