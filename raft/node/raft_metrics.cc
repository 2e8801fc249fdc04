#include "raft/node/raft_metrics.h"

namespace karst::raft {
namespace {

const prometheus::Histogram::BucketBoundaries& Buckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1};
  return *buckets;
}

prometheus::Gauge& Gauge(prometheus::Registry& r, const char* name, const char* help,
                         const std::string& group) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({{"group", group}});
}

prometheus::Counter& Counter(prometheus::Registry& r, const char* name, const char* help,
                             const std::string& group) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({{"group", group}});
}

prometheus::Histogram& Histogram(prometheus::Registry& r, const char* name, const char* help,
                                 const std::string& group) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r).Add({{"group", group}},
                                                                            Buckets());
}

}  // namespace

RaftMetrics::RaftMetrics(prometheus::Registry& r, const std::string& group)
    : term(Gauge(r, "karst_raft_term", "Current Raft term.", group)),
      role(Gauge(r, "karst_raft_role", "0 follower, 1 pre-candidate, 2 candidate, 3 leader.",
                 group)),
      leader(Gauge(r, "karst_raft_leader", "Node id of the known leader; -1 if none.", group)),
      commit_index(Gauge(r, "karst_raft_commit_index", "Highest committed log index.", group)),
      applied_index(Gauge(r, "karst_raft_applied_index", "Highest applied log index.", group)),
      leader_changes(
          Counter(r, "karst_raft_leader_changes_total", "Times the known leader changed.", group)),
      append_latency(Histogram(r, "karst_raft_append_latency_seconds",
                               "Time to persist one Ready to the log store.", group)),
      commit_latency(Histogram(r, "karst_raft_commit_latency_seconds",
                               "Time from proposal to applied, on the proposing node.", group)),
      snapshots(Counter(r, "karst_raft_snapshots_total", "Snapshots taken.", group)),
      snapshot_bytes(Gauge(r, "karst_raft_snapshot_bytes", "Size of the latest snapshot.", group)) {
}

}  // namespace karst::raft
