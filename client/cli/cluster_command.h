// `karst cluster up|down|status`: parses the subcommand's flags, finds karstd and drives a
// LocalCluster. Called from main's thread; prints to stdout and errors to stderr.
#ifndef KARST_CLIENT_CLI_CLUSTER_COMMAND_H_
#define KARST_CLIENT_CLI_CLUSTER_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"

namespace karst::cli {

// Exit codes of every karst command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
// `karst cluster status`: the cluster exists but some node is not running or not ready.
inline constexpr int kExitNotReady = 3;

// The usage text of `karst cluster`.
const char* ClusterUsage();

// Runs `karst cluster <args>` (args[0] is up, down or status) and returns the exit code.
int RunClusterCommand(const std::vector<std::string>& args, Clock& clock);

// The karstd binary: next to the running karst executable (bin/karstd beside bin/karst), else
// $KARSTD, else the first karstd in $PATH. Errors: kNotFound saying where it looked.
absl::StatusOr<std::string> FindKarstd();

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_CLUSTER_COMMAND_H_
