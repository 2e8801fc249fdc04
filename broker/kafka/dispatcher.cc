#include "broker/kafka/dispatcher.h"

#include "broker/kafka/handlers/handlers.h"
#include "spdlog/spdlog.h"

namespace karst::broker::kafka {
namespace {

namespace kp = ::karst::kafka::protocol;

// An ApiHandler for `Fn(BrokerContext&, const RequestInfo&, Req, Reply<Resp>)`.
template <typename Req, typename Resp, typename Fn>
ApiHandler Serve(int16_t min_version, int16_t max_version, Fn fn, int16_t min_accepted = -1) {
  ApiHandler h;
  h.key = Req::kApiKey;
  h.min_version = min_version;
  h.max_version = max_version;
  h.min_accepted_version = min_accepted < 0 ? min_version : min_accepted;
  h.handle = [fn](BrokerContext& ctx, const RequestInfo& info, const kp::Request& request,
                  const Responder& respond) {
    Req typed;
    if (absl::Status s = kp::DecodeBody(request, &typed); !s.ok()) {
      spdlog::info("closing a connection: malformed {} v{}: {}", request.api->name, info.version,
                   std::string(s.message()));
      respond({.kind = Response::Kind::kClose});
      return;
    }
    const kp::ApiInfo* api = request.api;
    const int32_t correlation_id = request.header.correlation_id;
    const int16_t version = info.version;
    bool no_response = false;
    if constexpr (std::is_same_v<Req, kp::ProduceRequest>) no_response = typed.acks == 0;
    const absl::Duration start = ctx.clock->Monotonic();
    BrokerContext* context = &ctx;
    fn(ctx, info, std::move(typed), [=](const Resp& response) {
      if (context->metrics != nullptr) {
        context->metrics->ObserveRequest(
            api->name, absl::ToDoubleSeconds(context->clock->Monotonic() - start));
      }
      if (no_response) {
        respond({.kind = Response::Kind::kNoResponse});
      } else {
        respond({.frame = kp::EncodeResponse(*api, version, correlation_id, response)});
      }
    });
  };
  return h;
}

// "127.0.0.5:41234" -> "/127.0.0.5", "[::1]:41234" -> "/::1" (Java's InetAddress.toString()).
std::string ClientHost(const std::string& peer) {
  std::string host = peer.substr(0, peer.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return "/" + host;
}

}  // namespace

KafkaDispatcher::KafkaDispatcher(BrokerContext& context) : context_(context) {
  // Versions from ../shared/kafka-protocol/CLIENTS.md.
  for (ApiHandler h : {
           Serve<kp::ProduceRequest, kp::ProduceResponse>(0, 11, HandleProduce, 3),
           Serve<kp::FetchRequest, kp::FetchResponse>(4, 17, HandleFetch),
           Serve<kp::ListOffsetsRequest, kp::ListOffsetsResponse>(1, 9, HandleListOffsets),
           Serve<kp::MetadataRequest, kp::MetadataResponse>(0, 12, HandleMetadata),
           Serve<kp::OffsetForLeaderEpochRequest, kp::OffsetForLeaderEpochResponse>(
               0, 4, HandleOffsetForLeaderEpoch),
           Serve<kp::CreateTopicsRequest, kp::CreateTopicsResponse>(0, 7, HandleCreateTopics),
           Serve<kp::DeleteTopicsRequest, kp::DeleteTopicsResponse>(0, 6, HandleDeleteTopics),
           Serve<kp::CreatePartitionsRequest, kp::CreatePartitionsResponse>(0, 3,
                                                                            HandleCreatePartitions),
           Serve<kp::ElectLeadersRequest, kp::ElectLeadersResponse>(0, 2, HandleElectLeaders),
           Serve<kp::DeleteRecordsRequest, kp::DeleteRecordsResponse>(0, 2, HandleDeleteRecords),
           Serve<kp::DescribeConfigsRequest, kp::DescribeConfigsResponse>(0, 4,
                                                                          HandleDescribeConfigs),
           Serve<kp::AlterConfigsRequest, kp::AlterConfigsResponse>(0, 2, HandleAlterConfigs),
           Serve<kp::IncrementalAlterConfigsRequest, kp::IncrementalAlterConfigsResponse>(
               0, 1, HandleIncrementalAlterConfigs),
           Serve<kp::DescribeClusterRequest, kp::DescribeClusterResponse>(0, 1,
                                                                          HandleDescribeCluster),
           Serve<kp::DescribeQuorumRequest, kp::DescribeQuorumResponse>(0, 2, HandleDescribeQuorum),
           Serve<kp::DescribeLogDirsRequest, kp::DescribeLogDirsResponse>(0, 4,
                                                                          HandleDescribeLogDirs),
           Serve<kp::AlterPartitionReassignmentsRequest, kp::AlterPartitionReassignmentsResponse>(
               0, 0, HandleAlterPartitionReassignments),
           Serve<kp::ListPartitionReassignmentsRequest, kp::ListPartitionReassignmentsResponse>(
               0, 0, HandleListPartitionReassignments),
           // Groups (the classic protocol; OffsetCommit and OffsetFetch v9 are KIP-848's).
           Serve<kp::FindCoordinatorRequest, kp::FindCoordinatorResponse>(0, 6,
                                                                          HandleFindCoordinator),
           Serve<kp::JoinGroupRequest, kp::JoinGroupResponse>(0, 9, HandleJoinGroup),
           Serve<kp::SyncGroupRequest, kp::SyncGroupResponse>(0, 5, HandleSyncGroup),
           Serve<kp::HeartbeatRequest, kp::HeartbeatResponse>(0, 4, HandleHeartbeat),
           Serve<kp::LeaveGroupRequest, kp::LeaveGroupResponse>(0, 5, HandleLeaveGroup),
           Serve<kp::OffsetCommitRequest, kp::OffsetCommitResponse>(0, 8, HandleOffsetCommit),
           Serve<kp::OffsetFetchRequest, kp::OffsetFetchResponse>(0, 8, HandleOffsetFetch),
           Serve<kp::DescribeGroupsRequest, kp::DescribeGroupsResponse>(0, 5, HandleDescribeGroups),
           Serve<kp::ListGroupsRequest, kp::ListGroupsResponse>(0, 4, HandleListGroups),
           Serve<kp::DeleteGroupsRequest, kp::DeleteGroupsResponse>(0, 2, HandleDeleteGroups),
           Serve<kp::OffsetDeleteRequest, kp::OffsetDeleteResponse>(0, 0, HandleOffsetDelete),
       }) {
    apis_.emplace(h.key, std::move(h));
  }
}

void KafkaDispatcher::HandleApiVersions(const kp::Request& request,
                                        const Responder& respond) const {
  const int16_t version = request.header.api_version;
  const int32_t correlation_id = request.header.correlation_id;
  kp::ApiVersionsRequest typed;
  // KIP-511: a version above ours (or a body we cannot read) gets UNSUPPORTED_VERSION in the
  // v0 format, never a closed connection.
  if (version > kp::ApiVersionsRequest::kMaxVersion || !kp::DecodeBody(request, &typed).ok()) {
    respond({.frame = kp::EncodeApiVersionsUnsupported(correlation_id)});
    return;
  }
  kp::ApiVersionsResponse response;
  response.api_keys.push_back({.api_key = kp::ApiVersionsRequest::kApiKey,
                               .min_version = kp::ApiVersionsRequest::kMinVersion,
                               .max_version = kp::ApiVersionsRequest::kMaxVersion});
  for (const auto& [key, h] : apis_) {
    response.api_keys.push_back(
        {.api_key = key, .min_version = h.min_version, .max_version = h.max_version});
  }
  std::sort(response.api_keys.begin(), response.api_keys.end(),
            [](const auto& a, const auto& b) { return a.api_key < b.api_key; });
  respond({.frame = kp::EncodeResponse(*request.api, version, correlation_id, response)});
}

void KafkaDispatcher::Dispatch(const ConnectionInfo& connection, std::string frame,
                               Responder respond) {
  absl::StatusOr<kp::Request> request = kp::DecodeRequest(frame);
  if (!request.ok()) {
    spdlog::info("closing connection from {}: {}", connection.peer,
                 std::string(request.status().message()));
    respond({.kind = Response::Kind::kClose});
    return;
  }
  const int16_t key = request->header.api_key;
  const int16_t version = request->header.api_version;
  if (request->api != nullptr && key == kp::ApiVersionsRequest::kApiKey) {
    HandleApiVersions(*request, respond);
    return;
  }
  auto it = apis_.find(key);
  if (request->api == nullptr || it == apis_.end() || version < it->second.min_accepted_version ||
      version > it->second.max_version) {
    spdlog::info("closing connection from {}: unsupported API key {} version {}", connection.peer,
                 key, version);
    respond({.kind = Response::Kind::kClose});
    return;
  }
  RequestInfo info{.version = version,
                   .listener_name = connection.listener_name,
                   .client_id = request->header.client_id.value_or(""),
                   .client_host = ClientHost(connection.peer)};
  it->second.handle(context_, info, *request, respond);
}

}  // namespace karst::broker::kafka
