// LocalCluster runs the nodes of a ClusterLayout as karstd processes on this machine, for the
// `karst cluster up|down|status` commands: it starts them (in the foreground or detached), waits
// until each is ready, stops them with SIGTERM and reports their state. Processes are found
// again through <node dir>/pid, so `down` and `status` work from another invocation. Not
// thread-safe: use it from main's thread.
//
//   Start ---> every node ready ---> (foreground) WaitForStop ---> Stop
//     |                              (detached)   return; later `karst cluster down` ---> Stop
//     +--> a node exits or is not ready in time: Stop what was started, return the error
#ifndef KARST_CLIENT_CLI_LOCAL_CLUSTER_H_
#define KARST_CLIENT_CLI_LOCAL_CLUSTER_H_

#include <signal.h>
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/cli/cluster_layout.h"
#include "common/clock.h"

namespace karst::cli {

enum class StartMode {
  // Children share karst's session; they get SIGKILL if karst dies (PR_SET_PDEATHSIG).
  kForeground,
  // Children run in their own session (setsid) and outlive karst.
  kDetached,
};

struct NodeState {
  std::optional<pid_t> pid;  // From the pid file, when the process still runs.
  absl::Status ready;        // OK: /healthz is 200 and (brokers) Metadata lists the node.
};

class LocalCluster {
 public:
  // `out` receives progress lines; both must outlive the LocalCluster.
  LocalCluster(ClusterLayout layout, Clock& clock, std::ostream& out);
  // Foreground children still running are stopped (SIGTERM, waiting up to 15 s each).
  ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // Nodes whose pid file names a live karstd process, by node id.
  std::map<int, pid_t> RunningNodes() const;

  // Starts every node with `karstd` (stdout and stderr appended to its log file), writes its pid
  // file and <dir>/bootstrap.servers, and returns once every node is ready.
  // REQUIRES: no node is running (see RunningNodes). Errors: kNotFound or kInternal if a process
  // cannot be started; kFailedPrecondition if a node exits; kDeadlineExceeded if a node is not
  // ready within `timeout`; kCancelled if SIGINT or SIGTERM is pending meanwhile (the caller
  // blocks them). Each names the node and its log file; the nodes already started are stopped
  // again first.
  absl::Status Start(const std::string& karstd, StartMode mode, absl::Duration timeout);

  // Foreground: waits until one of `signals` arrives (the caller blocks them before Start, so
  // they queue) and returns its number. Reports nodes that exit meanwhile on `out`.
  // Errors: kAborted when every node has exited.
  absl::StatusOr<int> WaitForStop(const sigset_t& signals);

  // SIGTERM to every running node (broker-only nodes first, so that their controlled shutdown
  // reaches the controllers), then waits up to `timeout` for each, reports each on `out` and
  // removes the pid files of the stopped ones. Errors: kDeadlineExceeded naming the nodes still
  // running.
  absl::Status Stop(absl::Duration timeout);

  // One probe of every node (each within `probe_timeout`).
  std::map<int, NodeState> Probe(absl::Duration probe_timeout);
  // The node id a controller's karst_raft_leader gauge names; nullopt if no running controller
  // knows a leader.
  std::optional<int> ControllerLeader(absl::Duration probe_timeout);

  // OK iff `node` is ready (see NodeState::ready).
  absl::Status CheckReady(const NodeLayout& node, absl::Duration timeout);

  const ClusterLayout& layout() const { return layout_; }

 private:
  absl::Status StartNode(const NodeLayout& node, const std::string& karstd, StartMode mode);
  absl::Status WaitReady(absl::Duration timeout);
  // Reaps `pid` if it is a child that exited; returns its exit description or "".
  std::string Reap(pid_t pid);
  bool WaitGone(pid_t pid, absl::Duration timeout);

  ClusterLayout layout_;
  Clock& clock_;
  std::ostream& out_;
  std::map<int, pid_t> children_;  // Processes this LocalCluster started, by node id.
  StartMode mode_ = StartMode::kDetached;
};

// The last `max_lines` lines of `path`, "" if it cannot be read.
std::string TailFile(const std::filesystem::path& path, int max_lines);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_LOCAL_CLUSTER_H_
