// Cluster starts and owns N karstd Nodes for one integration test, each on its own loopback
// address from an AddressBlock and in its own directory under TEST_TMPDIR. When the test has
// failed (gtest's HasFailure() or MarkFailed()), the destructor prints the tail of every node's
// log to stderr and copies the logs into TEST_UNDECLARED_OUTPUTS_DIR. Not thread-safe: use a
// Cluster from the test's main thread.
#ifndef KARST_TESTS_HARNESS_CLUSTER_H_
#define KARST_TESTS_HARNESS_CLUSTER_H_

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/harness/address_block.h"
#include "tests/harness/node.h"

namespace karst::testing {

struct ClusterOptions {
  // REQUIRED: path of the karstd binary.
  std::string karstd_path;
  int num_nodes = 3;
  // Node i gets node.id first_node_id + i and address address_block.Address(i).
  int first_node_id = 1;
  // Default: AddressBlock::ForCurrentTest().
  std::optional<AddressBlock> address_block;
  std::string process_roles = "broker,controller";
  int kafka_port = 9092;
  int controller_port = 9093;
  int admin_port = 9644;
  std::string logger_level = "debug";
  // Every node's cluster.id. Empty: the name of the cluster's own temporary directory
  // ("karst-cluster-XXXXXX"), so each Cluster differs from every other.
  std::string cluster_id;
  // Extra server.properties entries for every node.
  std::map<std::string, std::string> properties;
  // Called for each node after the defaults above are filled in: edit per-node properties,
  // overrides or roles here (e.g. 3 controllers and 2 brokers). Afterwards every node whose
  // quorum_voters is still empty gets the cluster's voters: each node whose process_roles
  // include controller, as "<node id>@<address>:<controller_port>".
  std::function<void(int index, const AddressBlock& block, NodeOptions& node)> customize_node;
  // Parent of the cluster's temporary directory. Default: $TEST_TMPDIR, else /tmp.
  std::filesystem::path base_dir;
  // Lines of each log printed on failure.
  int log_tail_lines = 200;
};

class Cluster {
 public:
  // Creates the cluster's directory and its Nodes; starts nothing.
  // Errors: kInvalidArgument for a bad num_nodes or empty karstd_path; kInternal if the
  // directory cannot be created.
  static absl::StatusOr<std::unique_ptr<Cluster>> Create(ClusterOptions options);
  // Dumps logs if the test failed, then SIGKILLs every node still running.
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Starts every node, then waits until each answers /healthz and then /readyz (brokers
  // registered and caught up, controllers knowing the active one), so a test starts on a
  // whole cluster. Errors: the first Start, WaitHealthy or WaitReady error, naming the node.
  absl::Status StartAll(absl::Duration healthy_timeout = absl::Seconds(30));
  absl::Status WaitAllHealthy(absl::Duration timeout);
  absl::Status WaitAllReady(absl::Duration timeout);
  // Terminates every running node in index order, each within `timeout`, and checks that each
  // exited with code 0. Errors: kDeadlineExceeded or kInternal naming
  // each node that did not exit cleanly.
  absl::Status TerminateAll(absl::Duration timeout = absl::Seconds(10));

  // REQUIRES: 0 <= index < size().
  Node& node(int index) { return *nodes_[index]; }
  int size() const { return static_cast<int>(nodes_.size()); }
  const AddressBlock& address_block() const { return block_; }
  const std::filesystem::path& dir() const { return dir_; }
  // The cluster.id given to the nodes (before customize_node).
  const std::string& cluster_id() const { return cluster_id_; }
  // "a:9092,b:9092,...", for bootstrap.servers: every node with the broker role.
  std::string BootstrapServers() const;
  // controller.quorum.voters as given to the nodes: "1@a:9093,2@b:9093,...".
  const std::string& QuorumVoters() const { return quorum_voters_; }

  // Makes the destructor dump logs even if gtest saw no failure.
  void MarkFailed() { failed_ = true; }
  // Prints each node's log tail to stderr and copies the logs (and server.properties) into
  // $TEST_UNDECLARED_OUTPUTS_DIR/<test name>/ when that variable is set.
  void DumpLogs() const;

 private:
  Cluster(ClusterOptions options, AddressBlock block, std::filesystem::path dir);
  void CopyLogs(const std::filesystem::path& outputs_dir) const;

  ClusterOptions options_;
  AddressBlock block_;
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::string quorum_voters_;
  std::string cluster_id_;
  bool failed_ = false;
};

}  // namespace karst::testing

#endif  // KARST_TESTS_HARNESS_CLUSTER_H_
