// MetadataImage: the cluster's metadata at one offset of the controller log, as every
// controller and broker folds it from the committed records: brokers, topics and their
// partitions, configs, the producer-id block and feature levels. Immutable once built and
// shared as std::shared_ptr<const MetadataImage>, so readers never lock; a new image comes
// from MetadataDelta::Apply and is published by swapping the pointer.
#ifndef KARST_CONTROLLER_METADATA_METADATA_IMAGE_H_
#define KARST_CONTROLLER_METADATA_METADATA_IMAGE_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/strong_id.h"
#include "proto/metadata.pb.h"

namespace karst::controller {

namespace proto = ::karst::metadata::proto;

struct Endpoint {
  std::string name;
  std::string host;
  int32_t port = 0;
  std::string security_protocol;
  bool operator==(const Endpoint&) const = default;
};

struct BrokerRegistration {
  NodeId id;
  std::string incarnation_id;
  int64_t epoch = 0;
  std::vector<Endpoint> endpoints;
  std::string rack;
  bool fenced = true;
  bool operator==(const BrokerRegistration&) const = default;
};

struct PartitionState {
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  std::vector<int32_t> removing_replicas;
  std::vector<int32_t> adding_replicas;
  NodeId leader{-1};
  LeaderEpoch leader_epoch{0};
  int32_t partition_epoch = 0;
  bool operator==(const PartitionState&) const = default;
};

struct TopicImage {
  std::string name;
  std::string id;  // 16 bytes.
  std::map<int32_t, PartitionState> partitions;
  bool operator==(const TopicImage&) const = default;
};

// Kafka's ConfigResource types.
enum class ResourceType : int32_t { kTopic = 2, kBroker = 4 };

struct MetadataImage {
  int64_t offset = -1;  // The last record folded in; -1 for the empty image.
  std::map<NodeId, BrokerRegistration> brokers;
  std::map<std::string, TopicImage> topics;      // By topic id.
  std::map<std::string, std::string> topic_ids;  // Name -> id.
  std::map<std::pair<int32_t, std::string>, std::map<std::string, std::string>> configs;
  int64_t next_producer_id = 0;
  std::map<std::string, int32_t> features;

  // The image as records that, replayed into an empty image, rebuild it (a snapshot).
  std::vector<proto::MetadataRecord> ToRecords() const;

  const TopicImage* FindTopic(const std::string& name) const;

  // Equal content; the offset is not compared.
  bool SameContent(const MetadataImage& other) const;
};

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_METADATA_METADATA_IMAGE_H_
