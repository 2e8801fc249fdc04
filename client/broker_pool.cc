#include "client/broker_pool.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/kafka_error.h"
#include "common/status_macros.h"
#include "kafka/protocol/messages/metadata.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;

constexpr int16_t kMetadataMax = 12;

}  // namespace

BrokerPool::BrokerPool(std::vector<BrokerAddress> bootstrap_servers, ConnectionOptions options,
                       Clock& clock)
    : bootstrap_servers_(std::move(bootstrap_servers)),
      options_(std::move(options)),
      clock_(clock) {}

absl::StatusOr<Connection*> BrokerPool::AnyConnection() {
  // A connection with pipelined requests outstanding cannot take a blocking Call.
  for (auto& [id, connection] : connections_) {
    if (connection->in_flight() == 0) return connection.get();
  }
  if (bootstrap_ != nullptr) return bootstrap_.get();
  std::vector<std::string> errors;
  // Known brokers first (they may have replaced the bootstrap list), then bootstrap.servers.
  std::vector<BrokerAddress> candidates;
  for (const auto& [id, address] : brokers_) candidates.push_back(address);
  candidates.insert(candidates.end(), bootstrap_servers_.begin(), bootstrap_servers_.end());
  for (const BrokerAddress& address : candidates) {
    absl::StatusOr<std::unique_ptr<Connection>> c =
        Connection::Open(address.host, address.port, options_, clock_);
    if (c.ok()) {
      bootstrap_ = *std::move(c);
      return bootstrap_.get();
    }
    errors.push_back(std::string(c.status().message()));
  }
  return absl::UnavailableError(absl::StrCat("no broker reachable: ", absl::StrJoin(errors, "; ")));
}

absl::Status BrokerPool::Refresh(const std::vector<std::string>& topics) {
  return Fetch(topics, nullptr);
}

absl::StatusOr<std::vector<std::string>> BrokerPool::RefreshAll() {
  std::vector<std::string> names;
  RETURN_IF_ERROR(Fetch(std::nullopt, &names));
  return names;
}

const TopicLayout* BrokerPool::CachedLayout(const std::string& topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? nullptr : &it->second;
}

void BrokerPool::Forget(Connection* connection) {
  if (connection == bootstrap_.get()) bootstrap_.reset();
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    if (it->second.get() == connection) {
      connections_.erase(it);
      break;
    }
  }
}

absl::Status BrokerPool::Fetch(const std::optional<std::vector<std::string>>& topics,
                               std::vector<std::string>* names) {
  ASSIGN_OR_RETURN(Connection* const connection, AnyConnection());
  kp::MetadataRequest request;
  request.allow_auto_topic_creation = allow_auto_topic_creation_;
  if (topics.has_value()) {
    for (const std::string& name : *topics) request.topics->emplace_back().name = name;
  } else {
    request.topics.reset();  // Null: every topic (v1+).
  }
  kp::MetadataResponse response;
  absl::Status status = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(const int16_t version,
                     connection->Version(kp::MetadataRequest::kApiKey, 1, kMetadataMax));
    return connection->Call(request, version, &response);
  }();
  if (!status.ok()) {
    Forget(connection);  // The failed link, whichever it was.
    return status;
  }
  brokers_.clear();
  if (!topics.has_value()) topics_.clear();  // Deleted topics go too.
  for (const auto& broker : response.brokers) {
    brokers_[broker.node_id] = BrokerAddress{broker.host, broker.port};
  }
  absl::Status first;
  for (const auto& topic : response.topics) {
    const std::string name = topic.name.value_or("");
    if (topic.error_code != 0) {
      topics_.erase(name);
      // Listing every topic, one in error is left out rather than failing the rest.
      if (first.ok() && topics.has_value()) {
        first = KafkaErrorStatus(topic.error_code, absl::StrCat("topic ", name));
      }
      continue;
    }
    if (names != nullptr && !topic.is_internal) names->push_back(name);
    TopicLayout layout;
    int32_t count = 0;
    for (const auto& p : topic.partitions) count = std::max(count, p.partition_index + 1);
    layout.leaders.assign(static_cast<size_t>(count), -1);
    layout.leader_epochs.assign(static_cast<size_t>(count), -1);
    for (const auto& p : topic.partitions) {
      if (p.partition_index < 0) continue;
      layout.leaders[static_cast<size_t>(p.partition_index)] = p.leader_id;
      layout.leader_epochs[static_cast<size_t>(p.partition_index)] = p.leader_epoch;
    }
    topics_[name] = std::move(layout);
  }
  return first;
}

absl::StatusOr<const TopicLayout*> BrokerPool::Layout(const std::string& topic) {
  if (auto it = topics_.find(topic); it != topics_.end()) return &it->second;
  RETURN_IF_ERROR(Refresh({topic}));
  auto it = topics_.find(topic);
  if (it == topics_.end() || it->second.leaders.empty()) {
    return absl::UnavailableError(absl::StrCat("topic ", topic, ": no partitions in metadata"));
  }
  return &it->second;
}

absl::StatusOr<Connection*> BrokerPool::ConnectionTo(int32_t node_id) {
  if (auto it = connections_.find(node_id); it != connections_.end()) return it->second.get();
  auto broker = brokers_.find(node_id);
  if (broker == brokers_.end()) {
    return absl::UnavailableError(absl::StrCat("broker ", node_id, " is not in metadata"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection,
                   Connection::Open(broker->second.host, broker->second.port, options_, clock_));
  Connection* const raw = connection.get();
  connections_[node_id] = std::move(connection);
  return raw;
}

}  // namespace karst::client
