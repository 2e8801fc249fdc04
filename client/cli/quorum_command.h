// `karst quorum`: kafka-metadata-quorum's `describe --status` and `describe --replication` over
// client::AdminClient::DescribeQuorum. Flag parsing and both outputs (Kafka's text layout, or
// JSON) are pure functions; RunQuorumCommand does the I/O, printing results to stdout and errors
// to stderr. Called from main's thread.
#ifndef KARST_CLIENT_CLI_QUORUM_COMMAND_H_
#define KARST_CLIENT_CLI_QUORUM_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/admin_client.h"
#include "common/clock.h"

namespace karst::cli {

enum class QuorumAction { kStatus, kReplication, kHelp };
enum class QuorumOutput { kTable, kJson };

struct QuorumFlags {
  QuorumAction action = QuorumAction::kHelp;
  std::string bootstrap_server;  // --bootstrap-server; may come from --command-config instead.
  std::string command_config;    // --command-config: a client .properties file.
  QuorumOutput output = QuorumOutput::kTable;  // --output table|json.
};

// The usage text of `karst quorum`.
const char* QuorumUsage();

// Parses the words after `karst quorum` ("--flag value" or "--flag=value", in any order):
// `describe` with exactly one of --status or --replication, or `status` alone (a shortcut for
// `describe --status`); --output table|json. Errors: kInvalidArgument naming the bad flag or
// combination (--bootstrap-controller says why it is not offered).
absl::StatusOr<QuorumFlags> ParseQuorumFlags(const std::vector<std::string>& args);

// `describe --status`: kafka-metadata-quorum's lines ("ClusterId:              <id>", LeaderId,
// LeaderEpoch, HighWatermark, MaxFollowerLag, MaxFollowerLagTimeMs, CurrentVoters: [1,2,3],
// CurrentObservers: []), or one JSON object with the same facts in camelCase.
// MaxFollowerLag is the leader's log end minus the lowest voter's; MaxFollowerLagTimeMs the
// leader's last caught-up time minus that voter's (0 when it is the leader, -1 if unknown).
std::string FormatQuorumStatus(const client::QuorumInfo& quorum, QuorumOutput output);

// `describe --replication`: a row per replica, the leader first, then the other voters and
// the observers: NodeId, LogEndOffset, Lag (behind the leader's log end), LastFetchTimestamp,
// LastCaughtUpTimestamp (ms since the Unix epoch, -1 unknown), Status (Leader, Follower,
// Observer). Columns are padded to their widest value and separated by tabs, as Kafka's
// ToolsUtils.prettyPrintTable does; or a JSON array of objects.
std::string FormatQuorumReplication(const client::QuorumInfo& quorum, QuorumOutput output);

// Runs `karst quorum <args>` and returns the exit code: kExitOk, kExitFailure for Kafka or
// network errors (the message on stderr), kExitUsage for bad flags or client properties.
int RunQuorumCommand(const std::vector<std::string>& args, Clock& clock);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_QUORUM_COMMAND_H_
