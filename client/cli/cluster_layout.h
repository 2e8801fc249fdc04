// ClusterLayout describes a local Karst cluster on disk: its nodes, their roles, loopback
// addresses and directories, and the server.properties each node runs with. `karst cluster up`
// creates it on the first start and reads it back from the node directories afterwards, so a
// restart reuses the same configuration and data. A plain value; not thread-safe.
//
//   <dir>/bootstrap.servers           "127.0.0.11:9092,..." (written by `up`)
//   <dir>/node-<id>/server.properties node <id>'s configuration
//   <dir>/node-<id>/data/             log.dirs
//   <dir>/node-<id>/karstd.log        the node's stdout and stderr
//   <dir>/node-<id>/pid               while the node runs under `karst`
#ifndef KARST_CLIENT_CLI_CLUSTER_LAYOUT_H_
#define KARST_CLIENT_CLI_CLUSTER_LAYOUT_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace karst::cli {

inline constexpr int kKafkaPort = 9092;
inline constexpr int kControllerPort = 9093;
inline constexpr int kAdminPort = 9644;
// Node <id> listens on <address base><kFirstHostByte + id>, e.g. 127.0.0.11 for node 1.
inline constexpr int kFirstHostByte = 10;

enum class Roles { kBrokerController, kBroker, kController };

// "broker,controller", "broker" or "controller", as in process.roles.
std::string RolesName(Roles roles);

// How many nodes of each kind a cluster has. Combined nodes and separate roles do not mix.
struct ClusterShape {
  int combined = 0;
  int controllers = 0;
  int brokers = 0;

  // "3 combined nodes" or "3 controllers and 2 brokers".
  std::string ToString() const;
  // Nodes with the broker role.
  int BrokerCount() const { return combined + brokers; }
  bool operator==(const ClusterShape&) const = default;
};

struct NodeLayout {
  int node_id = 0;
  Roles roles = Roles::kBrokerController;
  std::string address;
  int kafka_port = kKafkaPort;
  int controller_port = kControllerPort;
  int admin_port = kAdminPort;
  std::filesystem::path dir;

  bool IsBroker() const { return roles != Roles::kController; }
  bool IsController() const { return roles != Roles::kBroker; }
  std::string KafkaAddress() const;
  std::string ControllerAddress() const;
  std::string MetricsUrl() const;
  std::filesystem::path ConfigPath() const { return dir / "server.properties"; }
  std::filesystem::path LogPath() const { return dir / "karstd.log"; }
  std::filesystem::path PidPath() const { return dir / "pid"; }
  // "node 2 (127.0.0.12)", for messages.
  std::string Name() const;
};

struct LayoutOptions {
  std::filesystem::path dir;
  ClusterShape shape;
  // The first three octets of a 127.0.0.0/8 address, with or without the trailing dot.
  std::string address_base = "127.0.0.";
  // Every node's cluster.id. Empty: NewClusterId() from the OS's entropy.
  std::string cluster_id;
};

// A random cluster id as Kafka's `kafka-storage random-uuid` prints one: 16 random bytes in
// unpadded base64url (22 characters). The same seed gives the same id.
std::string NewClusterId(uint64_t seed);

class ClusterLayout {
 public:
  // A new layout: controllers get node ids 1..C, then brokers (or combined nodes) the next ids.
  // Errors: kInvalidArgument for a shape other than 1, 3 or 5 combined nodes, or 1, 3 or 5
  // controllers with 1..32 brokers, or an address base outside 127.0.0.0/8.
  static absl::StatusOr<ClusterLayout> Create(const LayoutOptions& options);
  // Reads every <dir>/node-<id>/server.properties. Errors: kNotFound when `dir` holds no node;
  // kInvalidArgument naming the file for a missing or malformed key, or a cluster.id other
  // nodes do not share. cluster_id() is empty if no node has one (written before cluster.id).
  static absl::StatusOr<ClusterLayout> Load(const std::filesystem::path& dir);
  // Whether `dir` holds at least one node-<id>/server.properties.
  static bool Exists(const std::filesystem::path& dir);

  // Creates every node's directory and writes its server.properties.
  // Errors: kInternal naming the path that cannot be written.
  absl::Status Write() const;
  // For a layout written before cluster.id: appends cluster.id=<id> to every server.properties
  // (keeping the user's edits) and uses it from now on. REQUIRES: cluster_id() is empty.
  // Errors: kInternal naming the file that cannot be written.
  absl::Status AddClusterId(const std::string& cluster_id);
  // The server.properties entries of `node` (REQUIRES: one of nodes()).
  std::map<std::string, std::string> Properties(const NodeLayout& node) const;

  ClusterShape Shape() const;
  // The first three octets plus '.', from node addresses ("127.0.0.").
  std::string AddressBase() const;
  // "a:9092,b:9092,...": every node with the broker role.
  std::string BootstrapServers() const;
  // "1@a:9093,2@b:9093,...".
  std::string QuorumVoters() const;
  const std::vector<NodeLayout>& nodes() const { return nodes_; }
  const std::filesystem::path& dir() const { return dir_; }
  const std::string& cluster_id() const { return cluster_id_; }
  std::filesystem::path BootstrapPath() const { return dir_ / "bootstrap.servers"; }

 private:
  ClusterLayout(std::filesystem::path dir, std::string cluster_id, std::vector<NodeLayout> nodes)
      : dir_(std::move(dir)), cluster_id_(std::move(cluster_id)), nodes_(std::move(nodes)) {}

  std::filesystem::path dir_;
  std::string cluster_id_;
  std::vector<NodeLayout> nodes_;  // By node id.
};

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_CLUSTER_LAYOUT_H_
