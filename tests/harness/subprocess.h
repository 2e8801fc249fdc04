// Fork/exec helpers shared by Node (long-running karstd processes) and NetworkCutter (short
// `nft` commands). Functions are thread-safe: they keep no state, and the child runs only
// async-signal-safe calls between fork and exec.
#ifndef KARST_TESTS_HARNESS_SUBPROCESS_H_
#define KARST_TESTS_HARNESS_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace karst::testing {

// How a child process ended.
struct ExitStatus {
  // Exit code when the process called exit(); -1 when a signal killed it.
  int exit_code = -1;
  // Number of the signal that killed the process; 0 when it exited.
  int term_signal = 0;

  bool Success() const { return exit_code == 0; }
  // "exit code 3" or "killed by signal 9 (Killed)".
  std::string ToString() const;
  // Decodes a status word from waitpid(). REQUIRES: WIFEXITED or WIFSIGNALED.
  static ExitStatus FromWaitStatus(int wait_status);
};

// The calling process's environment, as "NAME=value" entries.
std::vector<std::string> CurrentEnvironment();

// Starts argv[0] (an absolute or cwd-relative path, not searched in PATH) with `argv` and the
// environment `env` ("NAME=value" entries), stdin from /dev/null, and stdout and stderr both
// written to `output_fd` (the caller keeps ownership of it). The child gets SIGKILL when the
// calling thread exits (PR_SET_PDEATHSIG), so a crashed test leaves no orphans; start nodes from
// the test's main thread. Errors: kInvalidArgument for an empty argv; kNotFound if argv[0] is not
// executable; kInternal if fork or exec fails (the exec errno is reported).
absl::StatusOr<pid_t> SpawnProcess(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& env, int output_fd);

struct CommandResult {
  ExitStatus exit_status;
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv (with the current environment) to completion and captures its output. Blocks until the
// child exits, so use it only for commands that finish promptly (nft). Errors: as SpawnProcess, or
// kInternal if reading the output or waiting fails. A non-zero exit is not an error: check
// exit_status.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv);

}  // namespace karst::testing

#endif  // KARST_TESTS_HARNESS_SUBPROCESS_H_
