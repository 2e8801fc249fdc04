// Automatic preferred-leader rebalancing (Kafka's auto.leader.rebalance.enable): a broker
// whose share of partitions led by someone else, among those it is the preferred (first)
// replica of, exceeds leader.imbalance.per.broker.percentage gets them back through a
// preferred-leader election. Pure: the controller role calls it every
// leader.imbalance.check.interval.seconds on the active controller.
#ifndef KARST_CONTROLLER_LEADER_REBALANCE_H_
#define KARST_CONTROLLER_LEADER_REBALANCE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "controller/metadata/metadata_image.h"

namespace karst::controller {

// The partitions to elect: for each unfenced broker over the threshold, its preferred
// partitions not led by it where it is in the ISR (it could not lead the others).
std::vector<std::pair<std::string, int32_t>> PartitionsToRebalance(const MetadataImage& image,
                                                                   int32_t imbalance_percentage);

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_LEADER_REBALANCE_H_
