// The Kafka API handlers, one per API (one .cc each): each turns a decoded request into its
// response through the BrokerContext and answers through `reply`, exactly once, now or later
// (acks=all produce, fetch long poll) from any thread. Views in a response stay valid until
// `reply` returns. Versions each handler serves are in dispatcher.cc's table.
#ifndef KARST_BROKER_KAFKA_HANDLERS_HANDLERS_H_
#define KARST_BROKER_KAFKA_HANDLERS_HANDLERS_H_

#include <functional>

#include "broker/kafka/handlers/broker_context.h"
#include "kafka/protocol/messages/all.h"

namespace karst::broker::kafka {

namespace kp = ::karst::kafka::protocol;

template <typename Response>
using Reply = std::function<void(const Response&)>;

void HandleMetadata(BrokerContext& ctx, const RequestInfo& info, const kp::MetadataRequest& request,
                    const Reply<kp::MetadataResponse>& reply);
void HandleProduce(BrokerContext& ctx, const RequestInfo& info, kp::ProduceRequest request,
                   Reply<kp::ProduceResponse> reply);
void HandleFetch(BrokerContext& ctx, const RequestInfo& info, kp::FetchRequest request,
                 Reply<kp::FetchResponse> reply);
void HandleListOffsets(BrokerContext& ctx, const RequestInfo& info,
                       const kp::ListOffsetsRequest& request,
                       const Reply<kp::ListOffsetsResponse>& reply);
void HandleOffsetForLeaderEpoch(BrokerContext& ctx, const RequestInfo& info,
                                const kp::OffsetForLeaderEpochRequest& request,
                                const Reply<kp::OffsetForLeaderEpochResponse>& reply);
void HandleCreateTopics(BrokerContext& ctx, const RequestInfo& info,
                        const kp::CreateTopicsRequest& request,
                        const Reply<kp::CreateTopicsResponse>& reply);
void HandleDeleteTopics(BrokerContext& ctx, const RequestInfo& info,
                        const kp::DeleteTopicsRequest& request,
                        const Reply<kp::DeleteTopicsResponse>& reply);
void HandleCreatePartitions(BrokerContext& ctx, const RequestInfo& info,
                            const kp::CreatePartitionsRequest& request,
                            const Reply<kp::CreatePartitionsResponse>& reply);

void HandleElectLeaders(BrokerContext& ctx, const RequestInfo& info,
                        const kp::ElectLeadersRequest& request,
                        const Reply<kp::ElectLeadersResponse>& reply);
void HandleAlterPartitionReassignments(BrokerContext& ctx, const RequestInfo& info,
                                       const kp::AlterPartitionReassignmentsRequest& request,
                                       const Reply<kp::AlterPartitionReassignmentsResponse>& reply);
void HandleListPartitionReassignments(BrokerContext& ctx, const RequestInfo& info,
                                      const kp::ListPartitionReassignmentsRequest& request,
                                      const Reply<kp::ListPartitionReassignmentsResponse>& reply);
void HandleDeleteRecords(BrokerContext& ctx, const RequestInfo& info,
                         const kp::DeleteRecordsRequest& request,
                         const Reply<kp::DeleteRecordsResponse>& reply);

void HandleDescribeConfigs(BrokerContext& ctx, const RequestInfo& info,
                           const kp::DescribeConfigsRequest& request,
                           const Reply<kp::DescribeConfigsResponse>& reply);
void HandleAlterConfigs(BrokerContext& ctx, const RequestInfo& info,
                        const kp::AlterConfigsRequest& request,
                        const Reply<kp::AlterConfigsResponse>& reply);
void HandleIncrementalAlterConfigs(BrokerContext& ctx, const RequestInfo& info,
                                   const kp::IncrementalAlterConfigsRequest& request,
                                   const Reply<kp::IncrementalAlterConfigsResponse>& reply);
void HandleDescribeCluster(BrokerContext& ctx, const RequestInfo& info,
                           const kp::DescribeClusterRequest& request,
                           const Reply<kp::DescribeClusterResponse>& reply);
void HandleDescribeQuorum(BrokerContext& ctx, const RequestInfo& info,
                          const kp::DescribeQuorumRequest& request,
                          const Reply<kp::DescribeQuorumResponse>& reply);
void HandleFindCoordinator(BrokerContext& ctx, const RequestInfo& info,
                           const kp::FindCoordinatorRequest& request,
                           const Reply<kp::FindCoordinatorResponse>& reply);
void HandleJoinGroup(BrokerContext& ctx, const RequestInfo& info, kp::JoinGroupRequest request,
                     Reply<kp::JoinGroupResponse> reply);
void HandleSyncGroup(BrokerContext& ctx, const RequestInfo& info, kp::SyncGroupRequest request,
                     Reply<kp::SyncGroupResponse> reply);
void HandleHeartbeat(BrokerContext& ctx, const RequestInfo& info,
                     const kp::HeartbeatRequest& request,
                     const Reply<kp::HeartbeatResponse>& reply);
void HandleLeaveGroup(BrokerContext& ctx, const RequestInfo& info, kp::LeaveGroupRequest request,
                      Reply<kp::LeaveGroupResponse> reply);
void HandleOffsetCommit(BrokerContext& ctx, const RequestInfo& info,
                        kp::OffsetCommitRequest request, Reply<kp::OffsetCommitResponse> reply);
void HandleOffsetFetch(BrokerContext& ctx, const RequestInfo& info,
                       const kp::OffsetFetchRequest& request,
                       const Reply<kp::OffsetFetchResponse>& reply);
void HandleDescribeGroups(BrokerContext& ctx, const RequestInfo& info,
                          const kp::DescribeGroupsRequest& request,
                          const Reply<kp::DescribeGroupsResponse>& reply);
void HandleListGroups(BrokerContext& ctx, const RequestInfo& info,
                      const kp::ListGroupsRequest& request,
                      const Reply<kp::ListGroupsResponse>& reply);
void HandleDeleteGroups(BrokerContext& ctx, const RequestInfo& info,
                        kp::DeleteGroupsRequest request, Reply<kp::DeleteGroupsResponse> reply);
void HandleOffsetDelete(BrokerContext& ctx, const RequestInfo& info,
                        kp::OffsetDeleteRequest request, Reply<kp::OffsetDeleteResponse> reply);

void HandleDescribeLogDirs(BrokerContext& ctx, const RequestInfo& info,
                           const kp::DescribeLogDirsRequest& request,
                           const Reply<kp::DescribeLogDirsResponse>& reply);

}  // namespace karst::broker::kafka

#endif  // KARST_BROKER_KAFKA_HANDLERS_HANDLERS_H_
