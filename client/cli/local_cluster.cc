#include "client/cli/local_cluster.h"

#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <fstream>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "client/cli/node_probe.h"
#include "common/status_macros.h"

extern char** environ;

namespace karst::cli {
namespace {

namespace fs = std::filesystem;

constexpr absl::Duration kProbeTimeout = absl::Seconds(1);
constexpr absl::Duration kPollInterval = absl::Milliseconds(100);
constexpr absl::Duration kStopTimeout = absl::Seconds(15);

// The state letter of /proc/<pid>/stat ('R', 'S', 'Z' for a zombie, ...), or '?' if gone.
char ProcState(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(stat, line);
  // "pid (comm) S ...": comm may hold spaces and parentheses, so find the last ')'.
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return '?';
  return line[paren + 2];
}

// A live (not zombie) process whose argv[0] names karstd: a pid file may outlive its process,
// and the kernel may have given the pid to something else since.
bool IsLiveKarstd(pid_t pid) {
  const char state = ProcState(pid);
  if (state == '?' || state == 'Z' || state == 'X') return false;
  std::ifstream cmdline(absl::StrCat("/proc/", pid, "/cmdline"));
  std::string argv0;
  std::getline(cmdline, argv0, '\0');
  return absl::StrContains(fs::path(argv0).filename().string(), "karstd");
}

std::optional<pid_t> ReadPid(const fs::path& path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  pid_t pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &pid) || pid <= 0) return std::nullopt;
  return pid;
}

absl::Status WriteFile(const fs::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::trunc);
  out << contents;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

// The environment without KARST_* entries: karstd reads KARST_<KEY> as configuration, and a
// developer's shell must not change the cluster's server.properties behind its back.
std::vector<std::string> ChildEnvironment() {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!absl::StartsWith(*entry, "KARST_")) env.emplace_back(*entry);
  }
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Runs in the forked child: only async-signal-safe calls until exec. Reports exec's errno
// through `error_fd` (close-on-exec, so a successful exec closes it silently).
[[noreturn]] void ExecChild(StartMode mode, int log_fd, int error_fd, char** argv, char** envp) {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  if (mode == StartMode::kDetached) {
    setsid();
  } else {
    // Its own process group keeps a terminal's Ctrl-C for karst, which stops the nodes in order.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
  }
  const int null_fd = open("/dev/null", O_RDONLY);
  dup2(null_fd, STDIN_FILENO);
  dup2(log_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  execve(argv[0], argv, envp);
  const int error = errno;
  (void)!write(error_fd, &error, sizeof(error));
  _exit(127);
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exited with code ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return absl::StrCat("was killed by signal ", WTERMSIG(status), " (",
                        strsignal(WTERMSIG(status)), ")");
  }
  return "exited";
}

}  // namespace

std::string TailFile(const fs::path& path, int max_lines) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(std::move(line));
    if (static_cast<int>(lines.size()) > max_lines) lines.pop_front();
  }
  std::string tail;
  for (const std::string& l : lines) absl::StrAppend(&tail, l, "\n");
  return tail;
}

LocalCluster::LocalCluster(ClusterLayout layout, Clock& clock, std::ostream& out)
    : layout_(std::move(layout)), clock_(clock), out_(out) {}

LocalCluster::~LocalCluster() {
  if (mode_ == StartMode::kForeground && !children_.empty()) Stop(kStopTimeout).IgnoreError();
}

std::map<int, pid_t> LocalCluster::RunningNodes() const {
  std::map<int, pid_t> running;
  for (const NodeLayout& node : layout_.nodes()) {
    const std::optional<pid_t> pid = ReadPid(node.PidPath());
    if (pid.has_value() && IsLiveKarstd(*pid)) running[node.node_id] = *pid;
  }
  return running;
}

