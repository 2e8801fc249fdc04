// Issue #9's acceptance test of consumer groups with mixed clients: one group whose members
// are librdkafka (confluent-kafka), kafka-python, kafkajs and karst consumers (members/*), with the
// "roundrobin" assignor and manual commits, consumes a 6-partition topic on 3 karstd nodes
// while records are produced and members join, close cleanly and are killed -9.
// mixed_group.py runs the schedule and checks the members' event logs and the committed
// offsets it sampled (see its docstring): every record processed at least once, no partition
// owned by two members at once, no committed offset moving backwards. A second case kills the
// group's coordinator midway. The logs are kept in the test's undeclared outputs.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/groups/client_process.h"
#include "tests/groups/coordinator_lookup.h"
#include "tests/harness/cluster.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

// The member kinds, in the order mixed_group.py's schedule uses them (the first joins twice
// and is killed last, the second closes cleanly, the third is killed -9 first).
std::vector<std::pair<std::string, std::string>> MemberKinds() {
  return {
      {"confluent", absl::StrCat("/usr/bin/python3 ", RunfilePath("CONFLUENT_MEMBER"))},
      {"kafka-python", absl::StrCat("/usr/bin/python3 ", RunfilePath("KAFKA_PYTHON_MEMBER"))},
      {"kafkajs", absl::StrCat("/usr/bin/node ", RunfilePath("KAFKAJS_MEMBER"))},
      {"karst", RunfilePath("KARST_MEMBER")},
  };
}

std::filesystem::path NodeModules() {
  return std::filesystem::path(RunfilePath("KAFKAJS_PACKAGE_JSON")).parent_path() / "node_modules";
}

// mixed_group.py's command line for `cluster`, keeping the members' logs in `out`.
std::vector<std::string> MixedGroupArgv(const Cluster& cluster, const std::string& out) {
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   RunfilePath("MIXED_GROUP"),
                                   "--bootstrap",
                                   cluster.BootstrapServers(),
                                   "--out",
                                   OutputDir(out),
                                   "--deadline",
                                   "150"};
  for (const auto& [kind, command] : MemberKinds()) {
    argv.push_back("--member");
    argv.push_back(absl::StrCat(kind, "=", command));
  }
  return argv;
}

TEST(MixedGroup, MembersOfEveryClientShareOneGroupThroughJoinsLeavesAndKills) {
  ASSERT_TRUE(std::filesystem::exists(NodeModules() / "kafkajs" / "package.json"))
      << NodeModules() << " has no kafkajs: run tools/setup.sh";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cluster> cluster, Cluster::Create(GroupClusterOptions()));
  ASSERT_OK(cluster->StartAll());
  ASSERT_OK_AND_ASSIGN(
      CommandResult result,
      RunClient("mixed_group.py", MixedGroupArgv(*cluster, "mixed_group"),
                {absl::StrCat("NODE_PATH=", NodeModules().string())}, /*timeout_s=*/170));
  EXPECT_TRUE(result.exit_status.Success())
      << "mixed_group.py: " << result.exit_status.ToString() << " (its output is above; "
      << "member logs in the test's outputs, mixed_group/)";
}

// The same schedule, and midway the group's coordinator is killed -9: the members find the
// new coordinator (the new leader of the group's __consumer_offsets partition), every
// partition progresses again, and no committed offset moves backwards across the move.
TEST(MixedGroup, MembersCarryOnWhenTheCoordinatorIsKilled) {
  ASSERT_TRUE(std::filesystem::exists(NodeModules() / "kafkajs" / "package.json"))
      << NodeModules() << " has no kafkajs: run tools/setup.sh";
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Cluster> cluster,
      Cluster::Create(GroupClusterOptions(
          {{"broker.session.timeout.ms", "3000"}, {"broker.heartbeat.interval.ms", "500"}})));
  ASSERT_OK(cluster->StartAll());
  const std::string out = OutputDir("mixed_group_coordinator_kill");
  const std::string fault = out + "/fault";
  std::vector<std::string> argv = MixedGroupArgv(*cluster, "mixed_group_coordinator_kill");
  argv.insert(argv.end(), {"--fault-file", fault});
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BackgroundClient> run,
                       BackgroundClient::Start("mixed_group.py", argv,
                                               {absl::StrCat("NODE_PATH=", NodeModules().string())},
                                               out + "/mixed_group.out"));
  ASSERT_OK(WaitFor([&] { return std::filesystem::exists(fault + ".ready") || !run->IsRunning(); },
                    absl::Seconds(120), "mixed_group.py ready for the fault"));
  ASSERT_TRUE(run->IsRunning()) << "mixed_group.py ended before the fault";
  int32_t coordinator = -1;
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        absl::StatusOr<int32_t> found = FindCoordinator(cluster->node(0), "mixed-group");
        if (!found.ok()) return found.status();
        coordinator = *found;
        return absl::OkStatus();
      },
      absl::Seconds(20), "the group's coordinator"));
  Node* node = NodeWithId(*cluster, coordinator);
  ASSERT_NE(node, nullptr) << "coordinator " << coordinator;
  std::cout << "killing the coordinator, " << node->name() << std::endl;
  ASSERT_OK(node->Kill9());
  std::ofstream(fault + ".done").close();
  ASSERT_OK_AND_ASSIGN(ExitStatus exit_status, run->Wait(absl::Seconds(170)));
  EXPECT_TRUE(exit_status.Success())
      << "mixed_group.py: " << exit_status.ToString() << " (its output is above; member logs in "
      << "the test's outputs, mixed_group_coordinator_kill/)";
}

}  // namespace
}  // namespace karst::testing
