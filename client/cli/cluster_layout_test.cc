#include "client/cli/cluster_layout.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "client/cli/node_probe.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::cli {
namespace {

namespace fs = std::filesystem;
using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

fs::path TempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(tmp != nullptr ? tmp : "/tmp") / name;
  fs::remove_all(dir);
  return dir;
}

TEST(ClusterLayout, CombinedNodesGetConsecutiveAddressesAndReplicationDefaults) {
  ASSERT_OK_AND_ASSIGN(
      ClusterLayout layout,
      ClusterLayout::Create({.dir = "/c", .shape = {.combined = 3}, .address_base = "127.5.6"}));
  ASSERT_EQ(layout.nodes().size(), 3u);
  EXPECT_EQ(layout.nodes()[0].address, "127.5.6.11");
  EXPECT_EQ(layout.nodes()[2].dir, fs::path("/c/node-3"));
  EXPECT_EQ(layout.BootstrapServers(), "127.5.6.11:9092,127.5.6.12:9092,127.5.6.13:9092");
  EXPECT_EQ(layout.QuorumVoters(), "1@127.5.6.11:9093,2@127.5.6.12:9093,3@127.5.6.13:9093");
  const auto p = layout.Properties(layout.nodes()[1]);
  EXPECT_EQ(p.at("process.roles"), "broker,controller");
  EXPECT_EQ(p.at("listeners"), "PLAINTEXT://127.5.6.12:9092,CONTROLLER://127.5.6.12:9093");
  EXPECT_EQ(p.at("admin.listener"), "127.5.6.12:9644");
  EXPECT_EQ(p.at("default.replication.factor"), "3");
  EXPECT_EQ(p.at("min.insync.replicas"), "2");
  EXPECT_EQ(p.at("num.partitions"), "3");
}

TEST(ClusterLayout, SingleNodeUsesOneReplicaAndOnePartition) {
  ASSERT_OK_AND_ASSIGN(ClusterLayout layout,
                       ClusterLayout::Create({.dir = "/c", .shape = {.combined = 1}}));
  const auto p = layout.Properties(layout.nodes()[0]);
  EXPECT_EQ(layout.nodes()[0].address, "127.0.0.11");
  EXPECT_EQ(p.at("default.replication.factor"), "1");
  EXPECT_EQ(p.at("min.insync.replicas"), "1");
  EXPECT_EQ(p.at("num.partitions"), "1");
}

TEST(ClusterLayout, SeparateRolesPutControllersFirst) {
  ASSERT_OK_AND_ASSIGN(
      ClusterLayout layout,
      ClusterLayout::Create({.dir = "/c", .shape = {.controllers = 3, .brokers = 2}}));
  ASSERT_EQ(layout.nodes().size(), 5u);
  EXPECT_EQ(layout.nodes()[0].roles, Roles::kController);
  EXPECT_EQ(layout.nodes()[3].roles, Roles::kBroker);
  EXPECT_EQ(layout.BootstrapServers(), "127.0.0.14:9092,127.0.0.15:9092");
  EXPECT_EQ(layout.Properties(layout.nodes()[0]).at("listeners"), "CONTROLLER://127.0.0.11:9093");
  const auto broker = layout.Properties(layout.nodes()[4]);
  EXPECT_EQ(broker.at("listeners"), "PLAINTEXT://127.0.0.15:9092");
  EXPECT_EQ(broker.at("default.replication.factor"), "2");
  EXPECT_EQ(broker.at("controller.quorum.voters"),
            "1@127.0.0.11:9093,2@127.0.0.12:9093,3@127.0.0.13:9093");
}