absl::Status LocalCluster::StartNode(const NodeLayout& node, const std::string& karstd,
                                     StartMode mode) {
  std::vector<std::string> argv = {karstd, "--config",
                                   fs::absolute(node.ConfigPath()).lexically_normal().string()};
  std::vector<std::string> env = ChildEnvironment();
  std::vector<char*> c_argv = CStrings(argv);
  std::vector<char*> c_env = CStrings(env);
  const int log_fd = open(node.LogPath().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(
        absl::StrCat(node.Name(), ": open ", node.LogPath().string(), ": ", strerror(errno)));
  }
  const std::string banner = absl::StrCat("=== karst cluster up: starting ", node.Name(), ": ",
                                          absl::StrJoin(argv, " "), " ===\n");
  (void)!write(log_fd, banner.data(), banner.size());
  int error_pipe[2];
  if (pipe2(error_pipe, O_CLOEXEC) != 0) {
    close(log_fd);
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  const pid_t pid = fork();
  if (pid == 0) ExecChild(mode, log_fd, error_pipe[1], c_argv.data(), c_env.data());
  const int fork_errno = errno;
  close(log_fd);
  close(error_pipe[1]);
  if (pid < 0) {
    close(error_pipe[0]);
    return absl::InternalError(absl::StrCat(node.Name(), ": fork: ", strerror(fork_errno)));
  }
  int exec_errno = 0;
  const ssize_t n = read(error_pipe[0], &exec_errno, sizeof(exec_errno));
  close(error_pipe[0]);
  if (n == sizeof(exec_errno)) {
    waitpid(pid, nullptr, 0);
    return absl::InternalError(
        absl::StrCat(node.Name(), ": cannot run ", karstd, ": ", strerror(exec_errno)));
  }
  children_[node.node_id] = pid;
  return WriteFile(node.PidPath(), absl::StrCat(pid, "\n"));
}

absl::Status LocalCluster::Start(const std::string& karstd, StartMode mode,
                                 absl::Duration timeout) {
  mode_ = mode;
  absl::Status status = WriteFile(layout_.BootstrapPath(), layout_.BootstrapServers() + "\n");
  for (const NodeLayout& node : layout_.nodes()) {
    if (!status.ok()) break;
    status = StartNode(node, karstd, mode);
  }
  if (status.ok()) status = WaitReady(timeout);
  if (!status.ok() && !children_.empty()) {
    out_ << "stopping the nodes started so far\n";
    Stop(kStopTimeout).IgnoreError();
  }
  return status;
}

absl::Status LocalCluster::CheckReady(const NodeLayout& node, absl::Duration timeout) {
  RETURN_IF_ERROR(CheckHealthz(node.address, node.admin_port, timeout, clock_));
  RETURN_IF_ERROR(CheckReadyz(node.address, node.admin_port, timeout, clock_));
  if (!node.IsBroker()) return absl::OkStatus();
  ASSIGN_OR_RETURN(const std::vector<int32_t> ids,
                   FetchBrokerIds(node.address, node.kafka_port, timeout, clock_));
  if (std::find(ids.begin(), ids.end(), node.node_id) == ids.end()) {
    return absl::UnavailableError(absl::StrCat("metadata from ", node.KafkaAddress(),
                                               " does not list broker ", node.node_id, " yet"));
  }
  return absl::OkStatus();
}

absl::Status LocalCluster::WaitReady(absl::Duration timeout) {
  const absl::Duration deadline = clock_.Monotonic() + timeout;
  std::map<int, absl::Status> last_error;
  for (const NodeLayout& node : layout_.nodes()) {
    last_error[node.node_id] = absl::UnavailableError("not probed yet");
  }
  for (;;) {
    sigset_t pending_signals;
    sigpending(&pending_signals);
    if (sigismember(&pending_signals, SIGINT) == 1 || sigismember(&pending_signals, SIGTERM) == 1) {
      return absl::CancelledError("interrupted while waiting for the nodes to be ready");
    }
    for (const NodeLayout& node : layout_.nodes()) {
      absl::Status& error = last_error[node.node_id];
      if (error.ok()) continue;
      const std::string exit = Reap(children_[node.node_id]);
      if (!exit.empty()) {
        children_.erase(node.node_id);
        return absl::FailedPreconditionError(
            absl::StrCat(node.Name(), " ", exit, " while starting; see ", node.LogPath().string()));
      }
      error = CheckReady(node, kProbeTimeout);
      if (error.ok()) out_ << node.Name() << " is ready" << std::endl;
    }
    const auto pending = std::find_if(last_error.begin(), last_error.end(),
                                      [](const auto& entry) { return !entry.second.ok(); });
    if (pending == last_error.end()) return absl::OkStatus();
    if (clock_.Monotonic() >= deadline) {
      const NodeLayout& node =
          *std::find_if(layout_.nodes().begin(), layout_.nodes().end(),
                        [&](const NodeLayout& n) { return n.node_id == pending->first; });
      return absl::DeadlineExceededError(
          absl::StrCat(node.Name(), " is not ready after ", absl::FormatDuration(timeout), ": ",
                       pending->second.message(), "; see ", node.LogPath().string()));
    }
    clock_.SleepFor(kPollInterval);
  }
}

std::string LocalCluster::Reap(pid_t pid) {
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid) return DescribeWaitStatus(status);
  return "";
}

