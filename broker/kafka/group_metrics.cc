#include "broker/kafka/group_metrics.h"

#include <algorithm>

namespace karst::broker::kafka {
namespace {

prometheus::Family<prometheus::Gauge>& Gauge(prometheus::Registry& r, const char* name,
                                             const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

// Sets the series of `keys` in `family`, removing those of `series` not among them.
template <typename Key>
void Replace(prometheus::Family<prometheus::Gauge>& family,
             std::map<Key, prometheus::Gauge*>& series,
             const std::map<Key, std::pair<prometheus::Labels, double>>& values) {
  for (auto it = series.begin(); it != series.end();) {
    if (values.contains(it->first)) {
      ++it;
      continue;
    }
    family.Remove(it->second);
    it = series.erase(it);
  }
  for (const auto& [key, value] : values) {
    auto [it, added] = series.try_emplace(key, nullptr);
    if (added) it->second = &family.Add(value.first);
    it->second->Set(value.second);
  }
}

}  // namespace

GroupMetrics::GroupMetrics(prometheus::Registry& registry)
    : lag_(Gauge(registry, "karst_consumer_group_lag",
                 "Records between a group's committed offset and the partition's log end "
                 "(high watermark), for groups coordinated and partitions hosted here")),
      committed_(Gauge(registry, "karst_consumer_group_committed_offset",
                       "A group's committed offset per partition, for groups coordinated here")),
      members_(Gauge(registry, "karst_consumer_group_members",
                     "Members of a group, for groups coordinated here")),
      groups_(Gauge(registry, "karst_consumer_groups",
                    "Groups coordinated here, by state (Kafka's state names)")),
      rebalances_(prometheus::BuildCounter()
                      .Name("karst_consumer_group_rebalances_total")
                      .Help("Rebalances completed (new generations), by group")
                      .Register(registry)),
      rebalance_seconds_(prometheus::BuildHistogram()
                             .Name("karst_consumer_group_rebalance_seconds")
                             .Help("Time groups spent in PreparingRebalance per rebalance")
                             .Register(registry)
                             .Add({}, prometheus::Histogram::BucketBoundaries{
                                          0.01, 0.1, 0.5, 1, 3, 5, 10, 30, 60, 300})) {
  for (const char* state :
       {"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"}) {
    groups_.Add({{"state", state}}).Set(0);
  }
}

void GroupMetrics::ObserveRebalance(const group::CompletedRebalance& rebalance) {
  rebalances_.Add({{"group", rebalance.group_id}}).Increment();
  rebalance_seconds_.Observe(absl::ToDoubleSeconds(rebalance.duration));
}

void GroupMetrics::Publish(
    const std::vector<group::GroupSnapshot>& groups,
    const std::function<std::optional<int64_t>(const std::string&, int32_t)>& log_end) {
  std::map<std::string, int> by_state;
  std::map<PartitionKey, std::pair<prometheus::Labels, double>> lag, committed;
  std::map<std::string, std::pair<prometheus::Labels, double>> members;
  for (const group::GroupSnapshot& g : groups) {
    ++by_state[std::string(group::GroupStateName(g.state))];
    members[g.group_id] = {{{"group", g.group_id}}, static_cast<double>(g.metadata.members.size())};
    for (const auto& [tp, value] : g.offsets) {
      const PartitionKey key{g.group_id, tp.topic, tp.partition.value()};
      prometheus::Labels labels{{"group", g.group_id},
                                {"topic", tp.topic},
                                {"partition", std::to_string(tp.partition.value())}};
      committed[key] = {labels, static_cast<double>(value.offset.value())};
      std::optional<int64_t> end = log_end(tp.topic, tp.partition.value());
      if (end.has_value()) {
        lag[key] = {labels, static_cast<double>(std::max<int64_t>(0, *end - value.offset.value()))};
      }
    }
  }
  for (const char* state :
       {"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"}) {
    groups_.Add({{"state", state}}).Set(by_state[state]);
  }
  Replace(lag_, lag_series_, lag);
  Replace(committed_, committed_series_, committed);
  Replace(members_, member_series_, members);
}

}  // namespace karst::broker::kafka
