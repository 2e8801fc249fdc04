// Node runs one karstd process for an integration test: it writes the node's server.properties,
// starts karstd with stdout and stderr appended to a per-node log file, and controls the process
// (SIGKILL, SIGTERM, SIGSTOP, SIGCONT, restart). Used directly or through Cluster. Not
// thread-safe: drive a Node from one thread (normally the test's main thread, see SpawnProcess).
//
//           Start                      Pause
//   new -------------> running <--------------> paused
//                       |   ^       Resume        |
//   Kill9/Terminate/    |   | Start/Restart       | Kill9/Terminate
//   crash               v   |                     |
//                       exited <------------------+   (exit_status() is set)
#ifndef KARST_TESTS_HARNESS_NODE_H_
#define KARST_TESTS_HARNESS_NODE_H_

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/harness/http_get.h"
#include "tests/harness/subprocess.h"

namespace karst::testing {

struct NodeOptions {
  // REQUIRED: path of the karstd binary, e.g. from $(rootpath //broker:karstd).
  std::string karstd_path;
  // node.id.
  int node_id = 1;
  // REQUIRED: the loopback address this node binds (see AddressBlock).
  std::string address;
  // process.roles.
  std::string process_roles = "broker,controller";
  // listeners = PLAINTEXT://<address>:<kafka_port>, plus CONTROLLER://<address>:
  // <controller_port> (and controller.listener.names = CONTROLLER) when process_roles
  // includes controller, as in Kafka's KRaft mode.
  int kafka_port = 9092;
  int controller_port = 9093;
  // controller.quorum.voters ("id@host:port,..."). Empty: the node itself when it is a
  // controller, else unset. Cluster fills in every controller of the cluster.
  std::string quorum_voters;
  // admin.listener = <address>:<admin_port>.
  int admin_port = 9644;
  // logger.level.
  std::string logger_level = "debug";
  // cluster.id (the node formats its data dirs with it on first start). Empty: one derived
  // from the current test's name, so every Node of a test agrees; Cluster sets its own.
  // `properties`, `overrides` and `environment` may still set another.
  std::string cluster_id;
  // REQUIRED: the node's own directory; holds server.properties, karstd.log and data/ (the
  // default log.dirs). Created if missing; kept across restarts.
  std::filesystem::path dir;
  // Extra server.properties entries. They win over the generated ones above.
  std::map<std::string, std::string> properties;
  // Passed as `--override key=value`, one per entry, after --config.
  std::vector<std::string> overrides;
  // Extra environment entries ("KARST_NUM_PARTITIONS=3"). The node inherits the test's
  // environment minus every KARST_* variable, so a developer's shell cannot change its config.
  std::vector<std::string> environment;
};

class Node {
 public:
  explicit Node(NodeOptions options);
  // SIGKILLs and reaps the process if it still runs.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Writes server.properties and starts karstd. Returns once the process exists; it is not
  // healthy yet (see WaitHealthy). Errors: kFailedPrecondition if already running; kInternal
  // if the files cannot be written; SpawnProcess's errors.
  absl::Status Start();
  // Sends SIGKILL and waits until the process is reaped.
  // Errors: kFailedPrecondition if not running; kDeadlineExceeded if it is not reaped in 10 s.
  absl::Status Kill9();
  // Sends SIGTERM (and SIGCONT, in case the node is paused) and waits up to `timeout` for the
  // process to exit. Returns how it exited. Errors: kFailedPrecondition if not running;
  // kDeadlineExceeded if it is still running at the deadline, after which it is SIGKILLed.
  absl::StatusOr<ExitStatus> Terminate(absl::Duration timeout = absl::Seconds(10));
  // SIGSTOP / SIGCONT; each returns once /proc shows the process stopped / resumed.
  // Errors: kFailedPrecondition if not running; kDeadlineExceeded after 5 s.
  absl::Status Pause();
  absl::Status Resume();
  // Terminates the node if it runs (any exit status is accepted), then Start()s it again with
  // the same directory and data. Errors: those of Terminate and Start.
  absl::Status Restart(absl::Duration terminate_timeout = absl::Seconds(10));

  // True while the process exists (paused counts as running). Reaps it if it has exited.
  bool IsRunning();
  // How the last process exited; nullopt while running or before the first Start.
  const std::optional<ExitStatus>& exit_status() const { return exit_status_; }

  // GET `path` from the admin server. Errors: those of HttpGet.
  absl::StatusOr<HttpResponse> AdminGet(const std::string& path,
                                        absl::Duration timeout = absl::Seconds(2));
  // One probe: OK iff GET /healthz answers 200 with body "ok" (trailing whitespace ignored)
  // within `timeout`. Errors:
  // HttpGet's; kUnavailable for another status or body.
  absl::Status CheckHealthy(absl::Duration timeout);
  // Polls CheckHealthy (1 s per probe, so it may overrun `timeout` by up to 1 s) until it
  // succeeds. Errors: kFailedPrecondition if the process exits first (names its exit status);
  // kDeadlineExceeded naming the last probe error.
  absl::Status WaitHealthy(absl::Duration timeout);
  // Polls GET /readyz until it answers 200: a broker registered, unfenced and caught up with
  // the metadata log; a controller that knows the active controller. Errors: as WaitHealthy,
  // naming the last answer (which says what is missing).
  absl::Status WaitReady(absl::Duration timeout);

  // Sets a server.properties entry for the next Start/Restart.
  void SetProperty(const std::string& key, const std::string& value);
  // The last `max_lines` lines of the log file ("" if there is none).
  std::string TailLog(int max_lines) const;

  int node_id() const { return options_.node_id; }
  const std::string& address() const { return options_.address; }
  // "<address>:<kafka_port>", for bootstrap.servers.
  std::string kafka_address() const;
  // "<address>:<controller_port>".
  std::string controller_address() const;
  // Whether process_roles includes controller / broker.
  bool IsController() const;
  bool IsBroker() const;
  int admin_port() const { return options_.admin_port; }
  const std::filesystem::path& dir() const { return options_.dir; }
  std::filesystem::path config_path() const { return options_.dir / "server.properties"; }
  std::filesystem::path log_path() const { return options_.dir / "karstd.log"; }
  // "node 2 (127.41.7.3)", for messages.
  std::string name() const;

 private:
  absl::Status WriteConfig() const;
  std::vector<std::string> Argv() const;
  std::vector<std::string> Environment() const;
  absl::Status SignalRunning(int signal);
  absl::Status WaitProcState(bool stopped);
  absl::Status WaitReaped(absl::Duration timeout);

  NodeOptions options_;
  pid_t pid_ = -1;  // -1 when no process is running.
  std::optional<ExitStatus> exit_status_;
};

}  // namespace karst::testing

#endif  // KARST_TESTS_HARNESS_NODE_H_
