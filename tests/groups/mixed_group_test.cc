// Issue #9's acceptance test of consumer groups with mixed clients: one group whose members
// are librdkafka (confluent-kafka), kafka-python and kafkajs consumers (members/*), all with the
// "roundrobin" assignor and manual commits, consumes a 6-partition topic on 3 karstd nodes
// while records are produced and members join, close cleanly and are killed -9.
// mixed_group.py runs the schedule and checks the members' event logs and the committed
// offsets it sampled (see its docstring): every record processed at least once, no partition
// owned by two members at once, no committed offset moving backwards. The logs are kept in
// the test's undeclared outputs (mixed_group/).
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/groups/client_process.h"
#include "tests/harness/cluster.h"

namespace karst::testing {
namespace {

// The member kinds, in the order mixed_group.py's schedule uses them (the first joins twice
// and is killed last, the second closes cleanly, the third is killed -9 first).
std::vector<std::pair<std::string, std::string>> MemberKinds() {
  return {
      {"confluent", absl::StrCat("/usr/bin/python3 ", RunfilePath("CONFLUENT_MEMBER"))},
      {"kafka-python", absl::StrCat("/usr/bin/python3 ", RunfilePath("KAFKA_PYTHON_MEMBER"))},
      {"kafkajs", absl::StrCat("/usr/bin/node ", RunfilePath("KAFKAJS_MEMBER"))},
  };
}

TEST(MixedGroup, MembersOfEveryClientShareOneGroupThroughJoinsLeavesAndKills) {
  const std::filesystem::path node_modules =
      std::filesystem::path(RunfilePath("KAFKAJS_PACKAGE_JSON")).parent_path() / "node_modules";
  ASSERT_TRUE(std::filesystem::exists(node_modules / "kafkajs" / "package.json"))
      << node_modules << " has no kafkajs: run tools/setup.sh";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cluster> cluster, Cluster::Create(GroupClusterOptions()));
  ASSERT_OK(cluster->StartAll());

  std::vector<std::string> argv = {"/usr/bin/python3",
                                   RunfilePath("MIXED_GROUP"),
                                   "--bootstrap",
                                   cluster->BootstrapServers(),
                                   "--out",
                                   OutputDir("mixed_group"),
                                   "--deadline",
                                   "150"};
  for (const auto& [kind, command] : MemberKinds()) {
    argv.push_back("--member");
    argv.push_back(absl::StrCat(kind, "=", command));
  }
  ASSERT_OK_AND_ASSIGN(
      CommandResult result,
      RunClient("mixed_group.py", argv, {absl::StrCat("NODE_PATH=", node_modules.string())},
                /*timeout_s=*/170));
  EXPECT_TRUE(result.exit_status.Success())
      << "mixed_group.py: " << result.exit_status.ToString() << " (its output is above; "
      << "member logs in the test's outputs, mixed_group/)";
}

}  // namespace
}  // namespace karst::testing
