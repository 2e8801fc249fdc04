// Kafka's ConsumerProtocol for the client library: the codec lives in
// kafka/protocol/consumer_protocol.h (the broker's group coordinator reads subscriptions with
// it too); this header brings its names into karst::client.
#ifndef KARST_CLIENT_CONSUMER_PROTOCOL_H_
#define KARST_CLIENT_CONSUMER_PROTOCOL_H_

#include "client/topic_partition.h"
#include "kafka/protocol/consumer_protocol.h"

namespace karst::client {

using ::karst::kafka::protocol::Assignment;
using ::karst::kafka::protocol::DecodeAssignment;
using ::karst::kafka::protocol::DecodeConsumerProtocolVersion;
using ::karst::kafka::protocol::DecodeSubscription;
using ::karst::kafka::protocol::EncodeAssignment;
using ::karst::kafka::protocol::EncodeSubscription;
using ::karst::kafka::protocol::kConsumerProtocolMaxVersion;
using ::karst::kafka::protocol::kConsumerProtocolType;
using ::karst::kafka::protocol::kDefaultGeneration;
using ::karst::kafka::protocol::ReadTopicPartitions;
using ::karst::kafka::protocol::Subscription;
using ::karst::kafka::protocol::WriteTopicPartitions;

}  // namespace karst::client

#endif  // KARST_CLIENT_CONSUMER_PROTOCOL_H_
