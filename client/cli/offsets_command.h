// `karst offsets`: kafka-get-offsets (GetOffsetShell) for one topic: each partition's
// earliest, latest or max-timestamp offset, or the first offset at a timestamp, over
// client::AdminClient::ListOffsets. Parsing and formatting are pure; RunOffsetsCommand does
// the I/O. Called from main's thread.
#ifndef KARST_CLIENT_CLI_OFFSETS_COMMAND_H_
#define KARST_CLIENT_CLI_OFFSETS_COMMAND_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/admin_client.h"
#include "client/cli/admin_flags.h"
#include "common/clock.h"

namespace karst::cli {

struct OffsetsFlags {
  bool help = false;
  std::string bootstrap_server;
  std::string command_config;
  std::string topic;                // --topic: REQUIRED.
  std::vector<int32_t> partitions;  // --partitions 0,1; empty: every partition.
  client::OffsetSpec spec;          // --time: latest by default.
  OutputFormat output = OutputFormat::kText;
};

const char* OffsetsUsage();

// --time: earliest, latest, max-timestamp, -2, -1, -3, or a timestamp in ms (>= 0).
absl::StatusOr<client::OffsetSpec> ParseOffsetTime(const std::string& value);

// Errors: kInvalidArgument naming the bad flag; --topic is required.
absl::StatusOr<OffsetsFlags> ParseOffsetsFlags(const std::vector<std::string>& args);

// Text: "topic:partition:offset" per partition without an error, in partition order (a
// timestamp past every record prints an empty offset, as GetOffsetShell does). JSON:
// {"offsets":[{"topic":..,"partition":..,"offset":..,"timestamp":..,"leader_epoch":..}]},
// failed partitions with "error" instead. `errors` receives "t-0: <message>" per failure.
std::string FormatOffsets(const std::map<client::TopicPartition, client::ListedOffset>& offsets,
                          OutputFormat output, std::vector<std::string>& errors);

// Returns kExitOk, kExitFailure (Kafka or network error, any partition failed) or kExitUsage.
int RunOffsetsCommand(const std::vector<std::string>& args, Clock& clock);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_OFFSETS_COMMAND_H_
