// Flag helpers shared by `karst produce` and `karst consume`: `key=value` values (--property,
// --producer-property, --consumer-property) and client property files (--producer.config,
// --consumer.config). Pure except for reading the file.
#ifndef KARST_CLIENT_CLI_CONSOLE_FLAGS_H_
#define KARST_CLIENT_CLI_CONSOLE_FLAGS_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "client/client_properties.h"

namespace karst::cli {

// --output: Kafka-style text (the default) or JSON.
enum class OutputFormat { kText, kJson };

// --output: "text" or "json". kInvalidArgument otherwise.
absl::StatusOr<OutputFormat> ParseOutputFormat(const std::string& value);

// "k=v" -> (k, v). kInvalidArgument naming `flag` without a '=' or with an empty key.
absl::StatusOr<std::pair<std::string, std::string>> KeyValue(const std::string& flag,
                                                             const std::string& value);

// Adds the properties in file `path` to `properties`, keeping values already there (flags win
// over the file). kInvalidArgument naming `flag` and the path if it cannot be read; the
// parser's errors for a malformed file.
absl::Status MergePropertiesFile(const std::string& flag, const std::string& path,
                                 client::Properties& properties);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_CONSOLE_FLAGS_H_
