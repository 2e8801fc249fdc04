#include "controller/metadata/metadata_delta.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace karst::controller {
namespace {

absl::Status Refuse(int64_t offset, absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat("metadata record at offset ", offset, ": ", what));
}

std::vector<int32_t> Ints(const google::protobuf::RepeatedField<int32_t>& from) {
  return {from.begin(), from.end()};
}

std::string Hex(const std::string& id) { return absl::BytesToHexString(id); }

template <typename Record>
absl::Status CheckVersion(const Record& r, int64_t offset, absl::string_view kind) {
  if (r.version() > kMetadataRecordVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata record at offset ", offset, ": ", kind, " version ", r.version(),
                     " is newer than this build reads (", kMetadataRecordVersion, ")"));
  }
  return absl::OkStatus();
}

absl::Status ReplayPartition(MetadataImage& image, const proto::PartitionRecord& r,
                             int64_t offset) {
  auto topic = image.topics.find(r.topic_id());
  if (topic == image.topics.end()) {
    return Refuse(offset, absl::StrCat("partition of unknown topic ", Hex(r.topic_id())));
  }
  if (r.replicas().empty()) return Refuse(offset, "partition with no replicas");
  topic->second.partitions[r.partition_id()] =
      PartitionState{Ints(r.replicas()),        Ints(r.isr()),      Ints(r.removing_replicas()),
                     Ints(r.adding_replicas()), NodeId(r.leader()), LeaderEpoch(r.leader_epoch()),
                     r.partition_epoch()};
  return absl::OkStatus();
}

absl::Status ReplayPartitionChange(MetadataImage& image, const proto::PartitionChangeRecord& r,
                                   int64_t offset) {
  auto topic = image.topics.find(r.topic_id());
  if (topic == image.topics.end()) {
    return Refuse(offset, absl::StrCat("change to unknown topic ", Hex(r.topic_id())));
  }
  auto it = topic->second.partitions.find(r.partition_id());
  if (it == topic->second.partitions.end()) {
    return Refuse(offset, absl::StrCat("change to unknown partition ", topic->second.name, "-",
                                       r.partition_id()));
  }
  PartitionState& p = it->second;
  if (r.has_isr()) p.isr = Ints(r.isr().values());
  if (r.has_replicas()) p.replicas = Ints(r.replicas().values());
  if (r.has_removing_replicas()) p.removing_replicas = Ints(r.removing_replicas().values());
  if (r.has_adding_replicas()) p.adding_replicas = Ints(r.adding_replicas().values());
  if (r.has_leader() && NodeId(r.leader()) != p.leader) {
    p.leader = NodeId(r.leader());
    p.leader_epoch = p.leader_epoch.Next();
  }
  ++p.partition_epoch;
  return absl::OkStatus();
}

absl::Status ReplayBroker(MetadataImage& image, const proto::MetadataRecord& record,
                          int64_t offset) {
  switch (record.record_case()) {
    case proto::MetadataRecord::kRegisterBroker: {
      const auto& r = record.register_broker();
      // A new registration's epoch is the offset of its record (-1 in the record: the active
      // controller cannot know the offset before the record commits); snapshots carry it.
      const int64_t epoch = r.broker_epoch() < 0 ? offset : r.broker_epoch();
      BrokerRegistration b{
          NodeId(r.broker_id()), r.incarnation_id(), epoch, {}, r.rack(), r.fenced()};
      for (const auto& e : r.endpoints()) {
        b.endpoints.push_back({e.name(), e.host(), e.port(), e.security_protocol()});
      }
      image.brokers[b.id] = std::move(b);
      return absl::OkStatus();
    }
    case proto::MetadataRecord::kUnregisterBroker:
      if (image.brokers.erase(NodeId(record.unregister_broker().broker_id())) == 0) {
        return Refuse(offset, "unregistering an unknown broker");
      }
      return absl::OkStatus();
    case proto::MetadataRecord::kFenceBroker:
    case proto::MetadataRecord::kUnfenceBroker: {
      const bool fence = record.has_fence_broker();
      const int32_t id =
          fence ? record.fence_broker().broker_id() : record.unfence_broker().broker_id();
      auto it = image.brokers.find(NodeId(id));
      if (it == image.brokers.end()) return Refuse(offset, absl::StrCat("unknown broker ", id));
      it->second.fenced = fence;
      return absl::OkStatus();
    }
    default:
      return absl::InternalError("not a broker record");
  }
}

}  // namespace

