// Helpers for the consumer group tests (issue #9): runfiles paths from the environment, a
// cluster's options, and running client programs (members/*, group_tool.py, mixed_group.py)
// to completion under timeout(1). Thread-compatible; used from a test's main thread.
#ifndef KARST_TESTS_GROUPS_CLIENT_PROCESS_H_
#define KARST_TESTS_GROUPS_CLIENT_PROCESS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/harness/cluster.h"
#include "tests/harness/subprocess.h"

namespace karst::testing {

// The absolute path of a runfile named by environment variable `variable` (set by
// BUILD.bazel); "" if unset.
std::string RunfilePath(const char* variable);

// Three combined nodes with replicated topics and __consumer_offsets (replication factor 3,
// min.insync.replicas 2) and a quick first rebalance. `extra` wins over these properties.
ClusterOptions GroupClusterOptions(std::map<std::string, std::string> extra = {});

// Runs `argv` (argv[0] absolute) with `env` ("NAME=value") added, killed after `timeout_s`
// seconds; prints "=== name (seconds, exit status)" and the output. Errors: RunCommand's.
absl::StatusOr<CommandResult> RunClient(const std::string& name,
                                        const std::vector<std::string>& argv,
                                        std::vector<std::string> env = {}, int timeout_s = 120);

// Where a test keeps files worth reading after it ran: $TEST_UNDECLARED_OUTPUTS_DIR/`name`
// (else $TEST_TMPDIR/`name`), created.
std::string OutputDir(const std::string& name);

}  // namespace karst::testing

#endif  // KARST_TESTS_GROUPS_CLIENT_PROCESS_H_