bool LocalCluster::WaitGone(pid_t pid, absl::Duration timeout) {
  const absl::Duration deadline = clock_.Monotonic() + timeout;
  for (;;) {
    Reap(pid);  // A child of this process stays a zombie until reaped.
    if (!IsLiveKarstd(pid)) return true;
    if (clock_.Monotonic() >= deadline) return false;
    clock_.SleepFor(absl::Milliseconds(20));
  }
}

absl::StatusOr<int> LocalCluster::WaitForStop(const sigset_t& signals) {
  for (;;) {
    timespec wait = {0, 200 * 1000 * 1000};
    const int signal_number = sigtimedwait(&signals, nullptr, &wait);
    if (signal_number > 0) return signal_number;
    for (auto it = children_.begin(); it != children_.end();) {
      const std::string exit = Reap(it->second);
      if (exit.empty()) {
        ++it;
        continue;
      }
      const NodeLayout& node =
          *std::find_if(layout_.nodes().begin(), layout_.nodes().end(),
                        [&](const NodeLayout& n) { return n.node_id == it->first; });
      out_ << node.Name() << " " << exit << "; see " << node.LogPath().string() << std::endl;
      std::error_code ignored;
      fs::remove(node.PidPath(), ignored);
      it = children_.erase(it);
    }
    if (children_.empty()) return absl::AbortedError("every node has exited");
  }
}

absl::Status LocalCluster::Stop(absl::Duration timeout) {
  const std::map<int, pid_t> running = RunningNodes();
  std::vector<std::string> stuck;
  // Broker-only nodes first: their controlled shutdown needs the controllers.
  for (const bool brokers_phase : {true, false}) {
    std::vector<const NodeLayout*> phase;
    for (const NodeLayout& node : layout_.nodes()) {
      if ((node.roles == Roles::kBroker) != brokers_phase) continue;
      auto it = running.find(node.node_id);
      if (it == running.end()) {
        std::error_code ignored;
        fs::remove(node.PidPath(), ignored);  // Stale, if any.
        continue;
      }
      kill(it->second, SIGTERM);
      phase.push_back(&node);
    }
    for (const NodeLayout* node : phase) {
      const pid_t pid = running.at(node->node_id);
      if (!WaitGone(pid, timeout)) {
        out_ << node->Name() << ": still running " << absl::FormatDuration(timeout)
             << " after SIGTERM (pid " << pid << "); see " << node->LogPath().string() << std::endl;
        stuck.push_back(absl::StrCat(node->Name(), " pid ", pid));
        continue;
      }
      out_ << node->Name() << ": stopped" << std::endl;
      children_.erase(node->node_id);
      std::error_code ignored;
      fs::remove(node->PidPath(), ignored);
    }
  }
  if (!stuck.empty()) {
    return absl::DeadlineExceededError(
        absl::StrCat("still running after SIGTERM: ", absl::StrJoin(stuck, ", ")));
  }
  return absl::OkStatus();
}

std::map<int, NodeState> LocalCluster::Probe(absl::Duration probe_timeout) {
  const std::map<int, pid_t> running = RunningNodes();
  std::map<int, NodeState> states;
  for (const NodeLayout& node : layout_.nodes()) {
    NodeState& state = states[node.node_id];
    auto it = running.find(node.node_id);
    if (it != running.end()) state.pid = it->second;
    state.ready = CheckReady(node, probe_timeout);
  }
  return states;
}

std::optional<int> LocalCluster::ControllerLeader(absl::Duration probe_timeout) {
  for (const NodeLayout& node : layout_.nodes()) {
    if (!node.IsController()) continue;
    absl::StatusOr<HttpResponse> metrics =
        HttpGet(node.address, node.admin_port, "/metrics", probe_timeout, clock_);
    if (!metrics.ok() || metrics->status_code != 200) continue;
    // raft/node/raft_metrics.cc: "Node id of the known leader; -1 if none."
    absl::StatusOr<double> leader = FindMetric(metrics->body, "karst_raft_leader");
    if (leader.ok() && *leader >= 0) return static_cast<int>(*leader);
  }
  return std::nullopt;
}

}  // namespace karst::cli
