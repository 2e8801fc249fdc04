#include "tests/harness/cluster.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"

namespace karst::testing {
namespace {

std::filesystem::path DefaultBaseDir() {
  const char* tmp = getenv("TEST_TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

absl::StatusOr<std::filesystem::path> MakeTempDir(const std::filesystem::path& base) {
  std::string pattern = (base / "karst-cluster-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, ": ", strerror(errno)));
  }
  return std::filesystem::path(pattern);
}

// "Suite.Name" with '/' (from parameterized tests) made safe for a directory name.
std::string TestDirName() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return "no-test";
  return absl::StrReplaceAll(absl::StrCat(info->test_suite_name(), ".", info->name()),
                             {{"/", "_"}});
}

NodeOptions DefaultNodeOptions(const ClusterOptions& options, const AddressBlock& block,
                               const std::filesystem::path& dir, const std::string& cluster_id,
                               int index) {
  NodeOptions node;
  node.karstd_path = options.karstd_path;
  node.node_id = options.first_node_id + index;
  node.address = block.Address(index);
  node.process_roles = options.process_roles;
  node.kafka_port = options.kafka_port;
  node.controller_port = options.controller_port;
  node.admin_port = options.admin_port;
  node.logger_level = options.logger_level;
  node.cluster_id = cluster_id;
  node.dir = dir / absl::StrCat("node-", node.node_id);
  node.properties = options.properties;
  return node;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Create(ClusterOptions options) {
  if (options.num_nodes < 1 || options.num_nodes > AddressBlock::kMaxNodes) {
    return absl::InvalidArgumentError(absl::StrCat("cluster: num_nodes ", options.num_nodes,
                                                   " outside [1, ", AddressBlock::kMaxNodes, "]"));
  }
  if (options.karstd_path.empty()) {
    return absl::InvalidArgumentError("cluster: karstd_path is empty");
  }
  // Relative paths (from $(rootpath)) stay valid whatever the cwd becomes later.
  options.karstd_path = std::filesystem::absolute(options.karstd_path).string();
  const std::filesystem::path base = options.base_dir.empty() ? DefaultBaseDir() : options.base_dir;
  ASSIGN_OR_RETURN(std::filesystem::path dir, MakeTempDir(base));
  AddressBlock block = options.address_block.value_or(AddressBlock::ForCurrentTest());
  return std::unique_ptr<Cluster>(
      new Cluster(std::move(options), std::move(block), std::move(dir)));
}

Cluster::Cluster(ClusterOptions options, AddressBlock block, std::filesystem::path dir)
    : options_(std::move(options)),
      block_(std::move(block)),
      dir_(std::move(dir)),
      cluster_id_(options_.cluster_id.empty() ? dir_.filename().string() : options_.cluster_id) {
  std::vector<NodeOptions> nodes;
  std::vector<std::string> voters;
  for (int i = 0; i < options_.num_nodes; ++i) {
    NodeOptions node = DefaultNodeOptions(options_, block_, dir_, cluster_id_, i);
    if (options_.customize_node) options_.customize_node(i, block_, node);
    if (absl::StrContains(node.process_roles, "controller")) {
      voters.push_back(absl::StrCat(node.node_id, "@", node.address, ":", node.controller_port));
    }
    nodes.push_back(std::move(node));
  }
  quorum_voters_ = absl::StrJoin(voters, ",");
  for (NodeOptions& node : nodes) {
    if (node.quorum_voters.empty()) node.quorum_voters = quorum_voters_;
    nodes_.push_back(std::make_unique<Node>(std::move(node)));
  }
}

Cluster::~Cluster() {
  // Kill first, so the logs we print are complete.
  for (auto& node : nodes_) {
    if (!node->IsRunning()) continue;
    absl::Status killed = node->Kill9();
    if (!killed.ok()) fprintf(stderr, "karst harness: %s\n", killed.ToString().c_str());
  }
  if (failed_ || ::testing::Test::HasFailure()) {
    DumpLogs();
    fprintf(stderr, "karst harness: cluster files kept in %s\n", dir_.c_str());
    return;
  }
  std::error_code ignored;  // Best effort: Bazel removes TEST_TMPDIR anyway.
  std::filesystem::remove_all(dir_, ignored);
}

absl::Status Cluster::StartAll(absl::Duration healthy_timeout) {
  for (auto& node : nodes_) RETURN_IF_ERROR(node->Start());
  Clock& clock = SystemClock::Get();
  const absl::Duration deadline = clock.Monotonic() + healthy_timeout;
  RETURN_IF_ERROR(WaitAllHealthy(healthy_timeout));
  return WaitAllReady(deadline - clock.Monotonic());
}

absl::Status Cluster::WaitAllReady(absl::Duration timeout) {
  Clock& clock = SystemClock::Get();
  const absl::Duration deadline = clock.Monotonic() + timeout;
  for (auto& node : nodes_) {
    RETURN_IF_ERROR(node->WaitReady(deadline - clock.Monotonic()));
  }
  return absl::OkStatus();
}

absl::Status Cluster::WaitAllHealthy(absl::Duration timeout) {
  Clock& clock = SystemClock::Get();
  const absl::Duration deadline = clock.Monotonic() + timeout;
  for (auto& node : nodes_) {
    RETURN_IF_ERROR(node->WaitHealthy(deadline - clock.Monotonic()));
  }
  return absl::OkStatus();
}

absl::Status Cluster::TerminateAll(absl::Duration timeout) {
  std::vector<std::string> errors;
  for (auto& node : nodes_) {
    if (!node->IsRunning()) continue;
    absl::StatusOr<ExitStatus> exited = node->Terminate(timeout);
    if (!exited.ok()) {
      errors.push_back(std::string(exited.status().message()));
    } else if (!exited->Success()) {
      errors.push_back(absl::StrCat(node->name(), ": ", exited->ToString(), " after SIGTERM"));
    }
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::InternalError(absl::StrJoin(errors, "; "));
}

std::string Cluster::BootstrapServers() const {
  std::vector<std::string> brokers;
  for (const auto& node : nodes_) {
    if (node->IsBroker()) brokers.push_back(node->kafka_address());
  }
  return absl::StrJoin(brokers, ",");
}

void Cluster::DumpLogs() const {
  for (const auto& node : nodes_) {
    fprintf(stderr, "==== karst harness: %s: last %d lines of %s ====\n%s==== end of %s ====\n",
            node->name().c_str(), options_.log_tail_lines, node->log_path().c_str(),
            node->TailLog(options_.log_tail_lines).c_str(), node->name().c_str());
  }
  const char* outputs = getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  if (outputs != nullptr && *outputs != '\0') CopyLogs(std::filesystem::path(outputs));
}

void Cluster::CopyLogs(const std::filesystem::path& outputs_dir) const {
  const std::filesystem::path test_dir = outputs_dir / TestDirName();
  for (const auto& node : nodes_) {
    const std::filesystem::path dest = test_dir / absl::StrCat("node-", node->node_id());
    std::error_code error;
    std::filesystem::create_directories(dest, error);
    for (const std::filesystem::path& file : {node->log_path(), node->config_path()}) {
      if (error || !std::filesystem::exists(file)) continue;
      std::filesystem::copy_file(file, dest / file.filename(),
                                 std::filesystem::copy_options::overwrite_existing, error);
    }
    if (error) {
      fprintf(stderr, "karst harness: copying %s logs to %s: %s\n", node->name().c_str(),
              dest.c_str(), error.message().c_str());
    }
  }
  fprintf(stderr, "karst harness: logs copied to %s\n", test_dir.c_str());
}

}  // namespace karst::testing
