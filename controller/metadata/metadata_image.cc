#include "controller/metadata/metadata_image.h"

namespace karst::controller {
namespace {

void AddInts(const std::vector<int32_t>& from, google::protobuf::RepeatedField<int32_t>* to) {
  to->Add(from.begin(), from.end());
}

}  // namespace

const TopicImage* MetadataImage::FindTopic(const std::string& name) const {
  auto id = topic_ids.find(name);
  if (id == topic_ids.end()) return nullptr;
  auto it = topics.find(id->second);
  return it == topics.end() ? nullptr : &it->second;
}

bool MetadataImage::SameContent(const MetadataImage& other) const {
  return brokers == other.brokers && topics == other.topics && topic_ids == other.topic_ids &&
         configs == other.configs && next_producer_id == other.next_producer_id &&
         features == other.features;
}

std::vector<proto::MetadataRecord> MetadataImage::ToRecords() const {
  std::vector<proto::MetadataRecord> out;
  for (const auto& [name, level] : features) {
    proto::FeatureLevelRecord* r = out.emplace_back().mutable_feature_level();
    r->set_name(name);
    r->set_feature_level(level);
  }
  for (const auto& [id, broker] : brokers) {
    proto::RegisterBrokerRecord* r = out.emplace_back().mutable_register_broker();
    r->set_broker_id(id.value());
    r->set_incarnation_id(broker.incarnation_id);
    r->set_broker_epoch(broker.epoch);
    r->set_rack(broker.rack);
    r->set_fenced(broker.fenced);
    for (const Endpoint& e : broker.endpoints) {
      proto::BrokerEndpoint* p = r->add_endpoints();
      p->set_name(e.name);
      p->set_host(e.host);
      p->set_port(e.port);
      p->set_security_protocol(e.security_protocol);
    }
  }
  for (const auto& [id, topic] : topics) {
    proto::TopicRecord* t = out.emplace_back().mutable_topic();
    t->set_name(topic.name);
    t->set_topic_id(id);
    for (const auto& [index, p] : topic.partitions) {
      proto::PartitionRecord* r = out.emplace_back().mutable_partition();
      r->set_topic_id(id);
      r->set_partition_id(index);
      AddInts(p.replicas, r->mutable_replicas());
      AddInts(p.isr, r->mutable_isr());
      AddInts(p.removing_replicas, r->mutable_removing_replicas());
      AddInts(p.adding_replicas, r->mutable_adding_replicas());
      r->set_leader(p.leader.value());
      r->set_leader_epoch(p.leader_epoch.value());
      r->set_partition_epoch(p.partition_epoch);
    }
  }
  for (const auto& [resource, entries] : configs) {
    for (const auto& [name, value] : entries) {
      proto::ConfigRecord* r = out.emplace_back().mutable_config();
      r->set_resource_type(resource.first);
      r->set_resource_name(resource.second);
      r->set_name(name);
      r->set_value(value);
    }
  }
  if (next_producer_id > 0) {
    out.emplace_back().mutable_producer_ids()->set_next_producer_id(next_producer_id);
  }
  return out;
}

}  // namespace karst::controller
