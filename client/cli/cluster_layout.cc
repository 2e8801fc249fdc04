#include "client/cli/cluster_layout.h"

#include <algorithm>
#include <fstream>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/random.h"
#include "common/status_macros.h"

namespace karst::cli {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxBrokers = 32;

bool IsVoterCount(int n) { return n == 1 || n == 3 || n == 5; }

absl::Status CheckShape(const ClusterShape& shape) {
  if (shape.combined > 0) {
    if (shape.controllers != 0 || shape.brokers != 0) {
      return absl::InvalidArgumentError("combined nodes do not mix with separate roles");
    }
    if (!IsVoterCount(shape.combined)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--nodes ", shape.combined, ": expected 1, 3 or 5"));
    }
    return absl::OkStatus();
  }
  if (!IsVoterCount(shape.controllers)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--controllers ", shape.controllers, ": expected 1, 3 or 5"));
  }
  if (shape.brokers < 1 || shape.brokers > kMaxBrokers) {
    return absl::InvalidArgumentError(
        absl::StrCat("--brokers ", shape.brokers, ": expected 1 to ", kMaxBrokers));
  }
  return absl::OkStatus();
}

// "127.0.0" or "127.0.0." -> "127.0.0.".
absl::StatusOr<std::string> NormalizeBase(absl::string_view base) {
  const std::string prefix(absl::StripSuffix(base, "."));
  const std::vector<std::string> octets = absl::StrSplit(prefix, '.');
  bool valid = octets.size() == 3 && octets[0] == "127";
  for (const std::string& octet : octets) {
    int value = -1;
    valid =
        valid && !octet.empty() && absl::SimpleAtoi(octet, &value) && value >= 0 && value <= 255;
  }
  if (!valid) {
    return absl::InvalidArgumentError(
        absl::StrCat("address base \"", base,
                     "\": expected the first three octets of a 127.x.y.z address, "
                     "e.g. 127.0.0."));
  }
  return prefix + ".";
}

using Properties = std::map<std::string, std::string>;

absl::StatusOr<Properties> ReadProperties(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path.string(), ": cannot open"));
  Properties properties;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#' || text[0] == '!') continue;
    const size_t equals = text.find('=');
    if (equals == absl::string_view::npos) continue;
    properties[std::string(absl::StripAsciiWhitespace(text.substr(0, equals)))] =
        std::string(absl::StripAsciiWhitespace(text.substr(equals + 1)));
  }
  return properties;
}

// "host:port" (the last ':' separates them).
absl::Status ParseHostPort(absl::string_view text, std::string* host, int* port) {
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(text.substr(colon + 1), port)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not host:port"));
  }
  *host = std::string(text.substr(0, colon));
  return absl::OkStatus();
}

struct LoadedNode {
  NodeLayout node;
  std::string cluster_id;  // Empty if unset.
};

absl::StatusOr<LoadedNode> LoadNode(const fs::path& dir) {
  const fs::path path = dir / "server.properties";
  ASSIGN_OR_RETURN(const Properties properties, ReadProperties(path));
  auto get = [&](const std::string& key) -> absl::StatusOr<std::string> {
    auto it = properties.find(key);
    if (it == properties.end() || it->second.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path.string(), ": ", key, " is not set"));
    }
    return it->second;
  };
  NodeLayout node;
  node.dir = dir;
  ASSIGN_OR_RETURN(const std::string id, get("node.id"));
  ASSIGN_OR_RETURN(const std::string roles, get("process.roles"));
  ASSIGN_OR_RETURN(const std::string admin, get("admin.listener"));
  ASSIGN_OR_RETURN(const std::string listeners, get("listeners"));
  if (!absl::SimpleAtoi(id, &node.node_id)) {
    return absl::InvalidArgumentError(absl::StrCat(path.string(), ": node.id ", id));
  }
  const bool broker = absl::StrContains(roles, "broker");
  const bool controller = absl::StrContains(roles, "controller");
  node.roles = broker && controller ? Roles::kBrokerController
               : broker             ? Roles::kBroker
                                    : Roles::kController;
  RETURN_IF_ERROR(Annotate(ParseHostPort(admin, &node.address, &node.admin_port), path.string()));
  for (absl::string_view listener : absl::StrSplit(listeners, ',')) {
    listener = absl::StripAsciiWhitespace(listener);
    std::string host;
    int* port =
        absl::StartsWith(listener, "CONTROLLER://") ? &node.controller_port : &node.kafka_port;
    const size_t scheme = listener.find("://");
    if (scheme == absl::string_view::npos) continue;
    RETURN_IF_ERROR(
        Annotate(ParseHostPort(listener.substr(scheme + 3), &host, port), path.string()));
  }
  const auto cluster_id = properties.find("cluster.id");
  return LoadedNode{std::move(node),
                    cluster_id == properties.end() ? std::string() : cluster_id->second};
}

}  // namespace

