#include "client/cli/cluster_command.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/cli/cluster_layout.h"
#include "client/cli/local_cluster.h"
#include "common/random.h"
#include "common/status_macros.h"

namespace karst::cli {
namespace {

namespace fs = std::filesystem;

constexpr char kUsage[] =
    R"(usage: karst cluster up [--nodes N | --controllers C --brokers B] [--dir DIR]
                        [--address-base 127.0.0.] [--detach] [--timeout-ms MS]
       karst cluster down [--dir DIR]
       karst cluster status [--dir DIR]

Runs a Karst cluster on this machine. Node <id> listens on its own loopback address,
<address base><10 + id> (127.0.0.11, 127.0.0.12, ...): Kafka on port 9092, the controller
quorum on 9093 and admin HTTP (/metrics, /healthz) on 9644. Each node keeps its
server.properties, data/, karstd.log and pid under DIR/node-<id>/. The first up picks a
random cluster.id and writes it into every node's server.properties; later ups reuse it.

up      starts the nodes and waits until each is ready (/healthz answers 200 and a Kafka
        Metadata request to a broker lists it), then prints the bootstrap servers. Without
        --detach it stays in the foreground until Ctrl-C (SIGINT or SIGTERM) and then stops
        the nodes. An up on a DIR that holds a cluster restarts that cluster with its data.
  --nodes N           N combined nodes (process.roles=broker,controller): 1, 3 or 5
                      (default 1, or the shape of the cluster already in DIR)
  --controllers C     C controller-only nodes (1, 3 or 5), with --brokers
  --brokers B         B broker-only nodes (1 to 32), with --controllers
  --dir DIR           the cluster's directory (default ./.karst)
  --address-base P    the first three octets of the node addresses (default 127.0.0.)
  --detach            run the nodes in the background and exit once they are ready;
                      writes DIR/bootstrap.servers and DIR/node-<id>/pid
  --timeout-ms MS     how long to wait for the nodes to be ready (default 60000)
down    sends SIGTERM to every node (brokers first), waits up to 15 s for each, and removes
        the pid files.
status  shows each node's id, roles, address, pid and state, and the controller leader.

Topics get num.partitions=3 (1 on a single broker), default.replication.factor=min(3,
brokers) and min.insync.replicas=min(2, brokers); edit DIR/node-<id>/server.properties to
change them. karstd is looked for next to this binary, then in $KARSTD, then in PATH.
Exit codes: 0 success; 1 failure; 2 bad usage; 3 (status) a node is stopped or not ready.
)";

constexpr absl::Duration kStopTimeout = absl::Seconds(15);
constexpr absl::Duration kStatusProbeTimeout = absl::Seconds(2);
constexpr int kLogTailLines = 20;

struct ClusterFlags {
  std::string subcommand;
  std::optional<int> nodes;
  std::optional<int> controllers;
  std::optional<int> brokers;
  fs::path dir = ".karst";
  std::optional<std::string> address_base;
  bool detach = false;
  int64_t timeout_ms = 60000;
  bool up_only_flag = false;  // Whether a flag only `up` accepts was given.
};

absl::Status UsageError(absl::string_view message) { return absl::InvalidArgumentError(message); }

absl::StatusOr<ClusterFlags> ParseFlags(const std::vector<std::string>& args) {
  ClusterFlags flags;
  flags.subcommand = args[0];
  for (size_t i = 1; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value;
    if (const size_t equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name.resize(equals);
    }
    auto take = [&]() -> absl::StatusOr<std::string> {
      if (value.has_value()) return *value;
      if (i + 1 >= args.size()) return UsageError(absl::StrCat(name, " needs a value"));
      return args[++i];
    };
    auto take_int = [&](auto* out) -> absl::Status {
      ASSIGN_OR_RETURN(const std::string text, take());
      typename std::remove_reference_t<decltype(*out)>::value_type number = 0;
      if (!absl::SimpleAtoi(text, &number)) {
        return UsageError(absl::StrCat(name, " ", text, ": not a number"));
      }
      *out = number;
      return absl::OkStatus();
    };
    if (name == "--dir") {
      ASSIGN_OR_RETURN(const std::string dir, take());
      flags.dir = dir;
      continue;
    }
    flags.up_only_flag = true;
    if (name == "--nodes") {
      RETURN_IF_ERROR(take_int(&flags.nodes));
    } else if (name == "--controllers") {
      RETURN_IF_ERROR(take_int(&flags.controllers));
    } else if (name == "--brokers") {
      RETURN_IF_ERROR(take_int(&flags.brokers));
    } else if (name == "--address-base") {
      ASSIGN_OR_RETURN(flags.address_base, take());
    } else if (name == "--detach" && !value.has_value()) {
      flags.detach = true;
    } else if (name == "--timeout-ms") {
      std::optional<int64_t> timeout;
      RETURN_IF_ERROR(take_int(&timeout));
      if (*timeout <= 0) return UsageError("--timeout-ms must be positive");
      flags.timeout_ms = *timeout;
    } else {
      return UsageError(absl::StrCat("unknown flag ", args[i]));
    }
  }
  if (flags.subcommand != "up" && flags.up_only_flag) {
    return UsageError(absl::StrCat("karst cluster ", flags.subcommand, " takes only --dir"));
  }
  if (flags.nodes.has_value() && (flags.controllers.has_value() || flags.brokers.has_value())) {
    return UsageError("--nodes does not mix with --controllers and --brokers");
  }
  if (flags.controllers.has_value() != flags.brokers.has_value()) {
    return UsageError("--controllers and --brokers go together");
  }
  return flags;
}

std::optional<ClusterShape> RequestedShape(const ClusterFlags& flags) {
  if (flags.nodes.has_value()) return ClusterShape{.combined = *flags.nodes};
  if (flags.controllers.has_value()) {
    return ClusterShape{.controllers = *flags.controllers, .brokers = *flags.brokers};
  }
  return std::nullopt;
}

// The cluster already in flags.dir, checked against the flags, or a new one written there.
absl::StatusOr<ClusterLayout> LayoutForUp(const ClusterFlags& flags) {
  const std::optional<ClusterShape> requested = RequestedShape(flags);
  if (!ClusterLayout::Exists(flags.dir)) {
    LayoutOptions options{.dir = flags.dir,
                          .shape = requested.value_or(ClusterShape{.combined = 1})};
    if (flags.address_base.has_value()) options.address_base = *flags.address_base;
    ASSIGN_OR_RETURN(ClusterLayout layout, ClusterLayout::Create(options));
    RETURN_IF_ERROR(layout.Write());
    return layout;
  }
  ASSIGN_OR_RETURN(ClusterLayout layout, ClusterLayout::Load(flags.dir));
  if (layout.cluster_id().empty()) {
    // Written before cluster.id existed: karstd now refuses unformatted storage without one.
    RETURN_IF_ERROR(layout.AddClusterId(NewClusterId(SeedFromEntropy())));
  }
  if (requested.has_value() && *requested != layout.Shape()) {
    return absl::FailedPreconditionError(
        absl::StrCat(flags.dir.string(), " holds a cluster of ", layout.Shape().ToString(),
                     ", not ", requested->ToString(), "; use another --dir, or remove ",
                     flags.dir.string(), " to start afresh"));
  }
  if (flags.address_base.has_value()) {
    const std::string base(absl::StripSuffix(*flags.address_base, "."));
    if (absl::StrCat(base, ".") != layout.AddressBase()) {
      return absl::FailedPreconditionError(absl::StrCat(flags.dir.string(), " holds a cluster on ",
                                                        layout.AddressBase(), "*, not ", base,
                                                        ".*; use another --dir"));
    }
  }
  return layout;
}

void PrintEndpoints(const ClusterLayout& layout) {
  std::cout << "bootstrap servers: " << layout.BootstrapServers() << "\n";
  for (const NodeLayout& node : layout.nodes()) {
    std::cout << "  " << node.Name() << " " << RolesName(node.roles) << ": metrics "
              << node.MetricsUrl() << ", log " << node.LogPath().string() << "\n";
  }
  std::cout << std::flush;
}

void PrintFailedLogs(const ClusterLayout& layout, const absl::Status& status) {
  for (const NodeLayout& node : layout.nodes()) {
    if (!absl::StrContains(status.message(), node.LogPath().string())) continue;
    std::cerr << "--- last lines of " << node.LogPath().string() << " ---\n"
              << TailFile(node.LogPath(), kLogTailLines) << "---\n";
  }
}

// Refuses to start over a running cluster, or where something already answers on a node's
// admin address (e.g. a cluster whose pid files were removed).
absl::Status CheckNotRunning(LocalCluster& cluster, const fs::path& dir) {
  for (const auto& [id, pid] : cluster.RunningNodes()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the cluster in ", dir.string(), " is already running (node ", id, ", pid ",
                     pid, "); `karst cluster down --dir ", dir.string(), "` stops it"));
  }
  for (const NodeLayout& node : cluster.layout().nodes()) {
    if (cluster.CheckReady(node, absl::Milliseconds(300)).ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("a node already answers on ", node.address, " (no pid file in ",
                       node.dir.string(), "); stop it first or use another --address-base"));
    }
  }
  return absl::OkStatus();
}

