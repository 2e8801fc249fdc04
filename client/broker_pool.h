// BrokerPool: the producer's and consumer's view of the cluster. It bootstraps from
// bootstrap.servers, keeps topic layouts (each partition's leader) from Metadata, and holds one
// Connection per broker, opened on first use and dropped after a transport error.
//
// Thread-safety: none; the owning Producer or Consumer drives it from one thread.
#ifndef KARST_CLIENT_BROKER_POOL_H_
#define KARST_CLIENT_BROKER_POOL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/client_properties.h"
#include "client/connection.h"
#include "common/clock.h"

namespace karst::client {

// One topic's partitions, by partition index.
struct TopicLayout {
  std::vector<int32_t> leaders;  // -1: no leader right now.
  std::vector<int32_t> leader_epochs;
};

class BrokerPool {
 public:
  // `clock` must outlive the pool. Nothing is connected until first use.
  BrokerPool(std::vector<BrokerAddress> bootstrap_servers, ConnectionOptions options, Clock& clock);

  // Fetches Metadata for `topics` (from any reachable broker) and replaces their layouts and
  // the broker list. Errors: kUnavailable naming every address tried; the topic's Kafka error
  // (kNotFound for UNKNOWN_TOPIC_OR_PARTITION) for the first topic that has one.
  absl::Status Refresh(const std::vector<std::string>& topics);

  // Fetches Metadata for every topic (replacing every layout and the broker list) and returns
  // the names of those that are not internal (a pattern subscription's candidates, as Java's
  // exclude.internal.topics). Errors: kUnavailable naming every address tried.
  absl::StatusOr<std::vector<std::string>> RefreshAll();

  // The cached layout of `topic`, refreshed first when not cached. Pointer valid until the next
  // Refresh.
  absl::StatusOr<const TopicLayout*> Layout(const std::string& topic);
  // The cached layout of `topic`, or nullptr; never refreshes.
  const TopicLayout* CachedLayout(const std::string& topic) const;

  // A connection to any broker (for requests any broker answers, as FindCoordinator).
  absl::StatusOr<Connection*> AnyConnection();

  // The connection to broker `node_id`, opened if needed. kUnavailable for an unknown broker.
  absl::StatusOr<Connection*> ConnectionTo(int32_t node_id);

  // Closes the connection to `node_id` (after a transport error); the next use reopens it.
  void Drop(int32_t node_id) { connections_.erase(node_id); }

  // Whether Metadata requests may create a missing topic (brokers with
  // auto.create.topics.enable do): producers ask, as Java's producer does; consumers don't.
  void set_allow_auto_topic_creation(bool allow) { allow_auto_topic_creation_ = allow; }

  // Closes `connection` (from AnyConnection) after a transport error.
  void Forget(Connection* connection);

 private:
  // Metadata for `topics` (all when nullopt, then topic errors are not reported); fills
  // `names`, when given, with the non-internal topics.
  absl::Status Fetch(const std::optional<std::vector<std::string>>& topics,
                     std::vector<std::string>* names);

  const std::vector<BrokerAddress> bootstrap_servers_;
  const ConnectionOptions options_;
  Clock& clock_;
  std::map<int32_t, BrokerAddress> brokers_;
  std::map<std::string, TopicLayout> topics_;
  std::map<int32_t, std::unique_ptr<Connection>> connections_;
  std::unique_ptr<Connection> bootstrap_;
  bool allow_auto_topic_creation_ = false;
};

}  // namespace karst::client

#endif  // KARST_CLIENT_BROKER_POOL_H_