std::string NewClusterId(uint64_t seed) {
  static constexpr char kBase64Url[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  SeededRandom random(seed);
  std::string bytes;
  for (int i = 0; i < 2; ++i) {
    const uint64_t word = random.Next();
    for (int b = 0; b < 8; ++b) bytes.push_back(static_cast<char>((word >> (8 * b)) & 0xff));
  }
  // 128 bits in 6-bit groups: 21 whole groups and a last one of 2 bits (no padding).
  std::string id;
  uint32_t buffer = 0;
  int bits = 0;
  for (char byte : bytes) {
    buffer = (buffer << 8) | static_cast<uint8_t>(byte);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      id.push_back(kBase64Url[(buffer >> bits) & 0x3f]);
    }
  }
  if (bits > 0) id.push_back(kBase64Url[(buffer << (6 - bits)) & 0x3f]);
  return id;
}

std::string RolesName(Roles roles) {
  switch (roles) {
    case Roles::kBrokerController:
      return "broker,controller";
    case Roles::kBroker:
      return "broker";
    case Roles::kController:
      return "controller";
  }
  return "?";
}

std::string ClusterShape::ToString() const {
  if (combined > 0) return absl::StrCat(combined, " combined node", combined == 1 ? "" : "s");
  return absl::StrCat(controllers, " controller", controllers == 1 ? "" : "s", " and ", brokers,
                      " broker", brokers == 1 ? "" : "s");
}

std::string NodeLayout::KafkaAddress() const { return absl::StrCat(address, ":", kafka_port); }

std::string NodeLayout::ControllerAddress() const {
  return absl::StrCat(address, ":", controller_port);
}

std::string NodeLayout::MetricsUrl() const {
  return absl::StrCat("http://", address, ":", admin_port, "/metrics");
}

std::string NodeLayout::Name() const { return absl::StrCat("node ", node_id, " (", address, ")"); }

absl::StatusOr<ClusterLayout> ClusterLayout::Create(const LayoutOptions& options) {
  RETURN_IF_ERROR(CheckShape(options.shape));
  ASSIGN_OR_RETURN(const std::string base, NormalizeBase(options.address_base));
  std::vector<NodeLayout> nodes;
  auto add = [&](Roles roles) {
    NodeLayout node;
    node.node_id = static_cast<int>(nodes.size()) + 1;
    node.roles = roles;
    node.address = absl::StrCat(base, kFirstHostByte + node.node_id);
    node.dir = options.dir / absl::StrCat("node-", node.node_id);
    nodes.push_back(std::move(node));
  };
  for (int i = 0; i < options.shape.controllers; ++i) add(Roles::kController);
  for (int i = 0; i < options.shape.brokers; ++i) add(Roles::kBroker);
  for (int i = 0; i < options.shape.combined; ++i) add(Roles::kBrokerController);
  return ClusterLayout(
      options.dir,
      options.cluster_id.empty() ? NewClusterId(SeedFromEntropy()) : options.cluster_id,
      std::move(nodes));
}

bool ClusterLayout::Exists(const fs::path& dir) {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    if (absl::StartsWith(entry.path().filename().string(), "node-") &&
        fs::exists(entry.path() / "server.properties", error)) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<ClusterLayout> ClusterLayout::Load(const fs::path& dir) {
  std::vector<NodeLayout> nodes;
  std::string cluster_id;
  fs::path cluster_id_file;  // The first file with a cluster.id.
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    const fs::path path = entry.path();
    if (!absl::StartsWith(path.filename().string(), "node-") ||
        !fs::exists(path / "server.properties", error)) {
      continue;
    }
    ASSIGN_OR_RETURN(LoadedNode loaded, LoadNode(path));
    if (!loaded.cluster_id.empty() && cluster_id.empty()) {
      cluster_id = loaded.cluster_id;
      cluster_id_file = path / "server.properties";
    } else if (!loaded.cluster_id.empty() && loaded.cluster_id != cluster_id) {
      return absl::InvalidArgumentError(
          absl::StrCat((path / "server.properties").string(), ": cluster.id ", loaded.cluster_id,
                       " differs from cluster.id ", cluster_id, " in ", cluster_id_file.string()));
    }
    nodes.push_back(std::move(loaded.node));
  }
  if (nodes.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no cluster in ", dir.string(), " (no node-<id>/server.properties)"));
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const NodeLayout& a, const NodeLayout& b) { return a.node_id < b.node_id; });
  return ClusterLayout(dir, std::move(cluster_id), std::move(nodes));
}

