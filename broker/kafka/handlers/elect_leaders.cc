// ElectLeaders (key 43): preferred-leader election, forwarded to the active controller, which
// answers per partition (ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ...). A null
// partition list means every partition.
#include "broker/kafka/handlers/handlers.h"

namespace karst::broker::kafka {

void HandleElectLeaders(BrokerContext& ctx, const RequestInfo& /*info*/,
                        const kp::ElectLeadersRequest& request,
                        const Reply<kp::ElectLeadersResponse>& reply) {
  kp::ElectLeadersResponse response;
  auto result_for = [&response](const std::string& topic) -> auto& {
    for (auto& r : response.replica_election_results) {
      if (r.topic == topic) return r;
    }
    auto& r = response.replica_election_results.emplace_back();
    r.topic = topic;
    return r;
  };
  if (request.election_type != 0) {
    // TODO(#6): unclean election on request (election type 1).
    for (const auto& topic : request.topic_partitions.value_or(
             std::vector<kp::ElectLeadersRequest::TopicPartitions>{})) {
      for (int32_t p : topic.partitions) {
        auto& out = result_for(topic.topic).partition_result.emplace_back();
        out.partition_id = p;
        out.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
        out.error_message = "only preferred leader election (type 0) is supported";
      }
    }
    response.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
    reply(response);
    return;
  }
  controller_rpc::ElectLeadersRequest forward;
  if (request.topic_partitions.has_value()) {
    for (const auto& topic : *request.topic_partitions) {
      auto* t = forward.add_topics();
      t->set_topic(topic.topic);
      for (int32_t p : topic.partitions) t->add_partitions(p);
    }
  }
  absl::StatusOr<controller_rpc::ElectLeadersResponse> elected =
      ctx.controller->ElectLeaders(forward, ctx.settings.admin_timeout);
  if (!elected.ok() || elected->error().code() != 0) {
    response.error_code = static_cast<int16_t>(
        elected.ok() ? elected->error().code()
                     : static_cast<int32_t>(ControllerCallError(elected.status())));
    reply(response);
    return;
  }
  for (const auto& r : elected->results()) {
    auto& out = result_for(r.topic()).partition_result.emplace_back();
    out.partition_id = r.partition();
    out.error_code = static_cast<int16_t>(r.error().code());
    out.error_message = r.error().message().empty()
                            ? std::nullopt
                            : std::optional<std::string>(r.error().message());
  }
  reply(response);
}

}  // namespace karst::broker::kafka
