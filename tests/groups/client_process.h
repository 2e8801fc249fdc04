// Helpers for the consumer group tests (issue #9): runfiles paths from the environment, a
// cluster's options, and running client programs (members/*, group_tool.py, mixed_group.py)
// to completion under timeout(1). Thread-compatible; used from a test's main thread.
#ifndef KARST_TESTS_GROUPS_CLIENT_PROCESS_H_
#define KARST_TESTS_GROUPS_CLIENT_PROCESS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
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

// A client program running in the background, its output going to a file, for tests that act
// on the cluster while it runs. The destructor SIGKILLs and reaps it if it still runs.
class BackgroundClient {
 public:
  // Starts `argv` (argv[0] absolute) with the test's environment plus `env`, output to
  // `output_path`. Errors: SpawnProcess's; kInternal if the file cannot be opened.
  static absl::StatusOr<std::unique_ptr<BackgroundClient>> Start(
      std::string name, const std::vector<std::string>& argv, const std::vector<std::string>& env,
      const std::string& output_path);
  ~BackgroundClient();
  BackgroundClient(const BackgroundClient&) = delete;
  BackgroundClient& operator=(const BackgroundClient&) = delete;

  // Waits until it exits and prints its output as RunClient does. Errors: kDeadlineExceeded
  // after `timeout` (it is then killed).
  absl::StatusOr<ExitStatus> Wait(absl::Duration timeout);
  // True until it has exited (reaping it then).
  bool IsRunning();

 private:
  BackgroundClient(std::string name, pid_t pid, std::string output_path);

  std::string name_;
  pid_t pid_;
  std::string output_path_;
  std::optional<ExitStatus> exit_status_;
};

// Where a test keeps files worth reading after it ran: $TEST_UNDECLARED_OUTPUTS_DIR/`name`
// (else $TEST_TMPDIR/`name`), created.
std::string OutputDir(const std::string& name);

}  // namespace karst::testing

#endif  // KARST_TESTS_GROUPS_CLIENT_PROCESS_H_
