#include "tests/groups/client_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/harness/wait.h"

namespace karst::testing {

std::string RunfilePath(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr) return "";
  return std::filesystem::absolute(value).string();
}

ClusterOptions GroupClusterOptions(std::map<std::string, std::string> extra) {
  ClusterOptions options;
  options.karstd_path = RunfilePath("KARSTD");
  options.num_nodes = 3;
  options.logger_level = "info";
  options.properties = {{"default.replication.factor", "3"},
                        {"min.insync.replicas", "2"},
                        {"offsets.topic.replication.factor", "3"},
                        {"group.initial.rebalance.delay.ms", "0"}};
  for (auto& [key, value] : extra) options.properties[key] = value;
  return options;
}

absl::StatusOr<CommandResult> RunClient(const std::string& name,
                                        const std::vector<std::string>& argv,
                                        std::vector<std::string> env, int timeout_s) {
  env.push_back("PYTHONDONTWRITEBYTECODE=1");
  std::vector<std::string> command = {"/usr/bin/timeout", "-k", "5", absl::StrCat(timeout_s),
                                      "/usr/bin/env"};
  command.insert(command.end(), env.begin(), env.end());
  command.insert(command.end(), argv.begin(), argv.end());
  const absl::Time start = absl::Now();
  absl::StatusOr<CommandResult> result = RunCommand(command);
  if (!result.ok()) return result.status();
  std::cout << "=== " << name << " (" << absl::ToDoubleSeconds(absl::Now() - start) << " s, "
            << result->exit_status.ToString()
            << (result->exit_status.exit_code == 124 ? ", timed out" : "") << ")\n$ "
            << absl::StrJoin(argv, " ") << "\n"
            << result->output << std::flush;
  return result;
}

absl::StatusOr<std::unique_ptr<BackgroundClient>> BackgroundClient::Start(
    std::string name, const std::vector<std::string>& argv, const std::vector<std::string>& env,
    const std::string& output_path) {
  std::vector<std::string> environment = CurrentEnvironment();
  environment.insert(environment.end(), env.begin(), env.end());
  environment.push_back("PYTHONDONTWRITEBYTECODE=1");
  const int fd = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", output_path));
  absl::StatusOr<pid_t> pid = SpawnProcess(argv, environment, fd);
  close(fd);
  if (!pid.ok()) return pid.status();
  return std::unique_ptr<BackgroundClient>(
      new BackgroundClient(std::move(name), *pid, output_path));
}

BackgroundClient::BackgroundClient(std::string name, pid_t pid, std::string output_path)
    : name_(std::move(name)), pid_(pid), output_path_(std::move(output_path)) {}

BackgroundClient::~BackgroundClient() {
  if (!IsRunning()) return;
  kill(pid_, SIGKILL);
  int ignored;
  waitpid(pid_, &ignored, 0);
}

bool BackgroundClient::IsRunning() {
  if (exit_status_.has_value()) return false;
  int status;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
  exit_status_ = ExitStatus::FromWaitStatus(status);
  return false;
}

absl::StatusOr<ExitStatus> BackgroundClient::Wait(absl::Duration timeout) {
  absl::Status waited =
      WaitFor([&] { return !IsRunning(); }, timeout, absl::StrCat(name_, " to exit"));
  std::ifstream in(output_path_);
  std::stringstream output;
  output << in.rdbuf();
  std::cout << "=== " << name_ << " ("
            << (exit_status_.has_value() ? exit_status_->ToString() : "still running") << ")\n"
            << output.str() << std::flush;
  if (!waited.ok()) return waited;
  return *exit_status_;
}

std::string OutputDir(const std::string& name) {
  const char* base = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  if (base == nullptr) base = std::getenv("TEST_TMPDIR");
  const std::filesystem::path dir = std::filesystem::path(base != nullptr ? base : "/tmp") / name;
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace karst::testing
