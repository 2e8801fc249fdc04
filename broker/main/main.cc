// karstd: the one Karst server binary. Loads configuration (file, KARST_* environment,
// --override flags), sets up logging, serves the admin HTTP port (/metrics, /healthz) and runs
// the roles named in process.roles until SIGTERM or SIGINT, then shuts down within 5 seconds.
//
// Before any role starts, every data dir is checked against (or formatted with) cluster.id and
// node.id: see common/config/storage_meta.h.
//
// Exit codes: 0 clean shutdown; 1 a start-up failure (e.g. a port in use, an unwritable data
// dir) or a shutdown that overran its deadline; 2 bad configuration or command line, or data
// dirs of another cluster or node.
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_join.h"
#include "broker/main/broker_role.h"
#include "broker/main/controller_role.h"
#include "common/admin_server.h"
#include "common/config/command_line.h"
#include "common/config/properties.h"
#include "common/config/server_config.h"
#include "common/config/storage_meta.h"
#include "common/logging.h"
#include "common/process_metrics.h"
#include "common/version.h"
#include "prometheus/registry.h"
#include "spdlog/spdlog.h"

extern char** environ;

namespace karst {
namespace {

constexpr auto kShutdownDeadline = std::chrono::seconds(5);

int ConfigError(const absl::Status& status) {
  std::fprintf(stderr, "karstd: configuration error: %s\n", std::string(status.message()).c_str());
  return 2;
}

absl::StatusOr<config::ServerConfig> LoadConfig(const config::CommandLine& command_line) {
  config::Sources sources;
  if (command_line.config_path.has_value()) {
    absl::StatusOr<std::vector<config::Property>> file =
        config::ReadPropertiesFile(*command_line.config_path);
    if (!file.ok()) return file.status();
    sources.file = *std::move(file);
  }
  for (char** env = environ; *env != nullptr; ++env) sources.environment.emplace_back(*env);
  sources.overrides = command_line.overrides;
  return config::ServerConfig::Load(sources);
}

std::string RoleNames(const config::ServerConfig& server) {
  std::vector<std::string> names;
  if (server.HasRole(config::Role::kBroker)) names.push_back("broker");
  if (server.HasRole(config::Role::kController)) names.push_back("controller");
  return absl::StrJoin(names, ",");
}

// Ends the process with exit code 1 if shutdown has not finished by the deadline, so a hung
// component can never keep a node from stopping.
class ShutdownWatchdog {
 public:
  ShutdownWatchdog()
      : thread_([this] {
          std::unique_lock<std::mutex> lock(mu_);
          if (!cv_.wait_for(lock, kShutdownDeadline, [this] { return done_; })) {
            spdlog::critical("shutdown did not finish within {}s; exiting",
                             kShutdownDeadline.count());
            spdlog::default_logger()->flush();
            _exit(1);
          }
        }) {}
  ~ShutdownWatchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

int Run(const config::ServerConfig& server, const sigset_t& stop_signals) {
  spdlog::info("karstd {} starting: node.id={} process.roles={} cluster.id={}", kVersion,
               server.node_id.value(), RoleNames(server), server.cluster_id);
  for (const std::string& line : server.effective) spdlog::info("config: {}", line);

  auto registry = std::make_shared<prometheus::Registry>();
  RegisterBuildInfo(*registry, kVersion);
  auto process_metrics = std::make_shared<ProcessMetrics>();
  AdminServer admin({.host = server.admin_listener.host,
                     .port = server.admin_listener.port,
                     .collectables = {registry, process_metrics}});
  if (absl::Status status = admin.Start(); !status.ok()) {
    spdlog::error("cannot start: {}", std::string(status.message()));
    return 1;
  }
  spdlog::info("admin HTTP listening on {}:{} (/metrics, /healthz)",
               server.admin_listener.host.empty() ? "0.0.0.0" : server.admin_listener.host,
               admin.port());
  std::unique_ptr<ControllerRole> controller;
  if (server.HasRole(config::Role::kController)) {
    controller = std::make_unique<ControllerRole>(server, *registry);
    if (absl::Status status = controller->Start(); !status.ok()) {
      spdlog::error("cannot start the controller role: {}", status.message());
      admin.Stop();
      return 1;
    }
  }
  std::unique_ptr<BrokerRole> broker;
  if (server.HasRole(config::Role::kBroker)) {
    broker = std::make_unique<BrokerRole>(server, *registry);
    if (absl::Status status = broker->Start(); !status.ok()) {
      spdlog::error("cannot start the broker role: {}", status.message());
      if (controller) controller->Stop();
      admin.Stop();
      return 1;
    }
  }

  // /readyz: the broker serves once registered, unfenced and caught up with the metadata
  // log; a controller once it knows the active controller.
  admin.SetReadinessCheck(
      [broker = broker.get(), controller = controller.get()]() -> std::optional<std::string> {
        if (broker != nullptr && !broker->Ready()) {
          return "broker not yet registered, unfenced and caught up";
        }
        if (controller != nullptr && controller->ActiveControllerId() < 0) {
          return "no active controller known";
        }
        return std::nullopt;
      });
  // Some libraries reset the calling thread's signal mask while starting (seen with the
  // controller role's dependencies): block the stop signals again before waiting for them.
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received {}; shutting down", strsignal(signal_number));
  {
    ShutdownWatchdog watchdog;
    admin.SetReadinessCheck([] { return std::optional<std::string>("shutting down"); });
    // The broker first: its controlled shutdown needs the controllers (this one too).
    if (broker) broker->Stop();
    if (controller) controller->Stop();
    admin.Stop();
  }
  spdlog::info("shutdown complete");
  spdlog::default_logger()->flush();
  return 0;
}

}  // namespace
}  // namespace karst

int main(int argc, char** argv) {
  using namespace karst;
  // Block the stop signals before any thread starts, so every thread inherits the mask and
  // only sigwait() in Run() receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::StatusOr<config::CommandLine> command_line =
      config::ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  if (!command_line.ok()) return ConfigError(command_line.status());
  if (command_line->help) {
    std::fputs(config::Usage().c_str(), stdout);
    return 0;
  }
  if (command_line->version) {
    std::printf("karstd %s\n", kVersion);
    return 0;
  }
  absl::StatusOr<config::ServerConfig> server = LoadConfig(*command_line);
  if (!server.ok()) return ConfigError(server.status());
  if (absl::Status status =
          SetUpLogging({.level = server->logger_level, .pattern = server->logger_pattern});
      !status.ok()) {
    return ConfigError(status);
  }
  // Like `kafka-storage format`, but at start-up: before any role touches a data dir.
  absl::StatusOr<config::StorageFormat> storage =
      config::FormatStorage({.node_id = server->node_id,
                             .node_id_origin = server->node_id_origin,
                             .cluster_id = server->cluster_id,
                             .cluster_id_origin = server->cluster_id_origin,
                             .log_dirs = server->log_dirs,
                             .metadata_log_dir = server->metadata_log_dir});
  if (!storage.ok()) {
    if (absl::IsInvalidArgument(storage.status()) || absl::IsFailedPrecondition(storage.status())) {
      return ConfigError(storage.status());
    }
    std::fprintf(stderr, "karstd: cannot start: %s\n",
                 std::string(storage.status().message()).c_str());
    return 1;
  }
  for (const std::string& dir : storage->formatted) {
    spdlog::info("formatted {} for cluster.id {} (wrote {})", dir, storage->cluster_id,
                 config::kMetaPropertiesFile);
  }
  server->cluster_id = storage->cluster_id;
  return Run(*server, stop_signals);
}
