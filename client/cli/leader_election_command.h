// `karst leader-election`: kafka-leader-election over client::AdminClient::ElectLeaders, for
// one partition (--topic/--partition), a JSON file of partitions or every partition. Parsing
// and formatting are pure; RunLeaderElectionCommand does the I/O. Called from main's thread.
#ifndef KARST_CLIENT_CLI_LEADER_ELECTION_COMMAND_H_
#define KARST_CLIENT_CLI_LEADER_ELECTION_COMMAND_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/admin_client.h"
#include "client/cli/admin_flags.h"
#include "common/clock.h"

namespace karst::cli {

struct LeaderElectionFlags {
  bool help = false;
  std::string bootstrap_server;
  std::string command_config;
  client::ElectionType type = client::ElectionType::kPreferred;  // --election-type: REQUIRED.
  // --topic T --partition N; unset with --all-topic-partitions or --path-to-json-file.
  std::optional<client::TopicPartition> partition;
  std::string path_to_json_file;  // --path-to-json-file
  bool all_topic_partitions = false;
  OutputFormat output = OutputFormat::kText;
};

const char* LeaderElectionUsage();

// --election-type is PREFERRED or UNCLEAN (any case); exactly one of --topic with --partition,
// --all-topic-partitions or --path-to-json-file. Errors: kInvalidArgument naming the flag.
absl::StatusOr<LeaderElectionFlags> ParseLeaderElectionFlags(const std::vector<std::string>& args);

// kafka-leader-election's report: "Successfully completed leader election (PREFERRED) for
// partitions t-0, t-1", "Valid replica already elected for partitions t-2" (ELECTION_NOT_NEEDED,
// not a failure) and "Error completing leader election (PREFERRED) for partition: t-3: <msg>".
// JSON: {"election_type":"PREFERRED","succeeded":["t-0"],"noop":["t-2"],
// "failed":[{"partition":"t-3","error":"..."}]}. Sets `failures` to the failed count.
std::string FormatElection(client::ElectionType type,
                           const std::map<client::TopicPartition, absl::Status>& results,
                           OutputFormat output, int& failures);

// Returns kExitOk, kExitFailure (Kafka or network error, a partition failed) or kExitUsage.
int RunLeaderElectionCommand(const std::vector<std::string>& args, Clock& clock);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_LEADER_ELECTION_COMMAND_H_
