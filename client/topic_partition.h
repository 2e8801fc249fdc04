// TopicPartition: a topic name and a partition index, the key of per-partition calls in the
// Consumer and the AdminClient. A plain value; thread-compatible.
#ifndef KARST_CLIENT_TOPIC_PARTITION_H_
#define KARST_CLIENT_TOPIC_PARTITION_H_

#include <compare>
#include <cstdint>
#include <string>

#include "kafka/protocol/consumer_protocol.h"

namespace karst::client {

// The same type as the consumer protocol's, so assignments need no conversion.
using TopicPartition = ::karst::kafka::protocol::TopicPartition;

// Kafka's TopicPartition.toString(): "topic-partition".
inline std::string ToString(const TopicPartition& tp) {
  return tp.topic + "-" + std::to_string(tp.partition);
}

}  // namespace karst::client

#endif  // KARST_CLIENT_TOPIC_PARTITION_H_