MetadataDelta::MetadataDelta(std::shared_ptr<const MetadataImage> base)
    : next_(base != nullptr ? *base : MetadataImage{}) {}

absl::Status MetadataDelta::Replay(const proto::MetadataRecord& record, int64_t offset) {
  MetadataImage image = next_;  // Refused records leave the delta as it was.
  absl::Status s;
  switch (record.record_case()) {
    case proto::MetadataRecord::kRegisterBroker:
      s = CheckVersion(record.register_broker(), offset, "RegisterBroker");
      if (s.ok()) s = ReplayBroker(image, record, offset);
      break;
    case proto::MetadataRecord::kUnregisterBroker:
    case proto::MetadataRecord::kFenceBroker:
    case proto::MetadataRecord::kUnfenceBroker:
      s = ReplayBroker(image, record, offset);
      break;
    case proto::MetadataRecord::kTopic: {
      const auto& r = record.topic();
      s = CheckVersion(r, offset, "Topic");
      if (s.ok() && (r.topic_id().size() != 16 || r.name().empty())) {
        s = Refuse(offset, "a topic needs a name and a 16-byte id");
      } else if (s.ok() && image.topic_ids.count(r.name()) > 0) {
        s = Refuse(offset, absl::StrCat("topic ", r.name(), " already exists"));
      } else if (s.ok()) {
        image.topics[r.topic_id()] = TopicImage{r.name(), r.topic_id(), {}};
        image.topic_ids[r.name()] = r.topic_id();
      }
      break;
    }
    case proto::MetadataRecord::kRemoveTopic: {
      auto it = image.topics.find(record.remove_topic().topic_id());
      if (it == image.topics.end()) {
        s = Refuse(offset, "removing an unknown topic");
      } else {
        image.topic_ids.erase(it->second.name);
        image.configs.erase({static_cast<int32_t>(ResourceType::kTopic), it->second.name});
        image.topics.erase(it);
      }
      break;
    }
    case proto::MetadataRecord::kPartition:
      s = CheckVersion(record.partition(), offset, "Partition");
      if (s.ok()) s = ReplayPartition(image, record.partition(), offset);
      break;
    case proto::MetadataRecord::kPartitionChange:
      s = CheckVersion(record.partition_change(), offset, "PartitionChange");
      if (s.ok()) s = ReplayPartitionChange(image, record.partition_change(), offset);
      break;
    case proto::MetadataRecord::kConfig: {
      const auto& r = record.config();
      auto& entries = image.configs[{r.resource_type(), r.resource_name()}];
      if (r.has_value()) {
        entries[r.name()] = r.value();
      } else {
        entries.erase(r.name());
        if (entries.empty()) image.configs.erase({r.resource_type(), r.resource_name()});
      }
      break;
    }
    case proto::MetadataRecord::kProducerIds:
      if (record.producer_ids().next_producer_id() < image.next_producer_id) {
        s = Refuse(offset, "producer ids may only move forward");
      } else {
        image.next_producer_id = record.producer_ids().next_producer_id();
      }
      break;
    case proto::MetadataRecord::kFeatureLevel:
      image.features[record.feature_level().name()] = record.feature_level().feature_level();
      break;
    case proto::MetadataRecord::RECORD_NOT_SET:
      s = absl::InvalidArgumentError(
          absl::StrCat("metadata record at offset ", offset, ": empty record"));
      break;
  }
  if (!s.ok()) return s;
  image.offset = offset;
  next_ = std::move(image);
  return absl::OkStatus();
}

std::shared_ptr<const MetadataImage> MetadataDelta::Apply() const {
  return std::make_shared<const MetadataImage>(next_);
}

}  // namespace karst::controller
