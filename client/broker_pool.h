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

  // The cached layout of `topic`, refreshed first when not cached. Pointer valid until the next
  // Refresh.
  absl::StatusOr<const TopicLayout*> Layout(const std::string& topic);

  // The connection to broker `node_id`, opened if needed. kUnavailable for an unknown broker.
  absl::StatusOr<Connection*> ConnectionTo(int32_t node_id);

  // Closes the connection to `node_id` (after a transport error); the next use reopens it.
  void Drop(int32_t node_id) { connections_.erase(node_id); }

  // Whether Metadata requests may create a missing topic (brokers with
  // auto.create.topics.enable do): producers ask, as Java's producer does; consumers don't.
  void set_allow_auto_topic_creation(bool allow) { allow_auto_topic_creation_ = allow; }

 private:
  absl::StatusOr<Connection*> AnyConnection();

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
