// ControllerClient: a broker's gRPC client of the controller quorum (proto/controller.proto).
// Each call goes to the last known active controller, follows NOT_CONTROLLER's hint to the
// active one, and on a transport error or an unknown active controller tries the next voter
// after a short backoff, until the call's timeout. Thread-safe; one client serves a broker.
#ifndef KARST_BROKER_METADATA_CONTROLLER_CLIENT_H_
#define KARST_BROKER_METADATA_CONTROLLER_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/strong_id.h"
#include "proto/controller.grpc.pb.h"

namespace karst::broker {

namespace controller_rpc = ::karst::controller_rpc;

struct ControllerVoter {
  NodeId id;
  std::string host;
  uint16_t port = 0;
};

struct ControllerClientOptions {
  std::vector<ControllerVoter> voters;  // controller.quorum.voters. REQUIRES: not empty.
  // Sent with every call as karst-cluster-id metadata (common/cluster_id_header.h), so a
  // controller of another cluster refuses it with INCONSISTENT_CLUSTER_ID. Empty: not sent.
  std::string cluster_id;
  // One attempt's deadline (FetchMetadata adds its max_wait_ms), within the call's timeout.
  absl::Duration attempt_timeout = absl::Seconds(5);
  // The wait before trying another controller.
  absl::Duration backoff = absl::Milliseconds(100);
  Clock* clock = nullptr;  // Measures call timeouts. Default: SystemClock.
  // An IPv4 address of this node to connect from (common/grpc_source_address.h); empty: the
  // kernel's choice. Tests cut links by address, so each node's calls must come from its own.
  std::string local_address;
};

// Cancels the calls it is passed to (and only those), e.g. a lifecycle's own calls on Stop().
// An in-flight RPC is cancelled at once; a backoff ends within one backoff. Thread-safe.
class CallCanceller {
 public:
  void Cancel();
  bool cancelled() const;

 private:
  friend class ControllerClient;
  mutable std::mutex mu_;
  bool cancelled_ = false;                    // Guarded by mu_.
  std::set<grpc::ClientContext*> in_flight_;  // Guarded by mu_.
};

class ControllerClient {
 public:
  explicit ControllerClient(ControllerClientOptions options);
  ~ControllerClient();

  // Each returns the response of the controller that served the call, with any Kafka error
  // other than NOT_CONTROLLER in response.error() for the caller to translate;
  // kDeadlineExceeded (naming the last failure) if no active controller answered within
  // `timeout`; kCancelled after Shutdown() or when `canceller` is cancelled.
  absl::StatusOr<controller_rpc::RegisterBrokerResponse> RegisterBroker(
      const controller_rpc::RegisterBrokerRequest& request, absl::Duration timeout,
      CallCanceller* canceller = nullptr);
  absl::StatusOr<controller_rpc::BrokerHeartbeatResponse> BrokerHeartbeat(
      const controller_rpc::BrokerHeartbeatRequest& request, absl::Duration timeout,
      CallCanceller* canceller = nullptr);
  absl::StatusOr<controller_rpc::CreateTopicResponse> CreateTopic(
      const controller_rpc::CreateTopicRequest& request, absl::Duration timeout,
      CallCanceller* canceller = nullptr);
  absl::StatusOr<controller_rpc::ErrorResponse> DeleteTopic(
      const controller_rpc::DeleteTopicRequest& request, absl::Duration timeout,
      CallCanceller* canceller = nullptr);
  absl::StatusOr<controller_rpc::ErrorResponse> CreatePartitions(
      const controller_rpc::CreatePartitionsRequest& request, absl::Duration timeout,
      CallCanceller* canceller = nullptr);
  absl::StatusOr<controller_rpc::ErrorResponse> AlterPartition(
      const controller_rpc::AlterPartitionRequest& request, absl::Duration timeout,
      CallCanceller* canceller = nullptr);
  absl::StatusOr<controller_rpc::ErrorResponse> AlterTopicConfigs(
      const controller_rpc::AlterTopicConfigsRequest& request, absl::Duration timeout,
      CallCanceller* canceller = nullptr);
  absl::StatusOr<controller_rpc::ErrorResponse> AlterBrokerConfigs(
      const controller_rpc::AlterBrokerConfigsRequest& request, absl::Duration timeout,
      CallCanceller* canceller = nullptr);
  absl::StatusOr<controller_rpc::ElectLeadersResponse> ElectLeaders(
      const controller_rpc::ElectLeadersRequest& request, absl::Duration timeout,
      CallCanceller* canceller = nullptr);
  absl::StatusOr<controller_rpc::AlterPartitionReassignmentsResponse> AlterPartitionReassignments(
      const controller_rpc::AlterPartitionReassignmentsRequest& request, absl::Duration timeout,
      CallCanceller* canceller = nullptr);
  absl::StatusOr<controller_rpc::DescribeQuorumResponse> DescribeQuorum(
      const controller_rpc::DescribeQuorumRequest& request, absl::Duration timeout,
      CallCanceller* canceller = nullptr);
  // Any controller serves it: the active one first, then the others (which may lag).
  absl::StatusOr<controller_rpc::FetchMetadataResponse> FetchMetadata(
      const controller_rpc::FetchMetadataRequest& request, absl::Duration timeout,
      CallCanceller* canceller = nullptr);

  // Makes every call in progress, and every later one, return kCancelled promptly.
  void Shutdown();

  // The active controller as last learnt (kNoNode-like NodeId(-1) if unknown).
  NodeId active_controller() const;
  // controller.quorum.voters as given.
  const std::vector<ControllerVoter>& voters() const { return options_.voters; }

 private:
  enum class Target { kActiveController, kAnyController };
  template <typename Response>
  using Rpc = std::function<grpc::Status(controller_rpc::Controller::Stub&, grpc::ClientContext*,
                                         Response*)>;

  template <typename Response>
  absl::StatusOr<Response> Call(const char* method, const Rpc<Response>& rpc, Target target,
                                absl::Duration extra_wait, absl::Duration timeout,
                                CallCanceller* canceller);
  // Tracks `context` for cancellation; false if the call is already cancelled.
  bool Track(grpc::ClientContext* context, CallCanceller* canceller);
  void Untrack(grpc::ClientContext* context, CallCanceller* canceller);
  bool Cancelled(const CallCanceller* canceller) const;
  // Waits up to `duration` unless cancelled first.
  void Backoff(absl::Duration duration, const CallCanceller* canceller);
  size_t IndexOf(int32_t id) const;  // voters_.size() if not a voter.

  ControllerClientOptions options_;
  Clock& clock_;
  std::vector<std::unique_ptr<controller_rpc::Controller::Stub>> stubs_;  // By voter index.
  mutable std::mutex mu_;
  std::condition_variable cv_;  // Signalled by Shutdown().
  size_t active_ = 0;           // Guarded by mu_: index of the known active.
  bool active_known_ = false;   // Guarded by mu_.
  CallCanceller shutdown_;      // Cancelled by Shutdown().
};

}  // namespace karst::broker

#endif  // KARST_BROKER_METADATA_CONTROLLER_CLIENT_H_
