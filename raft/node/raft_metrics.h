// RaftMetrics: one Raft group's Prometheus metrics, registered on the node's registry with a
// `group` label: karst_raft_term, karst_raft_role (0 follower .. 3 leader), karst_raft_leader,
// karst_raft_commit_index, karst_raft_applied_index, karst_raft_leader_changes_total,
// karst_raft_append_latency_seconds (persisting a Ready), karst_raft_commit_latency_seconds
// (proposal to applied), karst_raft_snapshots_total and karst_raft_snapshot_bytes.
// Thread-safe (prometheus-cpp metrics are).
#ifndef KARST_RAFT_NODE_RAFT_METRICS_H_
#define KARST_RAFT_NODE_RAFT_METRICS_H_

#include <string>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace karst::raft {

class RaftMetrics {
 public:
  // `registry` must outlive this object.
  RaftMetrics(prometheus::Registry& registry, const std::string& group);

  prometheus::Gauge& term;
  prometheus::Gauge& role;
  prometheus::Gauge& leader;
  prometheus::Gauge& commit_index;
  prometheus::Gauge& applied_index;
  prometheus::Counter& leader_changes;
  prometheus::Histogram& append_latency;
  prometheus::Histogram& commit_latency;
  prometheus::Counter& snapshots;
  prometheus::Gauge& snapshot_bytes;
};

}  // namespace karst::raft

#endif  // KARST_RAFT_NODE_RAFT_METRICS_H_
