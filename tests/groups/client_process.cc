#include "tests/groups/client_process.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

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

std::string OutputDir(const std::string& name) {
  const char* base = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  if (base == nullptr) base = std::getenv("TEST_TMPDIR");
  const std::filesystem::path dir = std::filesystem::path(base != nullptr ? base : "/tmp") / name;
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace karst::testing
