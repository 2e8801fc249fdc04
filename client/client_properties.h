// Client configuration in Kafka's property names: parsing Java .properties text (as given to
// `--command-config`) and turning properties into AdminClientOptions. Pure functions.
#ifndef KARST_CLIENT_CLIENT_PROPERTIES_H_
#define KARST_CLIENT_CLIENT_PROPERTIES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace karst::client {

using Properties = std::map<std::string, std::string>;

// A host and port from bootstrap.servers.
struct BrokerAddress {
  std::string host;
  int port = 0;
  bool operator==(const BrokerAddress&) const = default;
};

struct AdminClientOptions {
  // bootstrap.servers: REQUIRED, at least one.
  std::vector<BrokerAddress> bootstrap_servers;
  // client.id
  std::string client_id = "karst-admin";
  // request.timeout.ms: bounds each request, and each connect.
  absl::Duration request_timeout = absl::Seconds(30);
};

// "key=value" or "key: value" lines; '#' and '!' start comment lines; whitespace around keys
// and values is trimmed. (Line continuations and escapes are not supported.) Errors:
// kInvalidArgument naming the line number of a line without a separator.
absl::StatusOr<Properties> ParseProperties(absl::string_view text);

// "host1:9092,host2:9092"; "[::1]:9092" for IPv6. kInvalidArgument naming a bad entry.
absl::StatusOr<std::vector<BrokerAddress>> ParseBootstrapServers(absl::string_view servers);

// Reads bootstrap.servers, client.id and request.timeout.ms. Errors: kInvalidArgument naming
// an unknown key ("unknown admin client property: foo"), a missing bootstrap.servers or a
// bad value.
absl::StatusOr<AdminClientOptions> AdminClientOptionsFromProperties(const Properties& properties);

}  // namespace karst::client

#endif  // KARST_CLIENT_CLIENT_PROPERTIES_H_
