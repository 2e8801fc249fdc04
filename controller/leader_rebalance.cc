#include "controller/leader_rebalance.h"

#include <algorithm>
#include <map>

namespace karst::controller {

std::vector<std::pair<std::string, int32_t>> PartitionsToRebalance(const MetadataImage& image,
                                                                   int32_t imbalance_percentage) {
  struct Share {
    int64_t preferred = 0;
    std::vector<std::pair<std::string, int32_t>> not_led;  // Electable: in the ISR.
    int64_t imbalanced = 0;
  };
  std::map<int32_t, Share> shares;
  for (const auto& [id, topic] : image.topics) {
    for (const auto& [index, p] : topic.partitions) {
      if (p.replicas.empty()) continue;
      const int32_t preferred = p.replicas.front();
      Share& share = shares[preferred];
      ++share.preferred;
      if (p.leader.value() == preferred) continue;
      ++share.imbalanced;
      if (std::find(p.isr.begin(), p.isr.end(), preferred) != p.isr.end()) {
        share.not_led.emplace_back(topic.name, index);
      }
    }
  }
  std::vector<std::pair<std::string, int32_t>> out;
  for (const auto& [broker, share] : shares) {
    auto registration = image.brokers.find(NodeId(broker));
    if (registration == image.brokers.end() || registration->second.fenced) continue;
    // Kafka's check: imbalanced / preferred > percentage / 100.
    if (share.imbalanced * 100 <= share.preferred * imbalance_percentage) continue;
    out.insert(out.end(), share.not_led.begin(), share.not_led.end());
  }
  return out;
}

}  // namespace karst::controller