absl::Status ClusterLayout::AddClusterId(const std::string& cluster_id) {
  for (const NodeLayout& node : nodes_) {
    std::ofstream out(node.ConfigPath(), std::ios::app);
    out << "# Added by `karst cluster up`: the cluster this node belongs to.\n"
        << "cluster.id=" << cluster_id << "\n";
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", node.ConfigPath().string()));
  }
  cluster_id_ = cluster_id;
  return absl::OkStatus();
}

std::map<std::string, std::string> ClusterLayout::Properties(const NodeLayout& node) const {
  const int brokers = Shape().BrokerCount();
  const std::string replication = absl::StrCat(std::min(3, brokers));
  const std::string min_isr = absl::StrCat(std::min(2, brokers));
  std::map<std::string, std::string> p = {
      {"node.id", absl::StrCat(node.node_id)},
      {"cluster.id", cluster_id_},
      {"process.roles", RolesName(node.roles)},
      {"controller.listener.names", "CONTROLLER"},
      {"controller.quorum.voters", QuorumVoters()},
      {"log.dirs", fs::absolute(node.dir / "data").lexically_normal().string()},
      {"admin.listener", absl::StrCat(node.address, ":", node.admin_port)},
      {"logger.level", "info"},
  };
  std::vector<std::string> listeners;
  if (node.IsBroker()) {
    listeners.push_back(absl::StrCat("PLAINTEXT://", node.KafkaAddress()));
    p["advertised.listeners"] = listeners.back();
    p["num.partitions"] = brokers == 1 ? "1" : "3";
    p["default.replication.factor"] = replication;
    p["min.insync.replicas"] = min_isr;
    p["offsets.topic.replication.factor"] = replication;
    p["transaction.state.log.replication.factor"] = replication;
    p["transaction.state.log.min.isr"] = min_isr;
  }
  if (node.IsController()) {
    listeners.push_back(absl::StrCat("CONTROLLER://", node.ControllerAddress()));
  }
  p["listeners"] = absl::StrJoin(listeners, ",");
  return p;
}

absl::Status ClusterLayout::Write() const {
  for (const NodeLayout& node : nodes_) {
    std::error_code error;
    fs::create_directories(node.dir / "data", error);
    if (error) {
      return absl::InternalError(absl::StrCat("mkdir ", node.dir.string(), ": ", error.message()));
    }
    std::ofstream out(node.ConfigPath(), std::ios::trunc);
    out << "# " << node.Name() << " of a local Karst cluster (" << Shape().ToString()
        << "), written by `karst cluster up`.\n"
        << "# `karst cluster up` reuses this file; edits take effect at the next start.\n";
    for (const auto& [key, value] : Properties(node)) out << key << "=" << value << "\n";
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", node.ConfigPath().string()));
  }
  return absl::OkStatus();
}

ClusterShape ClusterLayout::Shape() const {
  ClusterShape shape;
  for (const NodeLayout& node : nodes_) {
    switch (node.roles) {
      case Roles::kBrokerController:
        ++shape.combined;
        break;
      case Roles::kBroker:
        ++shape.brokers;
        break;
      case Roles::kController:
        ++shape.controllers;
        break;
    }
  }
  return shape;
}

std::string ClusterLayout::AddressBase() const {
  const std::string& address = nodes_.front().address;
  return address.substr(0, address.rfind('.') + 1);
}

std::string ClusterLayout::BootstrapServers() const {
  std::vector<std::string> servers;
  for (const NodeLayout& node : nodes_) {
    if (node.IsBroker()) servers.push_back(node.KafkaAddress());
  }
  return absl::StrJoin(servers, ",");
}

std::string ClusterLayout::QuorumVoters() const {
  std::vector<std::string> voters;
  for (const NodeLayout& node : nodes_) {
    if (node.IsController()) {
      voters.push_back(absl::StrCat(node.node_id, "@", node.ControllerAddress()));
    }
  }
  return absl::StrJoin(voters, ",");
}

}  // namespace karst::cli
