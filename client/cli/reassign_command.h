// `karst reassign`: kafka-reassign-partitions over client::AdminClient's KIP-455 calls:
// --generate a plan from --topics-to-move-json-file and --broker-list, then --execute, --verify
// or --cancel a --reassignment-json-file. Parsing and formatting are pure;
// RunReassignCommand does the I/O. Called from main's thread.
#ifndef KARST_CLIENT_CLI_REASSIGN_COMMAND_H_
#define KARST_CLIENT_CLI_REASSIGN_COMMAND_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/admin_client.h"
#include "client/cli/admin_flags.h"
#include "client/cli/admin_json.h"
#include "common/clock.h"

namespace karst::cli {

enum class ReassignAction { kGenerate, kExecute, kVerify, kCancel, kHelp };

struct ReassignFlags {
  ReassignAction action = ReassignAction::kHelp;
  std::string bootstrap_server;
  std::string command_config;
  std::string reassignment_json_file;    // --execute, --verify, --cancel: REQUIRED.
  std::string topics_to_move_json_file;  // --generate: REQUIRED.
  std::vector<int32_t> broker_list;      // --generate: REQUIRED.
  OutputFormat output = OutputFormat::kText;
};

const char* ReassignUsage();

// Exactly one action; --generate takes --topics-to-move-json-file and --broker-list, the
// others --reassignment-json-file. Errors: kInvalidArgument naming the flag or combination.
absl::StatusOr<ReassignFlags> ParseReassignFlags(const std::vector<std::string>& args);

// --generate's text: "Current partition replica assignment\n<json>\n\nProposed partition
// reassignment configuration\n<json>\n"; JSON: {"current":<json>,"proposed":<json>}.
std::string FormatGenerate(const ReplicaAssignment& current, const ReplicaAssignment& proposed,
                           OutputFormat output);

// --verify's text, per partition of `target`: "Reassignment of partition t-0 is still in
// progress." when `ongoing` lists it, "... is completed." when its replicas are the target,
// else "There is no active reassignment of partition t-0, but replica set is [1] rather than
// [2]." JSON: {"partitions":[{"topic","partition","status":"in_progress"|"completed"|"failed"}]}.
std::string FormatVerify(
    const ReplicaAssignment& target, const ReplicaAssignment& current,
    const std::map<client::TopicPartition, client::PartitionReassignment>& ongoing,
    OutputFormat output);

// Returns kExitOk, kExitFailure (Kafka or network error, a partition refused) or kExitUsage
// (bad flags, an unreadable or malformed JSON file).
int RunReassignCommand(const std::vector<std::string>& args, Clock& clock);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_REASSIGN_COMMAND_H_
