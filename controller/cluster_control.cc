#include "controller/cluster_control.h"

#include "absl/strings/str_cat.h"
#include "controller/metadata/metadata_delta.h"

namespace karst::controller {
namespace {

namespace proto = ::karst::metadata::proto;

// `image` with `records` replayed (records this control generated fit the image it read).
MetadataImage After(const MetadataImage& image, const std::vector<proto::MetadataRecord>& records) {
  MetadataDelta delta(std::make_shared<const MetadataImage>(image));
  int64_t offset = image.offset;
  for (const auto& r : records) {
    if (!delta.Replay(r, ++offset).ok()) break;
  }
  return *delta.Apply();
}

bool LeadsAnything(const MetadataImage& image, NodeId broker) {
  for (const auto& [id, topic] : image.topics) {
    for (const auto& [index, p] : topic.partitions) {
      if (p.leader == broker) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<proto::MetadataRecord> ClusterControl::FenceWithMoves(const MetadataImage& image,
                                                                  NodeId broker) const {
  std::vector<proto::MetadataRecord> records(1);
  records[0].mutable_fence_broker()->set_broker_id(broker.value());
  records[0].mutable_fence_broker()->set_broker_epoch(image.brokers.at(broker).epoch);
  // Elect as if the broker were already fenced, so it is never chosen again.
  MetadataImage fenced = image;
  fenced.brokers.at(broker).fenced = true;
  for (auto& move : replication_.GenerateLeadershipMoves(fenced, broker)) {
    records.push_back(std::move(move));
  }
  return records;
}

ControllerResult<RegisterBrokerResponse> ClusterControl::GenerateRegister(
    const MetadataImage& image, const RegisterBrokerRequest& request, int64_t next_offset,
    absl::Duration now) {
  ControllerResult<RegisterBrokerResponse> result;
  auto existing = image.brokers.find(request.id);
  if (existing != image.brokers.end()) {
    if (existing->second.incarnation_id == request.incarnation_id) {
      // A retried registration: answer it again, change nothing.
      result.response.broker_epoch = existing->second.epoch;
      last_heartbeat_[request.id] = now;
      return result;
    }
    auto session = last_heartbeat_.find(request.id);
    const bool alive = !existing->second.fenced && session != last_heartbeat_.end() &&
                       now - session->second < session_timeout_;
    if (alive) {
      result.response.error = {ErrorCode::kDuplicateBrokerRegistration,
                               absl::StrCat("Another broker is registered with id ",
                                            request.id.value(), " and its session is alive.")};
      return result;
    }
  }
  proto::RegisterBrokerRecord* r = result.records.emplace_back().mutable_register_broker();
  r->set_broker_id(request.id.value());
  r->set_incarnation_id(request.incarnation_id);
  r->set_broker_epoch(next_offset);
  r->set_rack(request.rack);
  r->set_fenced(true);
  for (const Endpoint& e : request.endpoints) {
    proto::BrokerEndpoint* p = r->add_endpoints();
    p->set_name(e.name);
    p->set_host(e.host);
    p->set_port(e.port);
    p->set_security_protocol(e.security_protocol);
  }
  result.response.broker_epoch = next_offset;
  last_heartbeat_[request.id] = now;
  return result;
}

ControllerResult<BrokerHeartbeatResponse> ClusterControl::GenerateHeartbeat(
    const MetadataImage& image, const BrokerHeartbeatRequest& request, absl::Duration now) {
  ControllerResult<BrokerHeartbeatResponse> result;
  auto it = image.brokers.find(request.id);
  if (it == image.brokers.end()) {
    result.response.error = {ErrorCode::kBrokerIdNotRegistered,
                             absl::StrCat("Broker ", request.id.value(), " is not registered.")};
    return result;
  }
  const BrokerRegistration& broker = it->second;
  if (request.broker_epoch != broker.epoch) {
    result.response.error = {ErrorCode::kStaleBrokerEpoch,
                             absl::StrCat("Broker epoch ", request.broker_epoch,
                                          " is not the current ", broker.epoch, ".")};
    return result;
  }
  last_heartbeat_[request.id] = now;
  bool fenced = broker.fenced;
  if (fenced && !request.want_fence && !request.want_shutdown &&
      request.metadata_offset >= broker.epoch) {
    // Caught up with the log up to its own registration: it may lead and join ISRs.
    proto::UnfenceBrokerRecord* u = result.records.emplace_back().mutable_unfence_broker();
    u->set_broker_id(request.id.value());
    u->set_broker_epoch(broker.epoch);
    fenced = false;
    for (auto& election : replication_.GenerateElectionsOnUnfence(image, request.id)) {
      result.records.push_back(std::move(election));
    }
  } else if (!fenced && (request.want_fence || request.want_shutdown)) {
    result.records = FenceWithMoves(image, request.id);
    fenced = true;
  }
  result.response.is_fenced = fenced;
  if (request.want_shutdown) {
    // A controlled shutdown may proceed once the broker leads nothing.
    result.response.should_shutdown = !LeadsAnything(After(image, result.records), request.id);
  }
  return result;
}

std::vector<proto::MetadataRecord> ClusterControl::GenerateSessionExpiries(
    const MetadataImage& image, absl::Duration now) const {
  std::vector<proto::MetadataRecord> out;
  MetadataImage working = image;
  for (const auto& [id, broker] : image.brokers) {
    if (broker.fenced) continue;
    auto session = last_heartbeat_.find(id);
    if (session != last_heartbeat_.end() && now - session->second < session_timeout_) continue;
    // Each fencing sees the partitions as the previous ones left them.
    std::vector<proto::MetadataRecord> records = FenceWithMoves(working, id);
    working = After(working, records);
    for (auto& r : records) out.push_back(std::move(r));
  }
  return out;
}

void ClusterControl::ResetSessions(const MetadataImage& image, absl::Duration now) {
  last_heartbeat_.clear();
  for (const auto& [id, broker] : image.brokers) last_heartbeat_[id] = now;
}

}  // namespace karst::controller