int Up(const ClusterFlags& flags, Clock& clock) {
  absl::StatusOr<std::string> karstd = FindKarstd();
  absl::StatusOr<ClusterLayout> layout =
      karstd.ok() ? LayoutForUp(flags) : absl::StatusOr<ClusterLayout>(karstd.status());
  if (!layout.ok()) {
    std::cerr << "karst cluster up: " << layout.status().message() << "\n";
    return kExitFailure;
  }
  LocalCluster cluster(*std::move(layout), clock, std::cout);
  if (absl::Status s = CheckNotRunning(cluster, flags.dir); !s.ok()) {
    std::cerr << "karst cluster up: " << s.message() << "\n";
    return kExitFailure;
  }
  // Blocked from here on, so that Ctrl-C is handled by stopping the nodes in order (children
  // unblock them before exec).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  std::cout << "starting " << cluster.layout().Shape().ToString() << " in " << flags.dir.string()
            << " with " << *karstd << std::endl;
  const StartMode mode = flags.detach ? StartMode::kDetached : StartMode::kForeground;
  if (absl::Status s = cluster.Start(*karstd, mode, absl::Milliseconds(flags.timeout_ms));
      !s.ok()) {
    std::cerr << "karst cluster up: " << s.message() << "\n";
    PrintFailedLogs(cluster.layout(), s);
    return kExitFailure;
  }
  PrintEndpoints(cluster.layout());
  if (flags.detach) {
    std::cout << "running in the background; `karst cluster down --dir " << flags.dir.string()
              << "` stops it" << std::endl;
    return kExitOk;
  }
  std::cout << "Ctrl-C stops the cluster" << std::endl;
  absl::StatusOr<int> signal_number = cluster.WaitForStop(stop_signals);
  if (!signal_number.ok()) {
    std::cerr << "karst cluster up: " << signal_number.status().message() << "\n";
    return kExitFailure;
  }
  std::cout << "received " << strsignal(*signal_number) << "; stopping the cluster" << std::endl;
  if (absl::Status s = cluster.Stop(kStopTimeout); !s.ok()) {
    std::cerr << "karst cluster up: " << s.message() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int Down(const ClusterFlags& flags, Clock& clock) {
  absl::StatusOr<ClusterLayout> layout = ClusterLayout::Load(flags.dir);
  if (!layout.ok()) {
    std::cerr << "karst cluster down: " << layout.status().message() << "\n";
    return kExitFailure;
  }
  LocalCluster cluster(*std::move(layout), clock, std::cout);
  if (cluster.RunningNodes().empty()) {
    std::cout << "the cluster in " << flags.dir.string() << " is not running" << std::endl;
  }
  if (absl::Status s = cluster.Stop(kStopTimeout); !s.ok()) {
    std::cerr << "karst cluster down: " << s.message() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int Status(const ClusterFlags& flags, Clock& clock) {
  absl::StatusOr<ClusterLayout> layout = ClusterLayout::Load(flags.dir);
  if (!layout.ok()) {
    std::cerr << "karst cluster status: " << layout.status().message() << "\n";
    return kExitFailure;
  }
  LocalCluster cluster(*std::move(layout), clock, std::cout);
  const std::map<int, NodeState> states = cluster.Probe(kStatusProbeTimeout);
  std::cout << "cluster in " << flags.dir.string() << ": " << cluster.layout().Shape().ToString()
            << "\n"
            << std::left << std::setw(6) << "NODE" << std::setw(19) << "ROLES" << std::setw(17)
            << "ADDRESS" << std::setw(9) << "PID"
            << "STATE\n";
  bool all_ready = true;
  for (const NodeLayout& node : cluster.layout().nodes()) {
    const NodeState& state = states.at(node.node_id);
    std::string description;
    if (state.pid.has_value()) {
      description = state.ready.ok() ? "running, ready"
                                     : absl::StrCat("running, not ready: ", state.ready.message());
    } else {
      description = state.ready.ok() ? "running (no pid file), ready" : "stopped";
    }
    all_ready = all_ready && state.pid.has_value() && state.ready.ok();
    std::cout << std::setw(6) << node.node_id << std::setw(19) << RolesName(node.roles)
              << std::setw(17) << node.address << std::setw(9)
              << (state.pid.has_value() ? absl::StrCat(*state.pid) : "-") << description << "\n";
  }
  const std::optional<int> leader = cluster.ControllerLeader(kStatusProbeTimeout);
  std::cout << "controller leader: "
            << (leader.has_value() ? absl::StrCat("node ", *leader) : "none known") << "\n"
            << "bootstrap servers: " << cluster.layout().BootstrapServers() << std::endl;
  return all_ready ? kExitOk : kExitNotReady;
}

bool IsExecutable(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error) && access(path.c_str(), X_OK) == 0;
}

}  // namespace

const char* ClusterUsage() { return kUsage; }

absl::StatusOr<std::string> FindKarstd() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (!error && IsExecutable(self.parent_path() / "karstd")) {
    return (self.parent_path() / "karstd").string();
  }
  if (const char* env = std::getenv("KARSTD"); env != nullptr && *env != '\0') {
    if (IsExecutable(env)) return std::string(env);
    return absl::NotFoundError(absl::StrCat("$KARSTD is ", env, ", which is not executable"));
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
      const fs::path candidate = fs::path(std::string(dir)) / "karstd";
      if (IsExecutable(candidate)) return candidate.string();
    }
  }
  return absl::NotFoundError(
      absl::StrCat("cannot find karstd: not next to ", error ? "karst" : self.string(),
                   ", $KARSTD is unset and no karstd in $PATH; run tools/run-local.sh or "
                   "`bazel build //broker:karstd` and set KARSTD=bazel-bin/broker/main/karstd"));
}

int RunClusterCommand(const std::vector<std::string>& args, Clock& clock) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    (args.empty() ? std::cerr : std::cout) << kUsage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return kExitOk;
    }
  }
  absl::StatusOr<ClusterFlags> flags = ParseFlags(args);
  if (!flags.ok()) {
    std::cerr << "karst cluster: " << flags.status().message() << "\n\n" << kUsage;
    return kExitUsage;
  }
  if (flags->subcommand == "up") return Up(*flags, clock);
  if (flags->subcommand == "down") return Down(*flags, clock);
  if (flags->subcommand == "status") return Status(*flags, clock);
  std::cerr << "karst cluster: unknown subcommand \"" << flags->subcommand << "\"\n\n" << kUsage;
  return kExitUsage;
}

}  // namespace karst::cli
