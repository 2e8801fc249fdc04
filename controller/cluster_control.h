// ClusterControl: broker registration, heartbeats and sessions (KRaft's
// ClusterControlManager). A broker registers fenced; it is unfenced once a heartbeat shows its
// metadata caught up to its registration; a broker whose heartbeats stop for the session
// timeout is fenced and its leaderships move (ReplicationControl); a controlled shutdown
// moves them first. Session times are controller-local (not replicated): a newly active
// controller starts every session afresh. Single-threaded (the controller's event loop).
#ifndef KARST_CONTROLLER_CLUSTER_CONTROL_H_
#define KARST_CONTROLLER_CLUSTER_CONTROL_H_

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "controller/replication_control.h"

namespace karst::controller {

struct RegisterBrokerRequest {
  NodeId id;
  std::string incarnation_id;
  std::vector<Endpoint> endpoints;
  std::string rack;
};

struct RegisterBrokerResponse {
  ApiError error;
  int64_t broker_epoch = -1;
};

struct BrokerHeartbeatRequest {
  NodeId id;
  int64_t broker_epoch = -1;
  int64_t metadata_offset = -1;  // The last metadata offset the broker applied.
  bool want_fence = false;
  bool want_shutdown = false;
};

struct BrokerHeartbeatResponse {
  ApiError error;
  bool is_fenced = true;
  bool should_shutdown = false;  // A controlled shutdown may proceed: it leads nothing.
};

class ClusterControl {
 public:
  ClusterControl(absl::Duration session_timeout, const ReplicationControl& replication)
      : session_timeout_(session_timeout), replication_(replication) {}

  // `next_offset` is the log offset the registration record will get: the broker's epoch.
  ControllerResult<RegisterBrokerResponse> GenerateRegister(const MetadataImage& image,
                                                            const RegisterBrokerRequest& request,
                                                            int64_t next_offset,
                                                            absl::Duration now);
  ControllerResult<BrokerHeartbeatResponse> GenerateHeartbeat(const MetadataImage& image,
                                                              const BrokerHeartbeatRequest& request,
                                                              absl::Duration now);
  // Fences every unfenced broker silent for longer than the session timeout, with the
  // leadership moves each fencing requires.
  std::vector<metadata::proto::MetadataRecord> GenerateSessionExpiries(const MetadataImage& image,
                                                                       absl::Duration now) const;
  // A controller that just became active gives every broker a full session from `now`.
  void ResetSessions(const MetadataImage& image, absl::Duration now);

 private:
  std::vector<metadata::proto::MetadataRecord> FenceWithMoves(const MetadataImage& image,
                                                              NodeId broker) const;

  absl::Duration session_timeout_;
  const ReplicationControl& replication_;
  std::map<NodeId, absl::Duration> last_heartbeat_;
};

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_CLUSTER_CONTROL_H_
