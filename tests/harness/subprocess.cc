#include "tests/harness/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "tests/harness/scoped_fd.h"

extern char** environ;

namespace karst::testing {
namespace {

// Runs in the forked child: only async-signal-safe calls until execve. On failure the errno
// goes to `error_fd` (close-on-exec, so a successful exec closes it with nothing written).
[[noreturn]] void ExecChild(char* const* argv, char* const* env, int output_fd, int error_fd,
                            pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died between fork and prctl; then no signal would ever come.
  if (getppid() != parent) _exit(127);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(output_fd, STDOUT_FILENO) < 0 ||
      dup2(output_fd, STDERR_FILENO) < 0) {
    int err = errno;
    (void)!write(error_fd, &err, sizeof(err));
    _exit(127);
  }
  execve(argv[0], argv, env);
  int err = errno;
  (void)!write(error_fd, &err, sizeof(err));
  _exit(127);
}

// A null-terminated array pointing into `strings`, for execve.
std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (const std::string& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// Reads the exec-error pipe after fork: an empty read means exec succeeded.
absl::Status CheckExec(int error_fd, pid_t pid, const std::string& program) {
  int err = 0;
  ssize_t n;
  do {
    n = read(error_fd, &err, sizeof(err));
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return absl::OkStatus();
  int ignored;
  waitpid(pid, &ignored, 0);
  return absl::InternalError(absl::StrCat("exec ", program, ": ", strerror(err)));
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (term_signal != 0) {
    return absl::StrCat("killed by signal ", term_signal, " (", strsignal(term_signal), ")");
  }
  return absl::StrCat("exit code ", exit_code);
}

ExitStatus ExitStatus::FromWaitStatus(int wait_status) {
  ExitStatus status;
  if (WIFEXITED(wait_status)) {
    status.exit_code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    status.term_signal = WTERMSIG(wait_status);
  }
  return status;
}

std::vector<std::string> CurrentEnvironment() {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) env.emplace_back(*entry);
  return env;
}

absl::StatusOr<pid_t> SpawnProcess(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& env, int output_fd) {
  if (argv.empty()) return absl::InvalidArgumentError("spawn: empty argv");
  if (access(argv[0].c_str(), X_OK) != 0) {
    return absl::NotFoundError(
        absl::StrCat("spawn ", argv[0], ": not executable: ", strerror(errno)));
  }
  // Built before fork: the child must not allocate.
  std::vector<char*> c_argv = CStrings(argv);
  std::vector<char*> c_env = CStrings(env);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("spawn ", argv[0], ": pipe: ", strerror(errno)));
  }
  ScopedFd error_read(pipe_fds[0]);
  ScopedFd error_write(pipe_fds[1]);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("spawn ", argv[0], ": fork: ", strerror(errno)));
  }
  if (pid == 0) ExecChild(c_argv.data(), c_env.data(), output_fd, error_write.get(), parent);
  error_write.Reset(-1);
  RETURN_IF_ERROR(CheckExec(error_read.get(), pid, argv[0]));
  return pid;
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(
        absl::StrCat("run ", argv.empty() ? "" : argv[0], ": pipe: ", strerror(errno)));
  }
  ScopedFd out_read(pipe_fds[0]);
  ScopedFd out_write(pipe_fds[1]);
  ASSIGN_OR_RETURN(const pid_t pid, SpawnProcess(argv, CurrentEnvironment(), out_write.get()));
  out_write.Reset(-1);  // So the read below sees EOF when the child exits.
  CommandResult result;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(out_read.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buffer, static_cast<size_t>(n));
  }
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) {
      return absl::InternalError(
          absl::StrCat("run ", absl::StrJoin(argv, " "), ": waitpid: ", strerror(errno)));
    }
  }
  result.exit_status = ExitStatus::FromWaitStatus(wait_status);
  return result;
}

}  // namespace karst::testing
