// Kafka error codes from responses as absl::Status, for the client library and the CLI.
// Pure functions; thread-safe.
#ifndef KARST_CLIENT_KAFKA_ERROR_H_
#define KARST_CLIENT_KAFKA_ERROR_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace karst::client {

// OK for NONE (0); otherwise "<ERROR_NAME>: <message>", e.g.
// "TOPIC_ALREADY_EXISTS: Topic 'x' already exists.". The broker's message wins; Kafka's
// standard message for the code stands in when it is null or empty. The status code follows
// the error's meaning: kAlreadyExists, kNotFound (unknown topic), kInvalidArgument (invalid
// partitions, replication factor, config, topic, request, policy), kUnavailable (retriable
// errors), kFailedPrecondition otherwise.
absl::Status KafkaErrorStatus(int16_t error_code,
                              const std::optional<std::string>& error_message = std::nullopt);

// The Kafka error name in a status made by KafkaErrorStatus ("TOPIC_ALREADY_EXISTS"), or ""
// when the message does not start with one.
std::string KafkaErrorName(const absl::Status& status);

}  // namespace karst::client

#endif  // KARST_CLIENT_KAFKA_ERROR_H_
