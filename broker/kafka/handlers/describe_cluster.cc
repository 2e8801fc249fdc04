// DescribeCluster (key 60, KIP-700): the unfenced brokers with their endpoint for the
// listener the request came in on, the cluster id, and the controller id Metadata names (a
// live broker, since every broker forwards admin requests: CLIENTS.md rule 6).
#include "broker/kafka/handlers/handlers.h"

namespace karst::broker::kafka {
namespace {

// Kafka's DescribeClusterRequest.EndpointType.
constexpr int8_t kBrokerEndpoint = 1;

}  // namespace

void HandleDescribeCluster(BrokerContext& ctx, const RequestInfo& info,
                           const kp::DescribeClusterRequest& request,
                           const Reply<kp::DescribeClusterResponse>& reply) {
  kp::DescribeClusterResponse response;
  response.endpoint_type = kBrokerEndpoint;
  if (info.version >= 1 && request.endpoint_type != kBrokerEndpoint) {
    // KIP-919: controllers are not reachable over the Kafka protocol here.
    response.error_code = static_cast<int16_t>(ErrorCode::kUnsupportedEndpointType);
    response.error_message =
        "The request was sent to an endpoint of type BROKER, but we wanted "
        "an endpoint of type CONTROLLER";
    reply(response);
    return;
  }
  std::shared_ptr<const controller::MetadataImage> image = ctx.image();
  response.cluster_id = ctx.settings.cluster_id;
  for (const auto& [id, broker] : image->brokers) {
    if (broker.fenced) continue;
    for (const controller::Endpoint& endpoint : broker.endpoints) {
      if (endpoint.name != info.listener_name) continue;
      auto& b = response.brokers.emplace_back();
      b.broker_id = id.value();
      b.host = endpoint.host;
      b.port = endpoint.port;
      if (!broker.rack.empty()) b.rack = broker.rack;
      // As Metadata: this broker when live, else the lowest live one.
      if (response.controller_id < 0 || id == ctx.self) response.controller_id = id.value();
    }
  }
  reply(response);
}

}  // namespace karst::broker::kafka
