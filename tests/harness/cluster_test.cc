// The cluster lifecycle scenario every later integration test relies on: start three karstd
// processes, pause/resume one, kill -9 and restart one, terminate all cleanly. The binary comes
// from $KARSTD (set by the BUILD target: the real karstd or fake_karstd).
#include "tests/harness/cluster.h"

#include <signal.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/harness/node.h"

namespace karst::testing {
namespace {

constexpr absl::Duration kHealthyTimeout = absl::Seconds(30);

// A started cluster of `num_nodes` healthy nodes, or nullptr after recording a failure.
std::unique_ptr<Cluster> StartCluster(int num_nodes) {
  const char* karstd = std::getenv("KARSTD");
  EXPECT_NE(karstd, nullptr) << "set KARSTD to the karstd binary (the BUILD target does)";
  if (karstd == nullptr) return nullptr;
  ClusterOptions options;
  options.karstd_path = karstd;
  options.num_nodes = num_nodes;
  absl::StatusOr<std::unique_ptr<Cluster>> cluster = Cluster::Create(std::move(options));
  EXPECT_OK(cluster);
  if (!cluster.ok()) return nullptr;
  EXPECT_OK((*cluster)->StartAll(kHealthyTimeout));
  return std::move(*cluster);
}

TEST(Cluster, StartsThreeNodesThatAnswerHealthz) {
  std::unique_ptr<Cluster> cluster = StartCluster(3);
  ASSERT_NE(cluster, nullptr);
  ASSERT_EQ(cluster->size(), 3);
  for (int i = 0; i < cluster->size(); ++i) {
    EXPECT_TRUE(cluster->node(i).IsRunning()) << cluster->node(i).name();
    EXPECT_OK(cluster->node(i).CheckHealthy(absl::Seconds(2)));
  }
  EXPECT_NE(cluster->node(0).address(), cluster->node(1).address());
  EXPECT_OK(cluster->TerminateAll());
}

TEST(Cluster, PausedNodeTimesOutAndAnswersAfterResume) {
  std::unique_ptr<Cluster> cluster = StartCluster(3);
  ASSERT_NE(cluster, nullptr);
  Node& node = cluster->node(1);
  ASSERT_OK(node.Pause());
  EXPECT_TRUE(node.IsRunning());
  EXPECT_THAT(node.CheckHealthy(absl::Milliseconds(500)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  ASSERT_OK(node.Resume());
  EXPECT_OK(node.WaitHealthy(kHealthyTimeout));
  EXPECT_OK(cluster->TerminateAll());
}

TEST(Cluster, KilledNodeStopsRunningAndRestarts) {
  std::unique_ptr<Cluster> cluster = StartCluster(3);
  ASSERT_NE(cluster, nullptr);
  Node& node = cluster->node(2);
  ASSERT_OK(node.Kill9());
  EXPECT_FALSE(node.IsRunning());
  ASSERT_TRUE(node.exit_status().has_value());
  EXPECT_EQ(node.exit_status()->term_signal, SIGKILL);
  ASSERT_OK(node.Restart());
  EXPECT_OK(node.WaitHealthy(kHealthyTimeout));
  EXPECT_OK(cluster->TerminateAll());
  for (int i = 0; i < cluster->size(); ++i) {
    ASSERT_TRUE(cluster->node(i).exit_status().has_value());
    EXPECT_EQ(cluster->node(i).exit_status()->exit_code, 0) << cluster->node(i).name();
  }
}

}  // namespace
}  // namespace karst::testing
