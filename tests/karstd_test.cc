// karstd as a user meets it: a real process with a generated config. It serves Prometheus
// metrics with the build-info gauge, stops on SIGTERM with exit 0 inside its 5 s deadline,
// and refuses bad configuration with exit 2 and a message naming the key and its source. Its
// data dirs belong to one cluster: storage of another cluster.id stops it with exit 2, and a
// broker of another cluster never registers with the controllers.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/harness/address_block.h"
#include "tests/harness/cluster.h"
#include "tests/harness/node.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

using ::testing::HasSubstr;

NodeOptions Options(const std::string& name) {
  NodeOptions options;
  options.karstd_path = std::getenv("KARSTD");
  options.node_id = 1;
  options.address = AddressBlock::ForCurrentTest().Address(0);
  // A combined node: a broker needs a controller quorum (its own, here).
  options.process_roles = "broker,controller";
  options.logger_level = "info";
  options.dir = std::filesystem::path(std::getenv("TEST_TMPDIR")) / name;
  return options;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits for a node that should refuse to start, and returns its exit status.
absl::StatusOr<ExitStatus> WaitForExit(Node& node) {
  absl::Status exited =
      WaitFor([&] { return !node.IsRunning(); }, absl::Seconds(10), "karstd to exit");
  if (!exited.ok()) return exited;
  return *node.exit_status();
}

TEST(Karstd, ServesMetricsWithTheBuildInfoGauge) {
  Node node(Options("metrics"));
  ASSERT_OK(node.Start());
  ASSERT_OK(node.WaitHealthy(absl::Seconds(20)));
  ASSERT_OK_AND_ASSIGN(HttpResponse metrics, node.AdminGet("/metrics"));
  EXPECT_EQ(metrics.status_code, 200);
  EXPECT_THAT(metrics.body, HasSubstr("# TYPE karst_build_info gauge"));
  EXPECT_THAT(metrics.body, HasSubstr("version=\"0.1.0\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr("process_cpu_seconds_total"));
  ASSERT_OK_AND_ASSIGN(ExitStatus status, node.Terminate(absl::Seconds(5)));
  EXPECT_TRUE(status.Success()) << status.ToString();
}

TEST(Karstd, SigtermExitsZeroWithinTheShutdownDeadline) {
  Node node(Options("sigterm"));
  ASSERT_OK(node.Start());
  ASSERT_OK(node.WaitHealthy(absl::Seconds(20)));
  // Terminate fails with kDeadlineExceeded if the process outlives the 5 s contract.
  ASSERT_OK_AND_ASSIGN(ExitStatus status, node.Terminate(absl::Seconds(5)));
  EXPECT_TRUE(status.Success()) << status.ToString();
  EXPECT_THAT(ReadFile(node.log_path()), HasSubstr("shutdown complete"));
}

TEST(Karstd, BadValueInTheFileExitsTwoNamingKeyFileAndLine) {
  NodeOptions options = Options("bad-value");
  options.properties["num.partitions"] = "zero";
  Node node(options);
  ASSERT_OK(node.Start());
  ASSERT_OK_AND_ASSIGN(ExitStatus status, WaitForExit(node));
  EXPECT_EQ(status.exit_code, 2);
  const std::string log = ReadFile(node.log_path());
  EXPECT_THAT(
      log, HasSubstr(absl::StrCat("num.partitions = 'zero' (", node.config_path().string(), ":")));
  EXPECT_THAT(log, HasSubstr("expected an integer in [1, 2147483647]"));
}

TEST(Karstd, UnknownKeyAndUnknownRoleAreStartUpErrors) {
  NodeOptions unknown = Options("unknown-key");
  unknown.properties["num.partitons"] = "3";
  Node a(unknown);
  ASSERT_OK(a.Start());
  ASSERT_OK_AND_ASSIGN(ExitStatus a_status, WaitForExit(a));
  EXPECT_EQ(a_status.exit_code, 2);
  EXPECT_THAT(ReadFile(a.log_path()), HasSubstr("unknown configuration key 'num.partitons'"));

  NodeOptions role = Options("unknown-role");
  role.overrides = {"process.roles=broker,gateway"};
  Node b(role);
  ASSERT_OK(b.Start());
  ASSERT_OK_AND_ASSIGN(ExitStatus b_status, WaitForExit(b));
  EXPECT_EQ(b_status.exit_code, 2);
  EXPECT_THAT(ReadFile(b.log_path()),
              HasSubstr("(flag --override process.roles=broker,gateway): 'gateway' is not "
                        "allowed"));
}

TEST(Karstd, FlagBeatsEnvironmentBeatsFile) {
  NodeOptions options = Options("precedence");
  options.properties["num.partitions"] = "3";
  options.properties["default.replication.factor"] = "1";
  options.environment = {"KARST_NUM_PARTITIONS=5", "KARST_DEFAULT_REPLICATION_FACTOR=2"};
  options.overrides = {"num.partitions=7"};
  Node node(options);
  ASSERT_OK(node.Start());
  ASSERT_OK(node.WaitHealthy(absl::Seconds(20)));
  const std::string log = ReadFile(node.log_path());
  EXPECT_THAT(log, HasSubstr("num.partitions=7 (flag --override num.partitions=7)"));
  EXPECT_THAT(log, HasSubstr("default.replication.factor=2 (environment variable "
                             "KARST_DEFAULT_REPLICATION_FACTOR)"));
  ASSERT_OK_AND_ASSIGN(ExitStatus status, node.Terminate(absl::Seconds(5)));
  EXPECT_TRUE(status.Success());
}

TEST(Karstd, AdminPortInUseExitsOne) {
  NodeOptions options = Options("port-in-use");
  Node first(options);
  ASSERT_OK(first.Start());
  ASSERT_OK(first.WaitHealthy(absl::Seconds(20)));
  options.dir = options.dir.string() + "-second";
  Node second(options);
  ASSERT_OK(second.Start());
  ASSERT_OK_AND_ASSIGN(ExitStatus status, WaitForExit(second));
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_THAT(ReadFile(second.log_path()), HasSubstr("cannot listen"));
  ASSERT_OK_AND_ASSIGN(ExitStatus first_status, first.Terminate(absl::Seconds(5)));
  EXPECT_TRUE(first_status.Success());
}

TEST(Karstd, BrokerWithoutControllerVotersExitsOne) {
  NodeOptions options = Options("broker-without-voters");
  options.process_roles = "broker";
  Node node(options);
  ASSERT_OK(node.Start());
  ASSERT_OK_AND_ASSIGN(ExitStatus status, WaitForExit(node));
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_THAT(ReadFile(node.log_path()),
              HasSubstr("a broker needs controller.quorum.voters to find the controllers"));
}

TEST(Karstd, StorageOfAnotherClusterExitsTwoNamingBothIds) {
  NodeOptions options = Options("other-cluster");
  options.cluster_id = "cluster-a";
  {
    Node first(options);
    ASSERT_OK(first.Start());
    ASSERT_OK(first.WaitHealthy(absl::Seconds(20)));
    ASSERT_OK_AND_ASSIGN(ExitStatus status, first.Terminate(absl::Seconds(5)));
    EXPECT_TRUE(status.Success()) << status.ToString();
  }
  const std::filesystem::path meta = options.dir / "data" / "meta.properties";
  EXPECT_THAT(ReadFile(meta), HasSubstr("version=1\ncluster.id=cluster-a\nnode.id=1\n"));

  options.overrides = {"cluster.id=cluster-b"};
  Node second(options);
  ASSERT_OK(second.Start());
  ASSERT_OK_AND_ASSIGN(ExitStatus status, WaitForExit(second));
  EXPECT_EQ(status.exit_code, 2);
  EXPECT_THAT(ReadFile(second.log_path()),
              HasSubstr(absl::StrCat("karstd: configuration error: ", meta.string(),
                                     ": cluster.id 'cluster-a' does not match cluster.id "
                                     "'cluster-b' (flag --override cluster.id=cluster-b)")));
}

TEST(Karstd, UnformattedStorageWithoutAClusterIdExitsTwo) {
  NodeOptions options = Options("no-cluster-id");
  options.properties["cluster.id"] = "";
  Node node(options);
  ASSERT_OK(node.Start());
  ASSERT_OK_AND_ASSIGN(ExitStatus status, WaitForExit(node));
  EXPECT_EQ(status.exit_code, 2);
  EXPECT_THAT(ReadFile(node.log_path()),
              HasSubstr(absl::StrCat("log dir ", (options.dir / "data").string(),
                                     " is not formatted: set cluster.id (e.g. KARST_CLUSTER_ID=")));
  EXPECT_FALSE(std::filesystem::exists(options.dir / "data" / "meta.properties"));
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST(Karstd, BrokerOfAnotherClusterIsRefusedAndNeverRegisters) {
  ClusterOptions options;
  options.karstd_path = std::getenv("KARSTD");
  options.num_nodes = 2;
  options.logger_level = "info";
  // Frequent heartbeats, so the test sees many refusals logged once.
  options.properties["broker.heartbeat.interval.ms"] = "100";
  options.customize_node = [](int index, const AddressBlock&, NodeOptions& node) {
    if (index == 1) {
      node.process_roles = "broker";
      node.cluster_id = "another-cluster";
    }
  };
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cluster> cluster, Cluster::Create(options));
  Node& controller = cluster->node(0);
  Node& stranger = cluster->node(1);
  // Not StartAll: the stranger never gets ready.
  ASSERT_OK(controller.Start());
  ASSERT_OK(stranger.Start());
  ASSERT_OK(cluster->WaitAllHealthy(absl::Seconds(30)));
  // The controller's own broker registers: the cluster works.
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        absl::StatusOr<HttpResponse> ready = controller.AdminGet("/readyz");
        if (!ready.ok()) return ready.status();
        if (ready->status_code != 200) return absl::UnavailableError(ready->body);
        return absl::OkStatus();
      },
      absl::Seconds(30), "node 1 /readyz"));
  ASSERT_OK(WaitFor(
      [&] {
        return ReadFile(stranger.log_path()).find("INCONSISTENT_CLUSTER_ID") != std::string::npos;
      },
      absl::Seconds(30), "the broker of another cluster to log its refusal"));
  const std::string refusal = absl::StrCat(
      "cluster.id 'another-cluster' but this controller is in "
      "cluster.id '",
      cluster->cluster_id(), "'");
  EXPECT_THAT(ReadFile(stranger.log_path()), HasSubstr(refusal));
  ASSERT_OK(
      WaitFor([&] { return ReadFile(controller.log_path()).find(refusal) != std::string::npos; },
              absl::Seconds(10), "the controller to log the refusal"));
  // The controller counts one active broker, its own; the stranger is neither registered nor
  // ready.
  std::string metrics;
  ASSERT_OK(WaitFor(
      [&] {
        absl::StatusOr<HttpResponse> r = controller.AdminGet("/metrics");
        metrics = r.ok() ? r->body : "";
        return absl::StrContains(metrics, "karst_controller_active_broker_count 1\n");
      },
      absl::Seconds(10), "the controller's gauges to count its own broker"));
  EXPECT_THAT(metrics, HasSubstr("karst_controller_fenced_broker_count 0\n"));
  ASSERT_OK_AND_ASSIGN(HttpResponse stranger_ready, stranger.AdminGet("/readyz"));
  EXPECT_NE(stranger_ready.status_code, 200);
  // Dozens of refused heartbeats and fetches by now; each side logged the first only.
  EXPECT_EQ(Count(ReadFile(stranger.log_path()), "INCONSISTENT_CLUSTER_ID"), 1);
  EXPECT_THAT(ReadFile(stranger.log_path()),
              ::testing::Not(HasSubstr("registered with broker epoch")));
  ASSERT_OK(cluster->TerminateAll());
}

}  // namespace
}  // namespace karst::testing
