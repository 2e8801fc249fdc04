// Tests of the harness itself: WaitFor, AddressBlock, Node and Cluster against fake_karstd
// ($FAKE_KARSTD), and NetworkCutter on plain loopback sockets. The NetworkCutter tests need
// root and nftables and fail (never skip) without them.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/address_block.h"
#include "tests/harness/cluster.h"
#include "tests/harness/network_cutter.h"
#include "tests/harness/node.h"
#include "tests/harness/subprocess.h"
#include "tests/harness/tcp.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::Duration kConnectTimeout = absl::Seconds(2);
// Long enough for a loopback handshake many times over, short enough to keep the test quick.
constexpr absl::Duration kBlockedConnectTimeout = absl::Milliseconds(300);

TEST(WaitFor, ReturnsDeadlineExceededNamingTheConditionThatNeverHolds) {
  FakeClock clock;
  EXPECT_THAT(WaitFor([] { return false; }, absl::Seconds(5), "the impossible", clock),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("the impossible")));
  EXPECT_EQ(clock.Monotonic(), absl::Seconds(5));
}

TEST(WaitFor, ReturnsOkOnceTheConditionBecomesTrue) {
  FakeClock clock;
  int calls = 0;
  EXPECT_OK(WaitFor([&calls] { return ++calls == 5; }, absl::Seconds(10), "5 calls", clock));
  EXPECT_EQ(calls, 5);
  EXPECT_LT(clock.Monotonic(), absl::Seconds(1));
}

TEST(WaitFor, AcceptsAWallClockDeadline) {
  FakeClock clock;
  EXPECT_THAT(WaitFor([] { return false; }, clock.Now() + absl::Seconds(2), "never", clock),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(clock.Monotonic(), absl::Seconds(2));
}

TEST(WaitForOk, ReportsTheLastErrorOnTimeout) {
  FakeClock clock;
  EXPECT_THAT(WaitForOk([] { return absl::UnavailableError("peer down"); }, absl::Seconds(1),
                        "peer", clock),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("last error: UNAVAILABLE")));
}

TEST(AddressBlock, GivesEachNodeItsOwnLoopbackAddressOutside127_0_0) {
  AddressBlock block = AddressBlock::ForCurrentTest();
  EXPECT_THAT(block.prefix(), StartsWith("127."));
  EXPECT_THAT(block.prefix(), ::testing::Not(StartsWith("127.0.")));
  EXPECT_EQ(block.Address(0), block.prefix() + ".2");
  EXPECT_EQ(block.Address(1), block.prefix() + ".3");
  EXPECT_OK(AddressBlock::FromPrefix("127.0.0"));
  EXPECT_THAT(AddressBlock::FromPrefix("10.0.0"), StatusIs(absl::StatusCode::kInvalidArgument));
}

std::string FakeKarstd() {
  const char* fake = std::getenv("FAKE_KARSTD");
  EXPECT_NE(fake, nullptr) << "set FAKE_KARSTD (the BUILD target does)";
  return fake == nullptr ? "" : fake;
}

NodeOptions FakeNodeOptions(const std::string& dir_name) {
  NodeOptions options;
  options.karstd_path = FakeKarstd();
  options.address = AddressBlock::ForCurrentTest().Address(0);
  const char* tmp = std::getenv("TEST_TMPDIR");
  options.dir = std::filesystem::path(tmp == nullptr ? "/tmp" : tmp) / dir_name;
  return options;
}

