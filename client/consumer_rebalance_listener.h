// ConsumerRebalanceListener: what a subscribed Consumer tells the application about its
// partitions (Kafka's ConsumerRebalanceListener). The Consumer calls it from Poll,
// Unsubscribe and Close, on the consumer's thread; a callback may call the consumer's
// Commit*, Position, Seek*, Pause/Resume and Assignment, but not Poll. The listener must
// outlive its subscription.
#ifndef KARST_CLIENT_CONSUMER_REBALANCE_LISTENER_H_
#define KARST_CLIENT_CONSUMER_REBALANCE_LISTENER_H_

#include <vector>

#include "client/topic_partition.h"

namespace karst::client {

class ConsumerRebalanceListener {
 public:
  virtual ~ConsumerRebalanceListener() = default;

  // Partitions leaving this consumer while it is still in the group: commit their offsets
  // here. Eager protocol: every owned partition, before each rebalance (even an empty list);
  // cooperative: only the partitions that move, after the rebalance, and only if any.
  virtual void OnPartitionsRevoked(const std::vector<TopicPartition>& partitions) = 0;
  // The partitions this consumer gained, after every completed rebalance (even none).
  // Positions are those committed for the group, else auto.offset.reset's.
  virtual void OnPartitionsAssigned(const std::vector<TopicPartition>& partitions) = 0;
  // Partitions already owned by another member (the generation was reset: ILLEGAL_GENERATION,
  // UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, poll timeout): committing them would fail. As Java,
  // OnPartitionsRevoked by default.
  virtual void OnPartitionsLost(const std::vector<TopicPartition>& partitions) {
    OnPartitionsRevoked(partitions);
  }
};

}  // namespace karst::client

#endif  // KARST_CLIENT_CONSUMER_REBALANCE_LISTENER_H_