TEST(ClusterLayout, RejectsUnsupportedShapesAndAddresses) {
  EXPECT_THAT(ClusterLayout::Create({.dir = "/c", .shape = {.combined = 2}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--nodes 2")));
  EXPECT_THAT(ClusterLayout::Create({.dir = "/c", .shape = {.controllers = 3}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--brokers 0")));
  EXPECT_THAT(
      ClusterLayout::Create({.dir = "/c", .shape = {.combined = 1}, .address_base = "10.0.0."})
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("10.0.0.")));
}

TEST(ClusterLayout, LoadReadsBackWhatWriteWrote) {
  const fs::path dir = TempDir("load");
  EXPECT_FALSE(ClusterLayout::Exists(dir));
  ASSERT_OK_AND_ASSIGN(
      ClusterLayout written,
      ClusterLayout::Create(
          {.dir = dir, .shape = {.controllers = 1, .brokers = 3}, .address_base = "127.9.9."}));
  ASSERT_OK(written.Write());
  EXPECT_TRUE(ClusterLayout::Exists(dir));
  ASSERT_OK_AND_ASSIGN(ClusterLayout loaded, ClusterLayout::Load(dir));
  EXPECT_EQ(loaded.Shape(), (ClusterShape{.controllers = 1, .brokers = 3}));
  EXPECT_EQ(loaded.AddressBase(), "127.9.9.");
  EXPECT_EQ(loaded.BootstrapServers(), written.BootstrapServers());
  EXPECT_EQ(loaded.QuorumVoters(), written.QuorumVoters());
  EXPECT_EQ(loaded.nodes()[2].dir, dir / "node-3");
  // The random cluster id of the first up is written for every node and read back.
  EXPECT_EQ(written.cluster_id().size(), 22u);
  EXPECT_EQ(loaded.cluster_id(), written.cluster_id());
  EXPECT_EQ(loaded.Properties(loaded.nodes()[0]).at("cluster.id"), written.cluster_id());
}

TEST(ClusterLayout, ALayoutWithoutAClusterIdGetsOneAppended) {
  const fs::path dir = TempDir("no-cluster-id");
  ASSERT_OK_AND_ASSIGN(ClusterLayout written,
                       ClusterLayout::Create({.dir = dir, .shape = {.combined = 3}}));
  ASSERT_OK(written.Write());
  for (const NodeLayout& node : written.nodes()) {  // As written before cluster.id existed.
    std::ifstream in(node.ConfigPath());
    std::string text, line;
    while (std::getline(in, line)) {
      if (line.rfind("cluster.id=", 0) != 0) text += line + "\n";
    }
    in.close();
    std::ofstream(node.ConfigPath(), std::ios::trunc) << text;
  }
  ASSERT_OK_AND_ASSIGN(ClusterLayout old, ClusterLayout::Load(dir));
  EXPECT_EQ(old.cluster_id(), "");
  ASSERT_OK(old.AddClusterId("abc"));
  ASSERT_OK_AND_ASSIGN(ClusterLayout loaded, ClusterLayout::Load(dir));
  EXPECT_EQ(loaded.cluster_id(), "abc");
}

TEST(NewClusterId, IsTwentyTwoBase64UrlCharactersPerSeed) {
  const std::string id = NewClusterId(42);
  EXPECT_EQ(id, NewClusterId(42));
  EXPECT_NE(id, NewClusterId(43));
  ASSERT_EQ(id.size(), 22u);
  EXPECT_EQ(
      id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
}

TEST(ClusterLayout, LoadOfAnEmptyDirIsNotFound) {
  EXPECT_THAT(ClusterLayout::Load(TempDir("empty")).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(FindMetric, MatchesTheWholeNameWithAnyLabels) {
  const std::string text =
      "# HELP karst_raft_leader_changes_total x\n"
      "karst_raft_leader_changes_total{group=\"metadata\"} 4\n"
      "karst_raft_leader{group=\"metadata\"} 2\n";
  ASSERT_OK_AND_ASSIGN(double leader, FindMetric(text, "karst_raft_leader"));
  EXPECT_EQ(leader, 2);
  EXPECT_THAT(FindMetric(text, "karst_raft_term").status(), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace karst::cli