TEST(Node, ServesAdminEndpointsLogsOutputAndExitsZeroOnTerminate) {
  Node node(FakeNodeOptions("serves"));
  ASSERT_OK(node.Start());
  ASSERT_OK(node.WaitHealthy(absl::Seconds(10)));
  ASSERT_OK_AND_ASSIGN(HttpResponse metrics, node.AdminGet("/metrics"));
  EXPECT_EQ(metrics.status_code, 200);
  EXPECT_THAT(metrics.body, HasSubstr("karst_up 1"));
  ASSERT_OK_AND_ASSIGN(ExitStatus exited, node.Terminate());
  EXPECT_TRUE(exited.Success()) << exited.ToString();
  EXPECT_THAT(node.TailLog(10), HasSubstr("stopping on signal"));
  EXPECT_THAT(node.Terminate(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(Node, WaitHealthyFailsFastWhenTheProcessExits) {
  NodeOptions options = FakeNodeOptions("exits");
  options.properties["admin.listener"] = "not-an-address";
  Node node(std::move(options));
  ASSERT_OK(node.Start());
  EXPECT_THAT(node.WaitHealthy(absl::Seconds(30)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("exit code 1")));
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(Cluster, WritesKraftPropertiesWithCallerCustomizations) {
  ClusterOptions options;
  options.karstd_path = FakeKarstd();
  options.properties["num.partitions"] = "3";
  options.customize_node = [](int index, const AddressBlock&, NodeOptions& node) {
    if (index == 2) node.process_roles = "broker";
  };
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cluster> cluster, Cluster::Create(std::move(options)));
  ASSERT_OK(cluster->StartAll(absl::Seconds(10)));
  const Node& controller = cluster->node(0);
  const std::string voters =
      absl::StrCat("1@", controller.address(), ":9093,2@", cluster->node(1).address(), ":9093");
  EXPECT_EQ(cluster->QuorumVoters(), voters);
  const std::string combined = ReadFile(controller.config_path());
  EXPECT_THAT(combined, HasSubstr("node.id=1\n"));
  EXPECT_THAT(combined, HasSubstr("process.roles=broker,controller\n"));
  EXPECT_THAT(combined,
              HasSubstr(absl::StrCat("listeners=PLAINTEXT://", controller.address(),
                                     ":9092,CONTROLLER://", controller.address(), ":9093\n")));
  EXPECT_THAT(combined, HasSubstr("controller.quorum.voters=" + voters));
  EXPECT_THAT(combined, HasSubstr("num.partitions=3\n"));
  const std::string broker = ReadFile(cluster->node(2).config_path());
  EXPECT_THAT(broker, ::testing::Not(HasSubstr("CONTROLLER://")));
  EXPECT_THAT(broker, HasSubstr("controller.quorum.voters=" + voters));
  EXPECT_EQ(cluster->BootstrapServers(),
            absl::StrCat(controller.kafka_address(), ",", cluster->node(1).kafka_address(), ",",
                         cluster->node(2).kafka_address()));
  EXPECT_OK(cluster->TerminateAll());
}

TEST(Cluster, DumpLogsCopiesEachNodeLogToUndeclaredOutputs) {
  const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  ASSERT_NE(outputs, nullptr) << "run under bazel test";
  ClusterOptions options;
  options.karstd_path = FakeKarstd();
  options.num_nodes = 2;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cluster> cluster, Cluster::Create(std::move(options)));
  ASSERT_OK(cluster->StartAll(absl::Seconds(10)));
  cluster->DumpLogs();
  const std::filesystem::path copied = std::filesystem::path(outputs) /
                                       "Cluster.DumpLogsCopiesEachNodeLogToUndeclaredOutputs" /
                                       "node-2" / "karstd.log";
  EXPECT_THAT(ReadFile(copied), HasSubstr("serving"));
  EXPECT_OK(cluster->TerminateAll());
}

std::unique_ptr<NetworkCutter> NewCutter() {
  absl::StatusOr<std::unique_ptr<NetworkCutter>> cutter = NetworkCutter::Create();
  EXPECT_OK(cutter);
  return cutter.ok() ? std::move(*cutter) : nullptr;
}

// A connect from `source` to a fresh listener on `target`; its status only.
absl::Status ConnectBetween(const std::string& source, const std::string& target,
                            absl::Duration timeout) {
  ASSIGN_OR_RETURN(const ScopedFd listener, ListenTcp(target, 0));
  ASSIGN_OR_RETURN(const int port, LocalPort(listener.get()));
  return ConnectTcp(source, target, port, timeout).status();
}

TEST(NetworkCutter, CutDropsNewConnectionsBothWaysAndHealRestoresThem) {
  std::unique_ptr<NetworkCutter> cutter = NewCutter();
  ASSERT_NE(cutter, nullptr);
  const AddressBlock block = AddressBlock::ForCurrentTest();
  const std::string a = block.Address(0);
  const std::string b = block.Address(1);
  const std::string c = block.Address(2);
  ASSERT_OK(ConnectBetween(a, b, kConnectTimeout));
  ASSERT_OK(cutter->Cut(a, b));
  EXPECT_THAT(ConnectBetween(a, b, kBlockedConnectTimeout),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(ConnectBetween(b, a, kBlockedConnectTimeout),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_OK(ConnectBetween(a, c, kConnectTimeout)) << "only the cut link is affected";
  ASSERT_OK(cutter->Heal(b, a));
  EXPECT_OK(ConnectBetween(a, b, kConnectTimeout));
  EXPECT_OK(ConnectBetween(b, a, kConnectTimeout));
  EXPECT_OK(cutter->Heal(a, b)) << "healing an uncut link is OK";
}

TEST(NetworkCutter, HealAllRestoresEveryLinkAndDestructorRemovesTable) {
  std::unique_ptr<NetworkCutter> cutter = NewCutter();
  ASSERT_NE(cutter, nullptr);
  const AddressBlock block = AddressBlock::ForCurrentTest();
  const std::string a = block.Address(0);
  ASSERT_OK(cutter->Cut(a, block.Address(1)));
  ASSERT_OK(cutter->Cut(a, block.Address(2)));
  ASSERT_OK(cutter->HealAll());
  EXPECT_OK(ConnectBetween(a, block.Address(1), kConnectTimeout));
  EXPECT_OK(ConnectBetween(a, block.Address(2), kConnectTimeout));
  const std::string table = cutter->table_name();
  cutter.reset();
  ASSERT_OK_AND_ASSIGN(CommandResult listed,
                       RunCommand({"/usr/sbin/nft", "list table inet " + table}));
  EXPECT_FALSE(listed.exit_status.Success()) << "table " << table << " still exists";
}

TEST(NetworkCutter, RejectsAddressesOutsideLoopback) {
  std::unique_ptr<NetworkCutter> cutter = NewCutter();
  ASSERT_NE(cutter, nullptr);
  EXPECT_THAT(cutter->Cut("10.0.0.1", "127.0.0.2"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(cutter->Cut("127.0.0.2", "127.0.0.3; flush ruleset"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace karst::testing
